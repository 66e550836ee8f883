"""Scheduling against the real PostgreSQL (and RabbitMQ, for the in-process service).

Each test writes its own small resources file, so it knows exactly which teachers, volunteers,
rooms and iPads there are. Handlers get a fixed `now`: the dates do not depend on the day the
tests run.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from itertools import combinations
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

import scheduling
from scheduling.adapters.repository import SchedulingRepository
from scheduling.adapters.resources import load_resources
from scheduling.adapters.tables import courses, sessions
from scheduling.domain.planner import Resources
from scheduling.settings import Settings
from taalhuis_shared.db import make_engine, upgrade_schema
from taalhuis_shared.events import (
    GroupChanged,
    GroupChangedV1,
    GroupFilled,
    GroupFilledV1,
    MeasuresAnnounced,
    MeasuresAnnouncedV1,
    MeasuresLifted,
    MeasuresLiftedV1,
    SessionCancellationRequested,
    SessionCancellationRequestedV1,
    new_event,
)
from taalhuis_shared.messaging.store import outbox
from taalhuis_shared.messaging.unit_of_work import UnitOfWork
from tests.support.databases import Databases

MIGRATIONS = Path(scheduling.__file__).parent / "migrations"
AMSTERDAM = ZoneInfo("Europe/Amsterdam")

# A Monday. With the lead time of a week courses start from Monday 8 March 2027; Easter Monday
# (29 March) falls in their weeks.
NOW = datetime(2027, 3, 1, 10, 0, tzinfo=UTC)
LEAD_DAYS = 7

NewUnitOfWork = Callable[[], UnitOfWork[SchedulingRepository]]
WORKING_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday")


def week(hours: str = "09:00-17:00", days: tuple[str, ...] = WORKING_DAYS) -> dict[str, list[str]]:
    return {day: [hours] for day in days}


def person(person_id: str, *qualifications: str, **changes: Any) -> dict[str, Any]:
    found = {
        "id": person_id,
        "name": person_id.capitalize(),
        "email": f"{person_id}@bibliotheekgouda.example",
        "availability": week(),
    }
    if qualifications:
        found["qualifications"] = list(qualifications)
    return {**found, **changes}


def resources_data(**changes: Any) -> dict[str, Any]:
    """The library of these tests: its own building, a neighbourhood centre, the partner's site."""
    data: dict[str, Any] = {
        "places": [
            {
                "id": "bieb",
                "name": "Bibliotheek Gouda, De Chocoladefabriek",
                "address": "Klein Amerika 20, 2803 PK Gouda",
                "bring_ipads": False,
                "rooms": [{"id": "lokaal-1", "name": "Lokaal 1"}, {"id": "lokaal-2", "name": "Lokaal 2"}],
                "opening_hours": week(),
            },
            {
                "id": "wijk",
                "name": "Wijkgebouw Korte Akkeren",
                "address": "Voorbeeldstraat 10, 2800 AB Gouda",
                "bring_ipads": True,
                "rooms": [{"id": "zaal", "name": "Zaal"}],
                "opening_hours": week(),
            },
            {
                "id": "promen",
                "name": "Promen, werklocatie Gouda",
                "address": "Voorbeeldweg 1, 2800 AA Gouda",
                "bring_ipads": True,
                "rooms": [{"id": "kantine", "name": "Kantine"}],
                "opening_hours": week(),
            },
        ],
        "teachers": [
            person("anna", "klik-en-tik", "digisterker"),
            person("bram", "klik-en-tik"),
            person("carla", "klik-en-tik"),
        ],
        "volunteers": [person("vera"), person("wim"), person("xena")],
        "ipads": 10,
        "weekly_limits": {"klik-en-tik": 10, "digisterker": 10},
        "horizon_weeks": 12,
        "sessions_per_course": 5,
    }
    data.update(changes)
    return data


def load(tmp_path: Path, data: dict[str, Any], name: str = "resources.yaml") -> Resources:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return load_resources(path, AMSTERDAM, NOW.date())


@pytest.fixture
def resources(tmp_path: Path) -> Resources:
    return load(tmp_path, resources_data())


# --- events as the others send them ------------------------------------------------------------


def members(number: int, size: int = 5) -> list[dict[str, Any]]:
    return [
        {
            "referral_id": f"ref-{number}-{n}",
            "partner_id": "promen",
            "partner_referral_id": f"PRM-{number:02d}{n:02d}",
            "display_name": f"Deelnemer{number}x{n} B.",
        }
        for n in range(size)
    ]


CONTACTS = [
    {"partner_id": "promen", "contact": {"name": "Sanne de Wit", "email": "sanne.dewit@promen.example"}}
]


