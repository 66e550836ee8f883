"""The slots file: the packaged timetable, and the mistakes a person editing it can make."""

from __future__ import annotations

from datetime import time
from pathlib import Path

import pytest
from pydantic import ValidationError

from scheduling.adapters.slots import load_slots
from scheduling.settings import DEFAULT_SLOTS_FILE

ONE_SLOT = """
- id: {id}
  course_type: klik-en-tik
  weekday: 2
  start: {start}
  minutes: 120
  location: {{name: Bibliotheek Gouda, address: "Klein Amerika 20, 2803 PK Gouda"}}
  teacher: {{name: Marloes Verbeek, email: docent.klikentik@bibliotheekgouda.example}}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "slots.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_packaged_timetable_has_two_slots_of_each_course_a_week() -> None:
    slots = load_slots(DEFAULT_SLOTS_FILE)
    assert sorted(s.course_type for s in slots) == ["digisterker"] * 2 + ["klik-en-tik"] * 2
    assert any("Chocoladefabriek" in s.location.name for s in slots)
    assert all(s.teacher.email.endswith(".example") for s in slots)


def test_a_quoted_start_time_is_read_as_a_clock_time(tmp_path: Path) -> None:
    [slot] = load_slots(write(tmp_path, ONE_SLOT.format(id="a", start='"13:30"')))
    assert slot.start == time(13, 30)
    assert slot.start.tzinfo is None


def test_an_hour_of_one_digit_is_fine(tmp_path: Path) -> None:
    [slot] = load_slots(write(tmp_path, ONE_SLOT.format(id="a", start='"9:30"')))
    assert slot.start == time(9, 30)


def test_an_unquoted_start_time_is_refused(tmp_path: Path) -> None:
    # YAML reads 13:30 unquoted as 810 (base 60); it must not become 00:13:30.
    with pytest.raises(ValidationError, match="HH:MM"):
        load_slots(write(tmp_path, ONE_SLOT.format(id="a", start="13:30")))


def test_slot_ids_must_be_unique(tmp_path: Path) -> None:
    text = ONE_SLOT.format(id="a", start='"09:30"') + ONE_SLOT.format(id="a", start='"13:30"')
    with pytest.raises(ValueError, match="repeated: a"):
        load_slots(write(tmp_path, text))


def test_a_misspelt_field_is_refused(tmp_path: Path) -> None:
    text = ONE_SLOT.format(id="a", start='"09:30"').replace("weekday", "weekdag")
    with pytest.raises(ValidationError):
        load_slots(write(tmp_path, text))
