"""Scheduling against the real PostgreSQL (and RabbitMQ, for the in-process service)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

import scheduling
from scheduling.adapters.repository import SchedulingRepository
from scheduling.settings import Settings
from taalhuis_shared.db import make_engine, upgrade_schema
from taalhuis_shared.events import GroupFilled, GroupFilledV1, new_event
from taalhuis_shared.messaging.unit_of_work import UnitOfWork
from tests.support.databases import Databases

MIGRATIONS = Path(scheduling.__file__).parent / "migrations"

# A Monday: with the default lead time of a week, courses start from Monday 23 March 2026.
FILLED_AT = datetime(2026, 3, 16, 10, 0, tzinfo=UTC)


def group_filled_event(number: int, course_type: str = "klik-en-tik", **changes: Any) -> dict[str, Any]:
    """A GroupFilled as enrolment publishes it: five participants, one contact person."""
    data: dict[str, Any] = {
        "group_id": f"group-{number}",
        "course": {"type": course_type, "level": 1},
        "capacity": 5,
        "participants": [
            {
                "referral_id": f"ref-{number}-{n}",
                "partner_id": "promen",
                "partner_referral_id": f"PRM-{number:02d}{n:02d}",
                "display_name": f"Deelnemer{number}x{n} B.",
            }
            for n in range(5)
        ],
        "contacts": [
            {
                "partner_id": "promen",
                "contact": {"name": "Sanne de Wit", "email": "sanne.dewit@promen.example"},
            }
        ],
    }
    data.update(changes)
    group = GroupFilled.model_validate(data)
    return new_event(group, source="urn:taalhuis:enrolment", subject=group.group_id, time=FILLED_AT)


def group_filled(number: int, course_type: str = "klik-en-tik", **changes: Any) -> GroupFilledV1:
    return GroupFilledV1.model_validate(group_filled_event(number, course_type, **changes))


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
def uow(engine: AsyncEngine) -> Callable[[], UnitOfWork[SchedulingRepository]]:
    """A new unit of work per call, as the service makes one per message."""
    return lambda: UnitOfWork(engine, SchedulingRepository)


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url)
