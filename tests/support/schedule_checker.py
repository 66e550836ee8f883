"""An independent check of scheduling's plan: every hard rule, from its tables and the resources file.

Written apart from the planner on purpose: it imports nothing of the scheduling service (not
its planner, model, loader nor tables). It reads the YAML file with `yaml` and the database with
plain SQL, and lists every rule a planned session breaks, in words:

- nobody (a teacher or volunteer) and no room in two places at once, set-up and packing up
  included, and a person who moves between places has the travel time in between;
- the iPad pool is never exceeded; iPads brought to a place are out of the pool from when they
  leave the library until they are back (set-up, packing up and the journeys included);
- each session, set-up and packing up included, lies within its place's opening hours, not on
  a Dutch public holiday or a closure day of the file;
- the teacher is qualified for the course type; teacher and volunteers are available for the
  whole session; every session has a volunteer;
- a session lasts `session_minutes`, and its stored set-up and packing-up times are the file's;
- at most the weekly limit of courses per partner, course type and ISO week; one session a week
  per course;
- no session on a day a measure closes its place (the measure's first day to its last, or the
  day before it was lifted), and none before its course's earliest start.

A session that had begun when a measure was announced is left by scheduling; the checker does
not know when a measure was announced, so a scenario announces its measures ahead.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import combinations
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from holidays import country_holidays
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
Periods = dict[int, list[tuple[time, time]]]  # ISO weekday -> periods


@dataclass(frozen=True)
class Library:
    """The resources file as the checker reads it."""

    places: Mapping[str, Mapping[str, Any]]  # id -> the file's entry
    opening: Mapping[str, Periods]
    availability: Mapping[str, Periods]  # teachers and volunteers
    qualifications: Mapping[str, frozenset[str]]  # teachers only
    volunteers: frozenset[str]
    ipads: int
    session_minutes: int
    setup_minutes: int
    weekly_limits: Mapping[str, int]
    closure_days: frozenset[date]
    travel: Mapping[frozenset[str], int]  # minutes between two places
    travel_default: int

    def setup(self, place_id: str) -> timedelta:
        return timedelta(minutes=self.setup_minutes if self.places[place_id]["bring_ipads"] else 0)

    def minutes_between(self, a: str, b: str) -> timedelta:
        if a == b:
            return timedelta()
        return timedelta(minutes=self.travel.get(frozenset((a, b)), self.travel_default))

    @property
    def ipad_home(self) -> str | None:
        """Where the iPads are kept: the first place that does not bring them."""
        return next((p for p, entry in self.places.items() if not entry["bring_ipads"]), None)


def read_library(path: Path) -> Library:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    teachers = data["teachers"]
    people = [*teachers, *data["volunteers"]]
    travel = {frozenset(entry["between"]): int(entry["minutes"]) for entry in data.get("travel_minutes", [])}
    return Library(
        places={p["id"]: p for p in data["places"]},
        opening={p["id"]: _periods(p["opening_hours"]) for p in data["places"]},
        availability={p["id"]: _periods(p["availability"]) for p in people},
        qualifications={t["id"]: frozenset(t["qualifications"]) for t in teachers},
        volunteers=frozenset(v["id"] for v in data["volunteers"]),
        ipads=int(data["ipads"]),
        session_minutes=int(data.get("session_minutes", 120)),
        setup_minutes=int(data.get("setup_minutes", 45)),
        weekly_limits=dict(data.get("weekly_limits", {})),
        closure_days=frozenset(date.fromisoformat(str(day)) for day in data.get("closure_days", [])),
        travel=travel,
        travel_default=int(data.get("travel_default_minutes", 0)),
    )


def _periods(week: Mapping[str, Sequence[str]]) -> Periods:
    found: Periods = {}
    for day, periods in week.items():
        for period in periods:
            start, until = (time.fromisoformat(part.strip().zfill(5)) for part in period.split("-"))
            found.setdefault(DAYS.index(day) + 1, []).append((start, until))
    return found


@dataclass(frozen=True)
class PlannedRow:
    """A planned session as stored, with what its course says."""

    id: str
    course_id: str
    number: int
    course_type: str
    partner_ids: frozenset[str]
    earliest_start: date | None
    place_id: str
    room_id: str
    teacher_id: str
    volunteer_ids: frozenset[str]
    ipads: int
    start: datetime
    end: datetime
    busy_from: datetime
    busy_until: datetime


@dataclass(frozen=True)
class MeasureRow:
    id: str
    from_date: date
    until_date: date | None
    locations: tuple[str, ...]
    lifted_from: date | None

    def closes(self, place_id: str, place_name: str, day: date) -> bool:
        lifted = self.lifted_from - timedelta(days=1) if self.lifted_from else None
        last = min((d for d in (self.until_date, lifted) if d is not None), default=None)
        here = not self.locations or place_id in self.locations or place_name in self.locations
        return here and self.from_date <= day and (last is None or day <= last)


async def read_plan(engine: AsyncEngine) -> tuple[list[PlannedRow], list[MeasureRow]]:
    """The planned sessions and the measures, as scheduling's database holds them."""
    async with engine.connect() as connection:
        sessions = await connection.execute(
            text(
                "SELECT s.id, s.course_id, s.number, c.course_type, c.partner_ids, c.earliest_start,"
                " s.place_id, s.room_id, s.teacher_id, s.volunteer_ids, s.ipads, s.start, s.end,"
                " s.busy_from, s.busy_until FROM sessions s JOIN courses c ON c.id = s.course_id"
                " WHERE s.status = 'planned' ORDER BY s.start, s.id"
            )
        )
        planned = [
            PlannedRow(
                **{
                    **row._asdict(),
                    "partner_ids": frozenset(row.partner_ids),
                    "volunteer_ids": frozenset(row.volunteer_ids),
                }
            )
            for row in sessions
        ]
        measures = await connection.execute(
            text("SELECT id, from_date, until_date, locations, lifted_from FROM measures ORDER BY id")
        )
        return planned, [
            MeasureRow(**{**row._asdict(), "locations": tuple(row.locations)}) for row in measures
        ]


