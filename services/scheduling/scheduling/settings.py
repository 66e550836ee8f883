"""Scheduling settings, from environment variables (documented in the README)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from taalhuis_shared.messaging.settings import ServiceSettings

# The example timetable that comes with the package.
DEFAULT_SLOTS_FILE = Path(__file__).resolve().parent / "slots.yaml"


class Settings(ServiceSettings):
    database_url: str
    # The weekly slots (YAML); None means the packaged example timetable.
    slots_file: str | None = None
    # Days between a group filling and its first session, for the partner to tell participants.
    planning_lead_days: int = Field(default=7, ge=0)
    # How many weeks ahead a course may start; beyond that the coordinator is asked.
    planning_horizon_weeks: int = Field(default=12, ge=1)
    sessions_per_course: int = Field(default=5, ge=1)
    timezone: str = "Europe/Amsterdam"

    @property
    def slots_path(self) -> Path:
        return Path(self.slots_file) if self.slots_file else DEFAULT_SLOTS_FILE
