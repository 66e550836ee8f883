"""Enrolment settings, from environment variables (documented in the README)."""

from __future__ import annotations

from pathlib import Path

from taalhuis_shared.messaging.settings import ServiceSettings

PACKAGED_CONFIG = Path(__file__).parent / "enrolment.yaml"


class Settings(ServiceSettings):
    database_url: str
    # Courses offered and partners (YAML); the packaged example when unset.
    enrolment_file: str | None = None

    @property
    def enrolment_path(self) -> Path:
        return Path(self.enrolment_file) if self.enrolment_file else PACKAGED_CONFIG
