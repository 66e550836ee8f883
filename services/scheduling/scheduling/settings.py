"""Scheduling settings, from environment variables (documented in the README)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from taalhuis_shared.messaging.settings import ServiceSettings

# The example resources that come with the package.
DEFAULT_RESOURCES_FILE = Path(__file__).resolve().parent / "resources.yaml"


class Settings(ServiceSettings):
    database_url: str
    # Places, rooms, teachers, volunteers, iPads and planning rules (YAML); None: the packaged example.
    resources_file: str | None = None
    # Days between a group filling and its first session, for the partner to tell participants.
    planning_lead_days: int = Field(default=7, ge=0)
    timezone: str = "Europe/Amsterdam"
    # Seconds between looks for courses whose last session has ended.
    completion_check_interval: float = Field(default=60.0, gt=0)
    # Days after a course completed that its participants, contact persons and session staff are blanked.
    course_retention_days: int = Field(default=90, ge=1)

    @property
    def resources_path(self) -> Path:
        return Path(self.resources_file) if self.resources_file else DEFAULT_RESOURCES_FILE
