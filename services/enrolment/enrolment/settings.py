"""Enrolment settings, from environment variables (documented in the README)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator

from taalhuis_shared.messaging.settings import ServiceSettings

PACKAGED_CONFIG = Path(__file__).parent / "enrolment.yaml"
# For tests and a developer's machine only: anyone can read it here, and so compute the keys.
DEVELOPMENT_PERSON_KEY_SECRET = "development-only-person-key-secret"  # noqa: S105


class Settings(ServiceSettings):
    database_url: str
    # Courses offered and partners (YAML); the packaged example when unset.
    enrolment_file: str | None = None
    # The key of the keyed hash that recognises a person for the retake rule (see docs/privacy.md).
    # Set a long random one in production and never change it: the stored keys would no longer match.
    person_key_secret: str = DEVELOPMENT_PERSON_KEY_SECRET
    # A withdrawn referral's personal fields are blanked this long after the withdrawal.
    answered_retention_days: int = Field(default=90, ge=1)
    # A completed (or left) participant's personal fields are blanked this long after the end.
    completed_personal_days: int = Field(default=30, ge=1)

    @property
    def enrolment_path(self) -> Path:
        return Path(self.enrolment_file) if self.enrolment_file else PACKAGED_CONFIG

    @field_validator("person_key_secret")
    @classmethod
    def _a_secret_is_set(cls, secret: str) -> str:
        # Compose passes an empty value when `.env` lacks one: refuse rather than hash with "".
        if not secret.strip():
            raise ValueError("PERSON_KEY_SECRET is empty: set a long random value (see .env.example)")
        return secret