def group_filled_event(
    number: int, course_type: str = "klik-en-tik", size: int = 5, **changes: Any
) -> dict[str, Any]:
    """A GroupFilled as enrolment publishes it: participants and one contact person."""
    data: dict[str, Any] = {
        "group_id": f"group-{number}",
        "course": {"type": course_type, "level": 1},
        "capacity": 5,
        "participants": members(number, size),
        "contacts": CONTACTS,
    }
    data.update(changes)
    group = GroupFilled.model_validate(data)
    return new_event(group, source="urn:taalhuis:enrolment", subject=group.group_id, time=NOW)


def group_filled(
    number: int, course_type: str = "klik-en-tik", size: int = 5, **changes: Any
) -> GroupFilledV1:
    return GroupFilledV1.model_validate(group_filled_event(number, course_type, size, **changes))


def group_changed(number: int, size: int, time: datetime | None = None) -> GroupChangedV1:
    """Participants left group `number` without anyone taking their place: `size` remain."""
    data = GroupChanged.model_validate(
        {
            "group_id": f"group-{number}",
            "course": {"type": "klik-en-tik", "level": 1},
            "removed": members(number, 5)[size:],
            "added": [],
            "participants": members(number, size),
            "contacts": CONTACTS,
        }
    )
    # By default a minute after the group filled (group_filled's time), as in life.
    when = time or NOW + timedelta(minutes=1)
    return GroupChangedV1.model_validate(new_event(data, source="urn:taalhuis:enrolment", time=when))


COORDINATOR = "urn:taalhuis:coordinator"


def measures_announced(measure_id: str = "corona-1", **fields: Any) -> MeasuresAnnouncedV1:
    data = MeasuresAnnounced.model_validate(
        {"measure_id": measure_id, "reason": "Coronamaatregelen", **fields}
    )
    return MeasuresAnnouncedV1.model_validate(new_event(data, source=COORDINATOR))


def measures_lifted(measure_id: str, from_date: Any) -> MeasuresLiftedV1:
    data = MeasuresLifted(measure_id=measure_id, from_date=from_date)
    return MeasuresLiftedV1.model_validate(new_event(data, source=COORDINATOR))


def cancellation(session_id: str, reason_code: str = "teacher-ill") -> SessionCancellationRequestedV1:
    data = SessionCancellationRequested(
        session_id=session_id, reason_code=reason_code, reason="De docent is ziek"
    )
    return SessionCancellationRequestedV1.model_validate(new_event(data, source=COORDINATOR))


# --- the database ------------------------------------------------------------------------------


@pytest.fixture
async def database_url(databases: Databases) -> str:
    url = await databases.create("scheduling")
    await upgrade_schema(url, MIGRATIONS)
    return url


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
def uow(engine: AsyncEngine) -> NewUnitOfWork:
    """A new unit of work per call, as the service makes one per message."""
    return lambda: UnitOfWork(engine, SchedulingRepository)


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url)


async def published(engine: AsyncEngine, event_type: str | None = None) -> list[dict[str, Any]]:
    """The events in the outbox, in order; of one type when given."""
    async with engine.connect() as connection:
        bodies = await connection.scalars(select(outbox.c.body).order_by(outbox.c.seq))
        events = [json.loads(body) for body in bodies]
    return [e for e in events if event_type is None or e["type"] == event_type]


async def session_rows(engine: AsyncEngine) -> list[Any]:
    async with engine.connect() as connection:
        rows = await connection.execute(select(sessions).order_by(sessions.c.course_id, sessions.c.number))
        return list(rows)


async def course_rows(engine: AsyncEngine) -> dict[str, Any]:
    """Courses by group id."""
    async with engine.connect() as connection:
        return {row.group_id: row for row in await connection.execute(select(courses))}


def local_day(moment: datetime) -> Any:
    return moment.astimezone(AMSTERDAM).date()


def assert_constraints_hold(rows: list[Any], resources: Resources) -> None:
    """No teacher, volunteer or room in two planned sessions at once (set-up included), the iPad
    pool never exceeded, no session on a closed day."""
    planned = [row for row in rows if row.status == "planned"]
    for row in planned:
        assert local_day(row.start) not in resources.closed_days, (row.id, row.start)
    for a, b in combinations(planned, 2):
        if a.busy_from < b.busy_until and b.busy_from < a.busy_until:
            assert a.teacher_id != b.teacher_id, (a.id, b.id)
            assert (a.place_id, a.room_id) != (b.place_id, b.room_id), (a.id, b.id)
            assert not set(a.volunteer_ids) & set(b.volunteer_ids), (a.id, b.id)
    for row in planned:
        at_once = [o for o in planned if o.busy_from <= row.busy_from < o.busy_until]
        assert sum(o.ipads for o in at_once) <= resources.ipads, row.id
