"""Notifications settings, from environment variables (documented in the README)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

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
    # Seconds that rejected referrals are collected into the coordinator's summary (a day).
    digest_window: float = 86400.0
    # For referral answers that name no contact person (an unknown partner, older events): partner
    # id -> address, as JSON. Partners' contacts themselves are configured in enrolment's file.
    partner_contacts: dict[str, str] = {}
    # Recipients who read English: address -> "en", as JSON. Everyone else gets Dutch.
    recipient_languages: dict[str, Language] = {}
    # Days after sending (or a refusal for good) that a mail's body, address and SMTP answer are blanked.
    mail_body_retention_days: int = Field(default=90, ge=1)
