"""The independent schedule checker finds each hard rule broken on purpose, and nothing in a good plan."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml

from tests.support.schedule_checker import Library, MeasureRow, PlannedRow, read_library, violations

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
MONDAY = datetime(2027, 3, 8, 10, 0, tzinfo=AMSTERDAM)
DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday")
WEEKDAYS = {day: ["09:00-17:00"] for day in DAYS}
LONG_DAYS = {day: ["08:00-20:00"] for day in DAYS}  # people: so that opening hours are what a case breaks


def person(person_id: str, **more: Any) -> dict[str, Any]:
    return {
        "id": person_id,
        "name": person_id,
        "email": f"{person_id}@example.org",
        "availability": LONG_DAYS,
        **more,
    }


@pytest.fixture
def library(tmp_path: Path) -> Library:
    path = tmp_path / "resources.yaml"
    place = {"address": "Straat 1, Gouda", "opening_hours": WEEKDAYS}
    data = {
        "places": [
            {
                "id": "bieb",
                "name": "Bibliotheek",
                "bring_ipads": False,
                "rooms": [{"id": "r1", "name": "1"}],
                **place,
            },
            {
                "id": "wijk",
                "name": "Wijkgebouw",
                "bring_ipads": True,
                "rooms": [{"id": "zaal", "name": "Z"}],
                **place,
            },
            {
                "id": "werk",
                "name": "Werkplaats",
                "bring_ipads": True,
                "rooms": [{"id": "kantine", "name": "K"}],
                **place,
            },
        ],
        "teachers": [
            person("anna", qualifications=["klik-en-tik", "digisterker"]),
            person("bram", qualifications=["klik-en-tik"]),
        ],
        "volunteers": [
            person("vera"),
            person("wim", availability={"monday": ["12:00-17:00"]}),
            person("yara"),
        ],
        "ipads": 8,
        "weekly_limits": {"klik-en-tik": 1, "digisterker": 1},
        "closure_days": ["2027-03-10"],
        "travel_default_minutes": 20,
        "travel_minutes": [{"between": ["bieb", "wijk"], "minutes": 10}],
    }
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return read_library(path)


def session(number: int = 1, place: str = "bieb", start: datetime = MONDAY, **changes: Any) -> PlannedRow:
    setup = timedelta(minutes=0 if place == "bieb" else 45)
    room = {"bieb": "r1", "wijk": "zaal", "werk": "kantine"}[place]
    row = PlannedRow(
        id=f"s{number}",
        course_id=f"course-{number}",
        number=1,
        course_type="klik-en-tik",
        partner_ids=frozenset({f"partner-{number}"}),
        earliest_start=None,
        place_id=place,
        room_id=room,
        teacher_id="anna",
        volunteer_ids=frozenset({"vera"}),
        ipads=0 if place == "bieb" else 5,
        start=start,
        end=start + timedelta(hours=2),
        busy_from=start - setup,
        busy_until=start + timedelta(hours=2) + setup,
    )
    return replace(row, **changes)


def test_a_plan_that_keeps_every_rule_has_no_violations(library: Library) -> None:
    # Anna at the library 10-12, then set-up in the neighbourhood centre from 12:10: 10 minutes' travel.
    later = MONDAY + timedelta(hours=2, minutes=55)
    plan = [session(1), session(2, "wijk", later, volunteer_ids=frozenset({"wim"}))]
    assert violations(plan, [], library, AMSTERDAM) == []


def at(hour: int, minute: int = 0, day: date | None = None) -> datetime:
    """A time on Monday 8 March 2027, or on `day`."""
    day = day or MONDAY.date()
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=AMSTERDAM)


TUESDAY = at(10, day=date(2027, 3, 9))
BRAM_YARA: dict[str, Any] = {"teacher_id": "bram", "volunteer_ids": frozenset({"yara"})}
YARA: dict[str, Any] = {"volunteer_ids": frozenset({"yara"})}
WIJK = session(
    1, "wijk"
)  # 10:00-12:00, held 9:15-12:45; its iPads out 9:05-12:55 (10 minutes from the library)


def measure(until: date | None = None, where: tuple[str, ...] = (), lifted: date | None = None) -> MeasureRow:
    return MeasureRow("m", date(2027, 3, 1), until, where, lifted)


CASES = {
    "a room twice": ([session(1), session(2, **BRAM_YARA)], [], "room bieb/r1 is booked twice"),
    "a teacher twice": ([session(1), session(2, "wijk", **YARA)], [], "anna is in two sessions at once"),
    "too little travel, listed": (
        [session(1), session(2, "wijk", at(12, 50), teacher_id="bram")], [],
        "vera has 0:05:00 to travel from bieb to wijk, needs 0:10:00",
    ),
    "too little travel, the default": (
        [WIJK, session(2, "werk", at(13, 40), ipads=3, **YARA)], [],
        "anna has 0:10:00 to travel from wijk to werk, needs 0:20",
    ),
    "iPads still on their way": ([WIJK, session(2, "werk", at(13, 50), **BRAM_YARA)], [], "10 iPads out"),
    "iPads back in time": ([WIJK, session(2, "werk", at(14), **BRAM_YARA)], [], None),
    "iPads enough": ([WIJK, session(2, "werk", at(13, 50), ipads=3, **BRAM_YARA)], [], None),
    "after closing": ([session(1, start=at(15, 30))], [], "opening hours of bieb"),
    "set-up before opening": ([session(1, "wijk", at(9, 30))], [], "opening hours of wijk"),
    "a closure day": ([session(1, start=at(10, day=date(2027, 3, 10)))], [], "closure day"),
    "King's Day": ([session(1, start=at(10, day=date(2027, 4, 27)))], [], "closure day"),
    "not qualified": (
        [session(1, course_type="digisterker", teacher_id="bram")], [], "bram is not qualified"
    ),
    "not available": ([session(1, volunteer_ids=frozenset({"wim"}))], [], "wim is not available"),
    "no volunteer": ([session(1, volunteer_ids=frozenset())], [], "no volunteer"),
    "a teacher as volunteer": ([session(1, volunteer_ids=frozenset({"bram"}))], [], "are not volunteers"),
    "too short": ([session(1, end=at(11), busy_until=at(11))], [], "lasts 1:00:00"),
    "set-up not stored": ([session(1, "wijk", busy_from=MONDAY)], [], "set-up or packing up stored as"),
    "before the group's dates": (
        [session(1, earliest_start=date(2027, 3, 9))], [], "before its course's earliest start 2027-03-09"
    ),
    "the weekly limit": (
        [session(1), session(2, start=TUESDAY, partner_ids=frozenset({"partner-1"}))], [],
        "partner-1 has 2 klik-en-tik courses",
    ),
    "twice in a week": ([session(1), session(1, start=TUESDAY)], [], "has 2 sessions in week"),
    "a measure everywhere": ([session(1)], [measure()], "measure m closes bieb"),
    "a measure by place name": ([session(1)], [measure(where=("Bibliotheek",))], "measure m closes bieb"),
    "a measure elsewhere": ([session(1)], [measure(where=("wijk",))], None),
    "a measure that ended": ([session(1)], [measure(until=date(2027, 3, 7))], None),
    "a measure lifted that day": ([session(1)], [measure(lifted=date(2027, 3, 8))], None),
    "lifted the day after": ([session(1)], [measure(lifted=date(2027, 3, 9))], "measure m closes bieb"),
}  # fmt: skip


@pytest.mark.parametrize(("plan", "measures", "expected"), list(CASES.values()), ids=list(CASES))
def test_each_rule_broken_on_purpose_is_found(
    library: Library, plan: list[PlannedRow], measures: list[MeasureRow], expected: str | None
) -> None:
    found = violations(plan, measures, library, AMSTERDAM)
    if expected is None:
        assert found == []
    else:
        assert len(found) == 1 and expected in found[0], found
