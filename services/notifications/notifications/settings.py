"""Notifications settings, from environment variables (documented in the README)."""

from __future__ import annotations

from taalhuis_shared.messaging.settings import ServiceSettings


class Settings(ServiceSettings):
    database_url: str
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    mail_from: str = "taalhuis@bibliotheekgouda.nl"
    smtp_username: str | None = None
    smtp_password: str | None = None
    # True demands STARTTLS; False sends in plain text, as to a relay on the same host or network.
    smtp_starttls: bool = False
    mail_poll_interval: float = 1.0
    # Session times in the e-mails are written in this zone.
    timezone: str = "Europe/Amsterdam"
