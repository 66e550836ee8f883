"""Settings every service shares, read from environment variables (see the README's table)."""

from __future__ import annotations

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from yarl import URL

from .trust import DEFAULT_USERS


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore")

    amqp_url: str = "amqp://guest:guest@127.0.0.1:5672/"
    database_url: str
    events_exchange: str = "taalhuis.events"
    # False where the broker's definitions create the exchanges: the service only looks them up.
    declare_exchanges: bool = True
    # Prepended to every queue name; lets test runs and tenants live side by side on one broker.
    queue_prefix: str = ""
    # Deliveries in hand at once per process: also the most a batch can gather (see batch_size).
    prefetch_count: int = 100
    # The most events of one key (enrolment: a course type) handled in one transaction.
    batch_size: int = Field(default=50, ge=1)
    delivery_limit: int = 10
    graceful_timeout: float = 30.0
    outbox_poll_interval: float = 1.0
    # Seconds after erasing a person before the eraser looks once more (for messages about them
    # that were handled after the first pass) and drops what identifies them (docs/privacy.md).
    erasure_recheck: float = Field(default=300.0, gt=0)
    heartbeat_file: str | None = None
    log_level: str = "INFO"
    # Which RabbitMQ users hold each role, as JSON (role -> users); partners' users come from
    # enrolment's partner file. A local run as `guest` gives guest every role.
    publishers: dict[str, list[str]] = dict(DEFAULT_USERS)
    # Seconds a message is held while the database does not answer, before it goes back to the queue.
    outage_patience: float = 1200.0
    # Seconds added to the machine's clock (taalhuis_shared.clock): lets tests and rehearsals move
    # time; refused unless allow_clock_offset says this installation may run on a moved clock.
    clock_offset: float = 0.0
    allow_clock_offset: bool = False
    # Seconds between runs of the retention job, and how long it keeps what it removes.
    retention_interval: float = Field(default=3600.0, gt=0)
    outbox_retention_days: int = Field(default=30, ge=1)
    inbox_retention_days: int = Field(default=90, ge=1)

    @model_validator(mode="after")
    def _clock_offset_only_when_allowed(self) -> ServiceSettings:
        if self.clock_offset and not self.allow_clock_offset:
            raise ValueError(
                "CLOCK_OFFSET is set, but ALLOW_CLOCK_OFFSET is not: a moved clock is for tests and "
                "rehearsals only (set ALLOW_CLOCK_OFFSET=true there; in production leave CLOCK_OFFSET 0)"
            )
        return self

    @property
    def amqp_user(self) -> str:
        """The user this service connects as: RabbitMQ validates it as the user_id it publishes with."""
        return URL(self.amqp_url).user or "guest"
