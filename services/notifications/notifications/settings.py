"""Notifications settings, from environment variables (documented in the README)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr, field_validator

from taalhuis_shared.messaging.settings import ServiceSettings

from .adapters.mail_sender import SMTP_CONNECTIONS, SmtpTls

Language = Literal["nl", "en"]


class Settings(ServiceSettings):
    database_url: str
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    mail_from: str = "taalhuis@bibliotheekgouda.nl"
    smtp_username: str | None = None
    smtp_password: str | None = None
    # `opportunistic` upgrades with STARTTLS when the server offers it, `required` sends nothing
    # without it, `off` never upgrades (a relay on the same host). With TLS the server's
    # certificate is checked: a server offering STARTTLS with a certificate that does not verify
    # gets no mail until that is fixed (or this is `off`).
    smtp_tls: SmtpTls = "opportunistic"
    mail_poll_interval: float = 1.0
    # SMTP connections mail goes out over at once when much is waiting (a trickle uses one).
    smtp_connections: int = Field(default=SMTP_CONNECTIONS, ge=1, le=20)
    # Session times in the e-mails are written in this zone.
    timezone: str = "Europe/Amsterdam"
    # The library coordinator: groups, course dates, changes, problems and the rejection summary.
    coordinator_email: str = "taalhuis@bibliotheekgouda.nl"
    # Changes and referral answers to one person are collected into one e-mail until no new one
    # came for `batch_window` seconds (a quiet period), but never longer than `batch_max_wait`
    # seconds after the first (a lockdown's notices arrive over minutes).
    batch_window: float = 60.0
    batch_max_wait: float = 300.0
    # A measure's notices wait for scheduling's MeasuresApplied (one mail per person however long
    # the lockdown's events take), but never longer than this many seconds.
    measure_max_wait: float = 3600.0
    # The staff's calendar feeds (`GET /agenda/<token>.ics`, the link in their course mails):
    # served only when a secret is set. The tokens are made from it: a new secret makes every
    # link stop working (new ones go out with the next course mails).
    feed_secret: SecretStr | None = None
    # Where the feeds are reached from outside, as written into the mails.
    feed_base_url: str = "http://127.0.0.1:8081"
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8081, ge=1, le=65535)

    @field_validator("feed_secret", mode="before")
    @classmethod
    def _no_feeds_without_a_long_secret(cls, secret: object) -> object:
        """Empty (compose passes `FEED_SECRET=` when `.env` has none): no feeds. Short: refused."""
        value = secret.get_secret_value() if isinstance(secret, SecretStr) else secret
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if isinstance(value, str) and len(value.strip()) < 16:
            raise ValueError("FEED_SECRET is short: set a long random value (see .env.example)")
        return secret
    # Seconds that rejected referrals are collected into the coordinator's summary (a day).
    digest_window: float = 86400.0
    # For referral answers that name no contact person (an unknown partner, older events): partner
    # id -> address, as JSON. Partners' contacts themselves are configured in enrolment's file.
    partner_contacts: dict[str, str] = {}
    # Recipients who read English: address -> "en", as JSON. Everyone else gets Dutch.
    recipient_languages: dict[str, Language] = {}
    # Days after sending (or a refusal for good) that a mail's body, address and SMTP answer are blanked.
    mail_body_retention_days: int = Field(default=90, ge=1)
