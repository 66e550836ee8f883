"""Lifting a measure resumes a course no earlier than its group's dates allow, keeping its plan if free."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from scheduling.adapters.tables import courses
from scheduling.domain.planner import Resources
from scheduling.service_layer.handlers import announce_measures, lift_measures, schedule_group
from taalhuis_shared.events import CourseResumedV1, SessionRescheduledV1
from tests.support.handling import handle

from .conftest import (
    LEAD_DAYS,
    NOW,
    NewUnitOfWork,
    assert_constraints_hold,
    course_rows,
    group_filled,
    load,
    local_day,
    measures_announced,
    measures_lifted,
    published,
    resources_data,
    session_rows,
)

FROM_10_MAY = date(2027, 5, 10)  # a Monday, ten weeks after NOW


def placing(row: Any) -> tuple[Any, ...]:
    """Where, when and with whom a session takes place."""
    return (
        row.number,
        row.start,
        row.end,
        row.place_id,
        row.room_id,
        row.teacher_id,
        sorted(row.volunteer_ids),
    )


def overlap(a: Any, b: Any) -> bool:
    return bool(a.busy_from < b.busy_until and b.busy_from < a.busy_until)


async def sessions_of(engine: AsyncEngine, group_id: str) -> list[Any]:
    course_id = (await course_rows(engine))[group_id].id
    return [row for row in await session_rows(engine) if row.course_id == course_id]


async def test_a_course_that_had_not_started_keeps_its_planned_sessions_when_they_are_still_free(
    uow: NewUnitOfWork, engine: AsyncEngine, resources: Resources
) -> None:
    """The bug this fixes: lifted from 8 March, the group told "from 10 May" restarted on 8 March."""
    filled = group_filled(1, earliest_start=FROM_10_MAY, preferred_locations=["wijk"])
    await handle(schedule_group, filled, uow(), resources, LEAD_DAYS, NOW)
    planned = await sessions_of(engine, "group-1")
    assert min(local_day(row.start) for row in planned) == FROM_10_MAY
    assert (await course_rows(engine))["group-1"].earliest_start == FROM_10_MAY

    await handle(announce_measures, measures_announced("m", from_date=NOW.date()), uow(), resources, NOW)
    assert {row.status for row in await sessions_of(engine, "group-1")} == {"cancelled"}
    await handle(lift_measures, measures_lifted("m", date(2027, 3, 8)), uow(), resources, NOW)

    resumed = await sessions_of(engine, "group-1")
    assert [placing(row) for row in resumed] == [placing(row) for row in planned]
    assert {row.status for row in resumed} == {"planned"}
    assert {row.revision for row in resumed} == {2}  # cancelled, then planned again: told twice
    [event] = await published(engine, "CourseResumed")
    assert [s.start for s in CourseResumedV1.model_validate(event).data.sessions] == [
        row.start for row in planned
    ]
    for e in await published(engine, "SessionRescheduled"):
        moved = SessionRescheduledV1.model_validate(e).data
        assert moved.previous_start == moved.session.start


async def test_a_course_whose_plan_was_taken_during_the_pause_resumes_from_its_group_s_earliest_start(
    uow: NewUnitOfWork, engine: AsyncEngine, resources: Resources
) -> None:
    # Digisterker: only Anna may give it. Planned in the neighbourhood centre from 10 May.
    first = group_filled(1, "digisterker", earliest_start=FROM_10_MAY, preferred_locations=["wijk"])
    await handle(schedule_group, first, uow(), resources, LEAD_DAYS, NOW)
    planned = await sessions_of(engine, "group-1")
    assert {row.place_id for row in planned} == {"wijk"}
    # The neighbourhood centre closes; while it is closed, another Digisterker group takes Anna's
    # Monday mornings at the library.
    await handle(
        announce_measures, measures_announced("wijk-dicht", from_date=NOW.date(), locations=["wijk"]),
        uow(), resources, NOW,
    )  # fmt: skip
    second = group_filled(2, "digisterker", earliest_start=FROM_10_MAY, preferred_locations=["bieb"])
    await handle(schedule_group, second, uow(), resources, LEAD_DAYS, NOW)
    taken = await sessions_of(engine, "group-2")
    # Else this test would show nothing.
    assert any(overlap(a, b) and a.teacher_id == b.teacher_id for a in taken for b in planned)

    await handle(lift_measures, measures_lifted("wijk-dicht", date(2027, 3, 8)), uow(), resources, NOW)

    resumed = await sessions_of(engine, "group-1")
    assert {row.status for row in resumed} == {"planned"}
    assert min(local_day(row.start) for row in resumed) >= FROM_10_MAY
    assert [placing(row) for row in resumed] != [placing(row) for row in planned]
    assert_constraints_hold(await session_rows(engine), resources)


async def test_a_course_planned_before_its_earliest_start_was_kept_resumes_no_earlier_than_its_first_date(
    uow: NewUnitOfWork, engine: AsyncEngine, resources: Resources
) -> None:
    """Courses in the database from before the column: their planned first date is the bound."""
    filled = group_filled(1, earliest_start=FROM_10_MAY, preferred_locations=["wijk"])
    await handle(schedule_group, filled, uow(), resources, LEAD_DAYS, NOW)
    async with engine.begin() as connection:
        await connection.execute(update(courses).values(earliest_start=None))
    planned = await sessions_of(engine, "group-1")
    measure = measures_announced("m", from_date=NOW.date(), locations=["wijk"])
    await handle(announce_measures, measure, uow(), resources, NOW)
    # A course at the library from a week earlier now has the same teacher and volunteer then.
    second = group_filled(2, earliest_start=FROM_10_MAY - timedelta(weeks=1), preferred_locations=["bieb"])
    await handle(schedule_group, second, uow(), resources, LEAD_DAYS, NOW)
    taken = await sessions_of(engine, "group-2")
    assert any(overlap(a, b) and a.teacher_id == b.teacher_id for a in taken for b in planned)

    await handle(lift_measures, measures_lifted("m", date(2027, 3, 8)), uow(), resources, NOW)

    resumed = await sessions_of(engine, "group-1")
    assert {row.status for row in resumed} == {"planned"}
    assert min(local_day(row.start) for row in resumed) >= FROM_10_MAY
    assert_constraints_hold(await session_rows(engine), resources)


async def test_a_started_course_lifted_before_its_stopped_sessions_keeps_them_as_planned(
    uow: NewUnitOfWork, engine: AsyncEngine, resources: Resources, tmp_path: Path
) -> None:
    await handle(schedule_group, group_filled(1), uow(), resources, LEAD_DAYS, NOW)
    planned = await sessions_of(engine, "group-1")
    third = local_day(planned[2].start)
    await handle(announce_measures, measures_announced("m", from_date=third), uow(), resources, NOW)
    # Meanwhile the library has a new room, first in the list: planned anew, the course would move.
    data = resources_data()
    data["places"][0]["rooms"].insert(0, {"id": "lokaal-0", "name": "Lokaal 0"})
    with_new_room = load(tmp_path, data, "new-room.yaml")

    # Lifted from the day it began: nothing was closed after all.
    await handle(lift_measures, measures_lifted("m", third), uow(), with_new_room, NOW)

    resumed = await sessions_of(engine, "group-1")
    assert [placing(row) for row in resumed] == [placing(row) for row in planned]
    assert [row.revision for row in resumed] == [0, 0, 2, 2, 2]
