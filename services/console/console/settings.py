"""Console settings, from environment variables (documented in the README)."""

from __future__ import annotations

from pydantic import Field, field_validator

from taalhuis_shared.messaging.settings import ServiceSettings

# For tests and a developer's machine only: anyone can read it here, and so forge a session.
DEVELOPMENT_SESSION_SECRET = "development-only-session-secret"  # noqa: S105


class Settings(ServiceSettings):
    database_url: str
    # One event at a time: the read model's handlers update rows that earlier events made.
    prefetch_count: int = 1
    # Signs the session cookie. Set a long random value in production; changing it logs everyone out.
    session_secret: str = DEVELOPMENT_SESSION_SECRET
    # Send the session cookie over HTTPS only; `false` only for http on 127.0.0.1 (local runs, compose).
    session_cookie_secure: bool = True
    # Where the web pages are served. Compose publishes the port on 127.0.0.1 only.
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8080, ge=1, le=65535)
    # Login is refused for a user after this many wrong passwords within the window (seconds).
    login_max_failures: int = Field(default=5, ge=1)
    login_failure_window: float = Field(default=900.0, gt=0)
    # When set, the demo users (coordinator, promen, docent) are created at start with this password.
    demo_password: str = ""
    # Course types and levels the referral form offers (enrolment checks them again).
    course_types: list[str] = ["klik-en-tik", "digisterker"]
    course_levels: int = Field(default=3, ge=1, le=9)

    @field_validator("session_secret")
    @classmethod
    def _a_secret_is_set(cls, secret: str) -> str:
        if len(secret.strip()) < 16:
            raise ValueError("SESSION_SECRET is empty or short: set a long random value (see .env.example)")
        return secret
