"""Reading the library's resources (places, people, iPads, rules) from their YAML file, at start.

The file's format is described at the top of the packaged `scheduling/resources.yaml`. Every
mistake a person editing it can make stops the service with a message that names the field.
Dutch public holidays come from the `holidays` package and join the file's closure days.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import date, time, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

import yaml
from holidays import country_holidays
from pydantic import BaseModel, BeforeValidator, ConfigDict, EmailStr, Field, ValidationError, model_validator

from ..domain.planner import Hours, Person, Place, Resources, Room

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]

PERIOD = re.compile(r"^\s*(?P<from>\d{1,2}:\d{2})\s*-\s*(?P<until>\d{1,2}:\d{2})\s*$")
CLOCK_TIME = re.compile(r"^(?P<hour>[01]?\d|2[0-3]):(?P<minute>[0-5]\d)$")
SLUG = r"^[a-z0-9]+(-[a-z0-9]+)*$"  # ids and course types: klik-en-tik, promen-gouda


class ResourcesFileError(ValueError):
    """The resources file cannot be used; the message says where and why."""


def _clock(text: str) -> time:
    found = CLOCK_TIME.match(text)
    if found is None:
        raise ValueError(f'"{text}" is not a clock time; write HH:MM, such as 09:30')
    return time(int(found["hour"]), int(found["minute"]))


def _period(value: Any) -> Hours:
    found = PERIOD.match(value) if isinstance(value, str) else None
    if found is None:
        raise ValueError('write a period as "HH:MM-HH:MM", in quotes, such as "09:00-12:30"')
    start, until = _clock(found["from"]), _clock(found["until"])
    if start >= until:
        raise ValueError(f'"{value}" ends before it starts')
    return start, until


Period = Annotated[tuple[time, time], BeforeValidator(_period)]
WeekHours = dict[Weekday, list[Period]]
Id = Annotated[str, Field(min_length=1, max_length=100, pattern=SLUG)]
CourseType = Annotated[str, Field(min_length=1, max_length=50, pattern=SLUG)]


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RoomEntry(_Entry):
    id: Id
    name: str = Field(min_length=1)


class PlaceEntry(_Entry):
    id: Id
    name: str = Field(min_length=1)
    address: str = Field(min_length=1)
    bring_ipads: bool
    rooms: list[RoomEntry] = Field(min_length=1)
    opening_hours: WeekHours

    @model_validator(mode="after")
    def _unique_rooms(self) -> PlaceEntry:
        _refuse_repeats("room ids", (room.id for room in self.rooms))
        return self


class TravelEntry(_Entry):
    between: tuple[Id, Id]  # two place ids, either way
    minutes: int = Field(ge=0, le=24 * 60)

    @model_validator(mode="after")
    def _two_places(self) -> TravelEntry:
        if self.between[0] == self.between[1]:
            raise ValueError(f"between names {self.between[0]} twice; list two different places")
        return self


class VolunteerEntry(_Entry):
    id: Id
    name: str = Field(min_length=1)
    email: EmailStr  # the same check the events make, so a bad address stops the service at start
    availability: WeekHours


class TeacherEntry(VolunteerEntry):
    qualifications: list[CourseType] = Field(min_length=1)


class ResourcesFile(_Entry):
    """The whole file."""

    places: list[PlaceEntry] = Field(min_length=1)
    teachers: list[TeacherEntry] = Field(min_length=1)
    volunteers: list[VolunteerEntry] = Field(min_length=1)
    ipads: int = Field(ge=0)
    session_minutes: int = Field(default=120, gt=0, le=12 * 60)
    setup_minutes: int = Field(default=45, ge=0, le=4 * 60)
    sessions_per_course: int = Field(default=5, ge=1)
    horizon_weeks: int = Field(default=12, ge=1, le=104)
    weekly_limits: dict[CourseType, Annotated[int, Field(ge=0)]]
    closure_days: list[date] = Field(default_factory=list)
    start_step_minutes: int = Field(default=30, gt=0, le=24 * 60)
    travel_default_minutes: int = Field(default=0, ge=0, le=24 * 60)
    travel_minutes: list[TravelEntry] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> ResourcesFile:
        _refuse_repeats("place ids", (place.id for place in self.places))
        places = {place.id for place in self.places}
        unknown_places = sorted({p for entry in self.travel_minutes for p in entry.between} - places)
        if unknown_places:
            raise ValueError(f"travel_minutes names unknown place(s) {', '.join(unknown_places)}")
        pairs = (" and ".join(sorted(entry.between)) for entry in self.travel_minutes)
        _refuse_repeats("travel_minutes pairs (either way)", pairs)
        # One namespace for people: someone booked as a volunteer is busy as a teacher too.
        _refuse_repeats("person ids (teachers and volunteers together)", (p.id for p in self.people))
        unknown = sorted({q for t in self.teachers for q in t.qualifications} - set(self.weekly_limits))
        if unknown:
            raise ValueError(
                f"weekly_limits has no limit for the course type(s) {', '.join(unknown)} that teachers "
                "are qualified for; add them (or correct the spelling)"
            )
        return self

    @property
    def people(self) -> list[VolunteerEntry]:
        return [*self.teachers, *self.volunteers]


def _refuse_repeats(what: str, ids: Iterable[str]) -> None:
    repeated = sorted(i for i, count in Counter(ids).items() if count > 1)
    if repeated:
        raise ValueError(f"{what} must be unique; repeated: {', '.join(repeated)}")


def _week(hours: Mapping[Weekday, list[Hours]]) -> dict[int, tuple[Hours, ...]]:
    return {WEEKDAYS.index(day) + 1: tuple(sorted(periods)) for day, periods in hours.items() if periods}


def public_holidays(years: Iterable[int]) -> frozenset[date]:
    """The Dutch public holidays in those years."""
    return frozenset(country_holidays("NL", years=list(years)).keys())


def holiday_years(today: date, horizon_weeks: int, sessions_per_course: int) -> range:
    """The years a plan made while this file is loaded can reach.

    A course may start up to the horizon after its earliest day and closed weeks move its
    sessions on, so the reach is twice the horizon plus a course; and the service may run a long
    time without a restart, so never fewer than this year and the next two.
    """
    reach = today + timedelta(weeks=2 * horizon_weeks + sessions_per_course)
    return range(today.year, max(reach.year, today.year + 2) + 1)


def parse_resources(text: str, zone: ZoneInfo, today: date, source: str = "resources file") -> Resources:
    """The resources in `text` (YAML); ResourcesFileError says what is wrong."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ResourcesFileError(f"{source}: not valid YAML: {error}") from error
    try:
        entries = ResourcesFile.model_validate(raw)
    except ValidationError as error:
        problems = "\n".join(
            f"  {'.'.join(str(part) for part in problem['loc']) or '(the file)'}: {problem['msg']}"
            for problem in error.errors()
        )
        raise ResourcesFileError(f"{source}: {error.error_count()} problem(s):\n{problems}") from error
    years = holiday_years(today, entries.horizon_weeks, entries.sessions_per_course)
    return Resources(
        places=tuple(
            Place(
                id=p.id,
                name=p.name,
                address=p.address,
                rooms=tuple(Room(r.id, r.name) for r in p.rooms),
                opening_hours=_week(p.opening_hours),
                bring_ipads=p.bring_ipads,
            )
            for p in entries.places
        ),
        teachers=tuple(
            Person(t.id, t.name, t.email, _week(t.availability), frozenset(t.qualifications))
            for t in entries.teachers
        ),
        volunteers=tuple(Person(v.id, v.name, v.email, _week(v.availability)) for v in entries.volunteers),
        ipads=entries.ipads,
        zone=zone,
        session_minutes=entries.session_minutes,
        setup_minutes=entries.setup_minutes,
        sessions_per_course=entries.sessions_per_course,
        horizon_weeks=entries.horizon_weeks,
        weekly_limits=dict(entries.weekly_limits),
        closed_days=public_holidays(years) | frozenset(entries.closure_days),
        start_step_minutes=entries.start_step_minutes,
        travel_minutes={frozenset(entry.between): entry.minutes for entry in entries.travel_minutes},
        travel_default_minutes=entries.travel_default_minutes,
        # The iPads are kept where they are not brought: the first such place (the library).
        ipads_kept_at=next((p.id for p in entries.places if not p.bring_ipads), None),
    )


def load_resources(path: Path, zone: ZoneInfo, today: date) -> Resources:
    """The resources in the YAML file at `path`, with the Dutch public holidays from `today` on.

    Raises ResourcesFileError (a ValueError) naming the file and every problem in it, so the
    service stops at start rather than planning with half a configuration.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ResourcesFileError(f"{path}: cannot be read: {error}") from error
    return parse_resources(text, zone, today, source=str(path))
