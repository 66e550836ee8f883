"""Each process keeps the planned sessions indexed between groups, and stays exact beside others.

Two `KnownBookings` stand for two scheduling processes on one database. A process that planned
the last group plans the next without reading the bookings again; after another process (or any
other writer of `sessions`) changed them, it reads them again, so nobody is booked twice.
"""

from __future__ import annotations

import functools
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from scheduling.adapters.repository import KnownBookings, SchedulingRepository
from scheduling.domain.planner import Resources
from scheduling.service_layer.handlers import announce_measures, schedule_group
from taalhuis_shared.messaging.unit_of_work import UnitOfWork
from tests.support.handling import handle

from .conftest import (
    LEAD_DAYS,
    NOW,
    assert_constraints_hold,
    course_rows,
    group_filled,
    measures_announced,
    session_rows,
)


def process(engine: AsyncEngine, resources: Resources) -> Any:
    """A new unit of work per call, on one process's index."""
    repository = functools.partial(SchedulingRepository, known=KnownBookings(resources.zone))
    return lambda: UnitOfWork(engine, repository)


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the times the bookings are read from the database."""
    counted: list[int] = []
    original = SchedulingRepository.bookings

    async def bookings(self: SchedulingRepository, *args: Any, **kwargs: Any) -> Any:
        found = await original(self, *args, **kwargs)
        counted.append(len(found))
        return found

    monkeypatch.setattr(SchedulingRepository, "bookings", bookings)
    return counted


async def test_a_process_plans_on_its_index_and_reads_again_after_another_changed_the_bookings(
    engine: AsyncEngine, resources: Resources, reads: list[int]
) -> None:
    first, second = process(engine, resources), process(engine, resources)

    for number in (1, 2, 3):
        await handle(schedule_group, group_filled(number), first(), resources, LEAD_DAYS, NOW)
    assert reads == [0], "the first process read the bookings once and kept its index up to date"

    await handle(schedule_group, group_filled(4), second(), resources, LEAD_DAYS, NOW)
    assert reads == [0, 15], "the second process read the three courses the first planned"

    await handle(schedule_group, group_filled(5), first(), resources, LEAD_DAYS, NOW)
    assert reads == [0, 15, 20], "the first read again: the second had changed the bookings"
    await handle(schedule_group, group_filled(6), first(), resources, LEAD_DAYS, NOW)
    assert len(reads) == 3

    assert len(await course_rows(engine)) == 6
    assert_constraints_hold(await session_rows(engine), resources)


async def test_a_measure_that_cancels_sessions_makes_the_index_read_again(
    engine: AsyncEngine, resources: Resources, reads: list[int]
) -> None:
    planning = process(engine, resources)
    for number in (1, 2):
        await handle(schedule_group, group_filled(number), planning(), resources, LEAD_DAYS, NOW)
    measure = measures_announced(from_date=NOW.date())
    await handle(announce_measures, measure, planning(), resources, NOW)
    await handle(schedule_group, group_filled(3), planning(), resources, LEAD_DAYS, NOW)

    # Read at the start, and again after the measure cancelled sessions (none planned are left).
    assert reads == [0, 0]
