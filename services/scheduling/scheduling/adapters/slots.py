"""Reading the weekly slots from their YAML file (format in the README), checked on start."""

from __future__ import annotations

import re
from datetime import time
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, field_validator

from taalhuis_shared.events import Location, Teacher

from ..domain.model import Slot

CLOCK_TIME = re.compile(r"^(?P<hour>[01]?\d|2[0-3]):(?P<minute>[0-5]\d)$")


class SlotEntry(BaseModel):
    """One item of the slots file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1, max_length=100)
    course_type: str = Field(min_length=1, max_length=50, examples=["klik-en-tik", "digisterker"])
    weekday: int = Field(ge=1, le=7, description="1 is Monday, 7 is Sunday")
    start: time
    minutes: int = Field(gt=0, le=24 * 60)
    location: Location
    teacher: Teacher

    @field_validator("start", mode="before")
    @classmethod
    def _clock_time(cls, value: Any) -> Any:
        # YAML reads an unquoted 13:30 as the number 810 (base 60), which pydantic would take
        # for 00:13:30; only a quoted "HH:MM" is accepted.
        found = CLOCK_TIME.match(value) if isinstance(value, str) else None
        if found is None:
            raise ValueError('write the start time as "HH:MM", in quotes')
        return time(int(found["hour"]), int(found["minute"]))

    def to_slot(self) -> Slot:
        return Slot(
            self.id, self.course_type, self.weekday, self.start, self.minutes, self.location, self.teacher
        )


def load_slots(path: Path) -> tuple[Slot, ...]:
    """The slots in file order (the order breaks ties when planning); ids must be unique."""
    entries = TypeAdapter(list[SlotEntry]).validate_python(yaml.safe_load(path.read_text(encoding="utf-8")))
    ids = [entry.id for entry in entries]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ValueError(f"{path}: slot ids must be unique; repeated: {', '.join(duplicates)}")
    return tuple(entry.to_slot() for entry in entries)
