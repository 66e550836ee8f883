"""After a course's last session, `CourseCompleted` is published, once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from scheduling.domain.planner import Resources
from scheduling.entrypoints.completion import CourseCompletion
from scheduling.service_layer.handlers import complete_courses, schedule_group
from taalhuis_shared.clock import Clock
from taalhuis_shared.events import CourseCompletedV1
from tests.support.handling import handle
from tests.support.waiting import eventually

from .conftest import (
    AMSTERDAM,
    LEAD_DAYS,
    NOW,
    NewUnitOfWork,
    course_rows,
    group_filled,
    local_day,
    published,
    session_rows,
)


async def test_a_course_whose_sessions_are_all_past_is_completed_once(
    uow: NewUnitOfWork, engine: AsyncEngine, resources: Resources
) -> None:
    await handle(schedule_group, group_filled(1), uow(), resources, LEAD_DAYS, NOW)
    await handle(schedule_group, group_filled(2), uow(), resources, LEAD_DAYS, NOW + timedelta(weeks=4))
    sessions = await session_rows(engine)
    courses = await course_rows(engine)
    first_course = [row for row in sessions if row.course_id == courses["group-1"].id]
    last_end: datetime = max(row.end for row in first_course)
    # The second course started later: it still has sessions to come.
    assert any(row.end > last_end for row in sessions if row.course_id == courses["group-2"].id)

    # Before the last session has ended: nothing yet.
    assert await complete_courses(uow, last_end - timedelta(minutes=1), AMSTERDAM, batch=10) == 0
    assert await published(engine, "CourseCompleted") == []

    # The service's clock moved to an hour after the last session, as CLOCK_OFFSET would.
    moved = Clock(offset=last_end + timedelta(hours=1) - datetime.now(UTC))
    worker = CourseCompletion(uow, AMSTERDAM, moved, interval=0.1)
    worker.start()
    try:
        [event] = await eventually(lambda: published(engine, "CourseCompleted"), what="CourseCompleted")
    finally:
        await worker.stop()

    completed = CourseCompletedV1.model_validate(event).data
    assert completed.group_id == "group-1"
    assert completed.course_id == courses["group-1"].id
    assert completed.completed_on == local_day(max(row.start for row in first_course))
    assert completed.participants == group_filled(1).data.participants
    statuses = {group: row.status for group, row in (await course_rows(engine)).items()}
    assert statuses == {"group-1": "completed", "group-2": "planned"}
    assert {row.status for row in await session_rows(engine) if row.course_id == completed.course_id} == {
        "held"
    }

    # Looking again, later, completes nothing twice.
    assert await complete_courses(uow, last_end + timedelta(hours=2), AMSTERDAM, batch=10) == 0
    assert len(await published(engine, "CourseCompleted")) == 1