def violations(
    planned: Sequence[PlannedRow], measures: Iterable[MeasureRow], library: Library, zone: ZoneInfo
) -> list[str]:
    """Every rule the planned sessions break, one line each (empty: the plan keeps every rule)."""
    found: list[str] = []
    years = {s.start.astimezone(zone).year for s in planned}
    closed = frozenset(country_holidays("NL", years=sorted(years))) | library.closure_days
    measures = list(measures)
    for s in planned:
        found += _alone(s, library, zone, closed, measures)
    found += _at_once(planned, library)
    found += _ipads(planned, library)
    found += _weekly(planned, library, zone)
    return found


def _alone(
    s: PlannedRow, library: Library, zone: ZoneInfo, closed: frozenset[date], measures: list[MeasureRow]
) -> list[str]:
    """The rules one session keeps or breaks by itself."""
    found: list[str] = []
    name = f"session {s.number} of course {s.course_id[:8]} on {s.start.astimezone(zone):%Y-%m-%d %H:%M}"
    place = library.places.get(s.place_id)
    if place is None or s.room_id not in {r["id"] for r in place["rooms"]}:
        return [f"{name}: place {s.place_id} or room {s.room_id} is not in the resources file"]
    setup = library.setup(s.place_id)
    if s.end - s.start != timedelta(minutes=library.session_minutes):
        found.append(f"{name}: lasts {s.end - s.start}, not {library.session_minutes} minutes")
    if (s.busy_from, s.busy_until) != (s.start - setup, s.end + setup):
        found.append(f"{name}: set-up or packing up stored as {s.busy_from}-{s.busy_until}")
    local_from, local_until = (s.start - setup).astimezone(zone), (s.end + setup).astimezone(zone)
    day = s.start.astimezone(zone).date()
    if not _within(library.opening[s.place_id], local_from, local_until):
        found.append(f"{name}: outside the opening hours of {s.place_id} (set-up included)")
    if day in closed:
        found.append(f"{name}: on a public holiday or closure day")
    for measure in measures:
        if measure.closes(s.place_id, place["name"], day):
            found.append(f"{name}: measure {measure.id} closes {s.place_id} that day")
    if s.earliest_start is not None and day < s.earliest_start:
        found.append(f"{name}: before its course's earliest start {s.earliest_start}")
    if s.course_type not in library.qualifications.get(s.teacher_id, frozenset()):
        found.append(f"{name}: teacher {s.teacher_id} is not qualified for {s.course_type}")
    if not s.volunteer_ids:
        found.append(f"{name}: no volunteer")
    for person in sorted({s.teacher_id, *s.volunteer_ids}):
        periods = library.availability.get(person)
        if periods is None or not _within(periods, s.start.astimezone(zone), s.end.astimezone(zone)):
            found.append(f"{name}: {person} is not available then")
    if s.volunteer_ids - library.volunteers:
        found.append(f"{name}: {sorted(s.volunteer_ids - library.volunteers)} are not volunteers")
    if s.ipads and not place["bring_ipads"]:
        found.append(f"{name}: iPads brought to {s.place_id}, which has its own")
    return found


