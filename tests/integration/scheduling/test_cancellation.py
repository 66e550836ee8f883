"""One cancelled session is planned again as a catch-up after the course's last session."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from scheduling.domain.planner import Resources
from scheduling.service_layer.handlers import cancel_session, schedule_group
from taalhuis_shared.events import SessionCancelledV1, SessionRescheduledV1
from tests.support.handling import handle

from .conftest import (
    LEAD_DAYS,
    NOW,
    NewUnitOfWork,
    assert_constraints_hold,
    cancellation,
    group_filled,
    load,
    local_day,
    person,
    published,
    resources_data,
    session_rows,
)


async def test_a_cancelled_session_gets_a_catch_up_date_after_the_last_session(
    uow: NewUnitOfWork, engine: AsyncEngine, resources: Resources
) -> None:
    await handle(schedule_group, group_filled(1), uow(), resources, LEAD_DAYS, NOW)
    before = {row.number: row for row in await session_rows(engine)}
    second = before[2]

    request = cancellation(second.id, "teacher-ill")
    await handle(cancel_session, request, uow(), resources, NOW)

    [cancelled] = [
        SessionCancelledV1.model_validate(e).data for e in await published(engine, "SessionCancelled")
    ]
    assert cancelled.session.session_id == second.id
    assert cancelled.session.revision == 1
    assert cancelled.session.start == second.start
    assert cancelled.reason_code == "teacher-ill"
    assert cancelled.reason == "De docent is ziek"
    [moved] = [
        SessionRescheduledV1.model_validate(e).data for e in await published(engine, "SessionRescheduled")
    ]
    assert moved.reason_code == "catch-up"
    assert moved.session.session_id == second.id
    assert moved.session.number == 2
    assert moved.session.revision == 2
    assert moved.previous_start == second.start
    assert local_day(moved.session.start) > local_day(before[5].start)

    after = {row.number: row for row in await session_rows(engine)}
    assert sorted(after) == [1, 2, 3, 4, 5]
    assert all(row.status == "planned" for row in after.values())
    assert after[2].id == second.id and after[2].revision == 2 and after[2].start == moved.session.start
    assert all(tuple(after[n]) == tuple(before[n]) for n in (1, 3, 4, 5))
    assert_constraints_hold(list(after.values()), resources)

    # The same command again changes nothing.
    await handle(cancel_session, request, uow(), resources, NOW)
    assert [tuple(row) for row in await session_rows(engine)] == [tuple(after[n]) for n in sorted(after)]
    assert len(await published(engine)) == 3


async def test_a_session_that_cannot_be_caught_up_stays_cancelled_and_the_coordinator_hears_why(
    uow: NewUnitOfWork, engine: AsyncEngine, resources: Resources, tmp_path: Path
) -> None:
    await handle(schedule_group, group_filled(1), uow(), resources, LEAD_DAYS, NOW)
    first = next(row for row in await session_rows(engine) if row.number == 1)
    # Meanwhile every teacher has left but one who may only give Digisterker.
    left = load(tmp_path, resources_data(teachers=[person("dirk", "digisterker")]), "later.yaml")

    await handle(cancel_session, cancellation(first.id), uow(), left, NOW)

    assert [e["type"] for e in await published(engine)] == [
        "CourseScheduled",
        "SessionCancelled",
        "GroupUnschedulable",
    ]
    [unschedulable] = await published(engine, "GroupUnschedulable")
    assert unschedulable["data"]["group_id"] == "group-1"
    assert unschedulable["data"]["reason_code"] == "no-qualified-teacher"
    assert unschedulable["data"]["session_id"] == first.id
    assert unschedulable["data"]["course_id"] == first.course_id
    rows = {row.number: row for row in await session_rows(engine)}
    assert rows[1].status == "cancelled" and rows[1].revision == 1
    assert [rows[n].status for n in (2, 3, 4, 5)] == ["planned"] * 4

    # Cancelling it again, for another reason, is refused: it is cancelled already.
    await handle(cancel_session, cancellation(first.id, "room-unavailable"), uow(), left, NOW)
    [refused] = await published(engine, "SessionCancellationRefused")
    assert (refused["data"]["session_id"], refused["data"]["reason_code"]) == (first.id, "already-cancelled")


async def test_a_cancellation_of_an_unknown_session_changes_nothing_and_is_refused(
    uow: NewUnitOfWork, engine: AsyncEngine, resources: Resources
) -> None:
    await handle(schedule_group, group_filled(1), uow(), resources, LEAD_DAYS, NOW)
    rows = [tuple(row) for row in await session_rows(engine)]

    await handle(cancel_session, cancellation("no-such-session"), uow(), resources, NOW)

    assert [tuple(row) for row in await session_rows(engine)] == rows
    assert [e["type"] for e in await published(engine)] == ["CourseScheduled", "SessionCancellationRefused"]
    [refused] = await published(engine, "SessionCancellationRefused")
    assert refused["data"]["session_id"] == "no-such-session"
    assert refused["data"]["reason_code"] == "unknown-session"
    assert "niet bekend" in refused["data"]["reason"]


async def test_a_session_that_has_begun_is_not_cancelled_and_the_coordinator_hears_why(
    uow: NewUnitOfWork, engine: AsyncEngine, resources: Resources
) -> None:
    await handle(schedule_group, group_filled(1), uow(), resources, LEAD_DAYS, NOW)
    first = next(row for row in await session_rows(engine) if row.number == 1)
    rows = [tuple(row) for row in await session_rows(engine)]

    await handle(cancel_session, cancellation(first.id), uow(), resources, first.start + timedelta(minutes=5))

    assert [tuple(row) for row in await session_rows(engine)] == rows
    assert [e["type"] for e in await published(engine)] == ["CourseScheduled", "SessionCancellationRefused"]
    [refused] = await published(engine, "SessionCancellationRefused")
    assert (refused["data"]["session_id"], refused["data"]["reason_code"]) == (first.id, "in-the-past")