def _within(periods: Periods, start: datetime, until: datetime) -> bool:
    if start.date() != until.date():
        return False
    return any(p <= start.time() and until.time() <= u for p, u in periods.get(start.isoweekday(), []))


def _at_once(planned: Sequence[PlannedRow], library: Library) -> list[str]:
    """People and rooms in two places at once; people without the travel time between places."""
    found: list[str] = []
    for a, b in combinations(planned, 2):
        first, then = (a, b) if a.busy_from <= b.busy_from else (b, a)
        gap = then.busy_from - first.busy_until
        if gap < timedelta() and (a.place_id, a.room_id) == (b.place_id, b.room_id):
            found.append(f"room {a.place_id}/{a.room_id} is booked twice at {then.busy_from}: {a.id}, {b.id}")
        needed = library.minutes_between(first.place_id, then.place_id)
        for person in sorted(({a.teacher_id} | a.volunteer_ids) & ({b.teacher_id} | b.volunteer_ids)):
            if gap < timedelta():
                found.append(f"{person} is in two sessions at once at {then.busy_from}: {a.id}, {b.id}")
            elif gap < needed:
                found.append(
                    f"{person} has {gap} to travel from {first.place_id} to {then.place_id}, "
                    f"needs {needed}: {first.id}, {then.id}"
                )
    return found


def _ipads(planned: Sequence[PlannedRow], library: Library) -> list[str]:
    """The pool never exceeded, counting the iPads out of the library while they travel."""
    home = library.ipad_home
    changes: list[tuple[datetime, int]] = []
    for s in planned:
        if s.ipads:
            journey = library.minutes_between(home, s.place_id) if home else timedelta()
            changes += [(s.busy_from - journey, s.ipads), (s.busy_until + journey, -s.ipads)]
    in_use = 0
    # Returns before new uses at the same moment: an iPad back at 11:00 can leave at 11:00.
    for moment, change in sorted(changes, key=lambda c: (c[0], c[1])):
        in_use += change
        if in_use > library.ipads:
            return [f"{in_use} iPads out at {moment}, the pool has {library.ipads}"]
    return []


def _weekly(planned: Sequence[PlannedRow], library: Library, zone: ZoneInfo) -> list[str]:
    """The weekly limit per partner and course type; one session a week per course."""
    found: list[str] = []
    courses: dict[tuple[str, str, tuple[int, int]], set[str]] = defaultdict(set)
    sessions: dict[tuple[str, tuple[int, int]], int] = defaultdict(int)
    for s in planned:
        year, number, _ = s.start.astimezone(zone).date().isocalendar()
        sessions[s.course_id, (year, number)] += 1
        for partner in s.partner_ids:
            courses[partner, s.course_type, (year, number)].add(s.course_id)
    for (partner, course_type, week), ids in sorted(courses.items()):
        limit = library.weekly_limits.get(course_type)
        if limit is not None and len(ids) > limit:
            found.append(f"{partner} has {len(ids)} {course_type} courses in week {week}, limit {limit}")
    for (course_id, week), count in sorted(sessions.items()):
        if count > 1:
            found.append(f"course {course_id[:8]} has {count} sessions in week {week}")
    return found


async def assert_plan_holds(engine: AsyncEngine, resources_file: Path, zone: ZoneInfo) -> list[PlannedRow]:
    """Fail with every broken rule; else the planned sessions, for the test's own checks."""
    planned, measures = await read_plan(engine)
    broken = violations(planned, measures, read_library(resources_file), zone)
    assert not broken, "\n".join(broken)
    return planned
