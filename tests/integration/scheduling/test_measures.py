"""Measures cancel the sessions they cover and pause the courses; lifting them plans the rest again."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from scheduling.domain.planner import Resources
from scheduling.service_layer import handlers
from scheduling.service_layer.handlers import announce_measures, lift_measures, schedule_group
from taalhuis_shared.events import CourseResumedV1, SessionCancelledV1, SessionRescheduledV1
from tests.support.handling import handle

from .conftest import (
    LEAD_DAYS,
    NOW,
    NewUnitOfWork,
    assert_constraints_hold,
    course_rows,
    group_filled,
    local_day,
    measures_announced,
    measures_lifted,
    published,
    session_rows,
)


async def plan_three_courses(uow: NewUnitOfWork, resources: Resources) -> None:
    """Two courses at the library, one in the neighbourhood centre, at the same weeks."""
    for number, place in [(1, "bieb"), (2, "wijk"), (3, "bieb")]:
        await handle(
            schedule_group,
            group_filled(number, preferred_locations=[place]),
            uow(),
            resources,
            LEAD_DAYS,
            NOW,
        )


async def snapshot(engine: AsyncEngine) -> tuple[list[tuple[Any, ...]], int]:
    """Every session row as it is, and how many events there are (besides the answers to the coordinator)."""
    rows = [tuple(row) for row in await session_rows(engine)]
    return rows, len([e for e in await published(engine) if e["type"] != "MeasuresApplied"])


async def answers(engine: AsyncEngine) -> list[dict[str, Any]]:
    """What scheduling told the coordinator about each measure, in order (without the measure id)."""
    return [
        {k: v for k, v in e["data"].items() if k != "measure_id"}
        for e in await published(engine, "MeasuresApplied")
    ]


async def test_a_measure_cancels_the_sessions_from_its_date_at_its_places_and_its_lift_plans_them_again(
    uow: NewUnitOfWork, engine: AsyncEngine, resources: Resources
) -> None:
    await plan_three_courses(uow, resources)
    before = {row.id: row for row in await session_rows(engine)}
    courses = await course_rows(engine)
    assert {row.place_id for row in before.values()} == {"bieb", "wijk"}
    # From the day of the library course's third session, at the library only.
    library_course = sorted(
        (row for row in before.values() if row.course_id == courses["group-1"].id), key=lambda r: r.number
    )
    from_date = local_day(library_course[2].start)
    covered = {
        row.id for row in before.values() if row.place_id == "bieb" and local_day(row.start) >= from_date
    }
    # The test can tell: sessions before the date, and at the other place after it, exist too.
    assert any(r.place_id == "bieb" and local_day(r.start) < from_date for r in before.values())
    assert any(r.place_id == "wijk" and local_day(r.start) >= from_date for r in before.values())

    announce = measures_announced("corona-1", from_date=from_date, locations=["bieb"])
    await handle(announce_measures, announce, uow(), resources, NOW)

    after = {row.id: row for row in await session_rows(engine)}
    assert {i for i, row in after.items() if row.status == "cancelled"} == covered
    assert all(after[i].revision == 1 and after[i].measure_id == "corona-1" for i in covered)
    cancelled = [
        SessionCancelledV1.model_validate(e).data for e in await published(engine, "SessionCancelled")
    ]
    assert sorted(c.session.session_id or "" for c in cancelled) == sorted(covered)
    assert {c.reason_code for c in cancelled} == {"measures"}
    assert all(c.session.revision == 1 for c in cancelled)
    paused = await published(engine, "CoursePaused")
    assert sorted(e["data"]["group_id"] for e in paused) == ["group-1", "group-3"]
    assert {e["data"]["sessions_remaining"] for e in paused} == {3}
    statuses = {group: row.status for group, row in (await course_rows(engine)).items()}
    assert statuses == {"group-1": "paused", "group-2": "planned", "group-3": "paused"}
    applied = {"action": "announced", "outcome": "applied", "courses_resumed": 0, "courses_still_paused": 0}
    assert await answers(engine) == [{**applied, "sessions_cancelled": len(covered), "courses_paused": 2}]

    # The same measure again, as the same event or as a new one: nothing changes.
    state = await snapshot(engine)
    await handle(announce_measures, announce, uow(), resources, NOW)
    await handle(
        announce_measures, measures_announced("corona-1", from_date=NOW.date()), uow(), resources, NOW
    )
    assert await snapshot(engine) == state
    # Only the new event is answered (the same event is recognised by the inbox): known already.
    assert (await answers(engine))[1:] == [
        {"action": "announced", "outcome": "known-already", "sessions_cancelled": 0, "courses_paused": 0,
         "courses_resumed": 0, "courses_still_paused": 0}
    ]  # fmt: skip

    lift_date = from_date + timedelta(weeks=4)
    lift = measures_lifted("corona-1", lift_date)
    await handle(lift_measures, lift, uow(), resources, NOW)

    final = await session_rows(engine)
    # Every course still has its five sessions, none of them cancelled: replaced, not added.
    assert Counter(row.course_id for row in final) == Counter({course.id: 5 for course in courses.values()})
    assert all(row.status == "planned" for row in final)
    for course in courses.values():
        assert sorted(row.number for row in final if row.course_id == course.id) == [1, 2, 3, 4, 5]
    assert_constraints_hold(final, resources)
    moved = {row.id: row for row in final if row.id in covered}
    assert all(local_day(row.start) >= lift_date for row in moved.values())
    assert all(row.revision == 2 for row in moved.values())
    unmoved = [row for row in final if row.id not in covered]
    assert all(tuple(row) == tuple(before[row.id]) for row in unmoved)

    rescheduled = [
        SessionRescheduledV1.model_validate(e).data for e in await published(engine, "SessionRescheduled")
    ]
    assert sorted(r.session.session_id or "" for r in rescheduled) == sorted(covered)
    assert {r.reason_code for r in rescheduled} == {"measures-lifted"}
    for r in rescheduled:
        assert r.previous_start == before[r.session.session_id or ""].start
        assert r.session.start == moved[r.session.session_id or ""].start
    resumed = [CourseResumedV1.model_validate(e).data for e in await published(engine, "CourseResumed")]
    assert sorted(r.group_id for r in resumed) == ["group-1", "group-3"]
    assert all([s.number for s in r.sessions] == [3, 4, 5] for r in resumed)
    assert {row.status for row in (await course_rows(engine)).values()} == {"planned"}
    assert (await answers(engine))[-1] == {
        "action": "lifted", "outcome": "applied", "sessions_cancelled": 0, "courses_paused": 0,
        "courses_resumed": 2, "courses_still_paused": 0,
    }  # fmt: skip

    # Lifting it again (the same event) changes nothing either.
    state = await snapshot(engine)
    await handle(lift_measures, lift, uow(), resources, NOW)
    assert await snapshot(engine) == state


async def test_a_measure_until_a_date_leaves_the_sessions_after_it(
    uow: NewUnitOfWork, engine: AsyncEngine, resources: Resources
) -> None:
    await plan_three_courses(uow, resources)
    starts = sorted({local_day(row.start) for row in await session_rows(engine)})
    # Everywhere, for the days of the second and third sessions.
    from_date, until_date = starts[1], starts[2]

    await handle(
        announce_measures,
        measures_announced("kort", from_date=from_date, until_date=until_date),
        uow(),
        resources,
        NOW,
    )

    rows = await session_rows(engine)
    for row in rows:
        expected = "cancelled" if from_date <= local_day(row.start) <= until_date else "planned"
        assert row.status == expected, (row.number, local_day(row.start))
    assert Counter(row.status for row in rows) == {"cancelled": 6, "planned": 9}


async def test_a_course_that_cannot_be_planned_after_the_lift_stays_paused_and_the_coordinator_hears_why(
    uow: NewUnitOfWork, engine: AsyncEngine, resources: Resources
) -> None:
    await handle(schedule_group, group_filled(1), uow(), resources, LEAD_DAYS, NOW)
    await handle(
        announce_measures, measures_announced("corona-1", from_date=date(2027, 3, 1)), uow(), resources, NOW
    )
    # Lifted, but another measure closes every place from then on.
    await handle(
        announce_measures, measures_announced("corona-2", from_date=date(2027, 5, 1)), uow(), resources, NOW
    )
    await handle(lift_measures, measures_lifted("corona-1", date(2027, 5, 3)), uow(), resources, NOW)

    [unschedulable] = await published(engine, "GroupUnschedulable")
    assert unschedulable["data"]["group_id"] == "group-1"
    assert unschedulable["data"]["reason_code"] == "no-free-slot"
    assert (await course_rows(engine))["group-1"].status == "paused"
    assert {row.status for row in await session_rows(engine)} == {"cancelled"}
    assert await published(engine, "CourseResumed") == []
    lifted = (await answers(engine))[-1]
    assert (lifted["action"], lifted["courses_resumed"], lifted["courses_still_paused"]) == ("lifted", 0, 1)


async def test_lifting_an_unknown_measure_changes_nothing_and_says_so(
    uow: NewUnitOfWork, engine: AsyncEngine, resources: Resources
) -> None:
    await handle(schedule_group, group_filled(1), uow(), resources, LEAD_DAYS, NOW)
    state = await snapshot(engine)

    await handle(lift_measures, measures_lifted("typo", date(2027, 5, 3)), uow(), resources, NOW)

    assert await snapshot(engine) == state
    [answer] = await published(engine, "MeasuresApplied")
    assert answer["data"]["measure_id"] == "typo"
    assert (answer["data"]["action"], answer["data"]["outcome"]) == ("lifted", "unknown-measure")


async def test_a_measure_whose_end_has_passed_does_not_keep_a_course_paused(
    uow: NewUnitOfWork, engine: AsyncEngine, resources: Resources
) -> None:
    await handle(schedule_group, group_filled(1), uow(), resources, LEAD_DAYS, NOW)
    days = sorted(local_day(row.start) for row in await session_rows(engine))
    # An open-ended measure stops the course from its third session; a short one, over by
    # itself and never lifted, stopped the first two.
    await handle(announce_measures, measures_announced("open", from_date=days[2]), uow(), resources, NOW)
    short = measures_announced("short", from_date=days[0], until_date=days[1])
    await handle(announce_measures, short, uow(), resources, NOW)
    assert {row.status for row in await session_rows(engine)} == {"cancelled"}

    await handle(lift_measures, measures_lifted("open", days[4] + timedelta(weeks=1)), uow(), resources, NOW)

    assert (await course_rows(engine))["group-1"].status == "planned"
    assert len(await published(engine, "CourseResumed")) == 1


async def test_a_measure_over_several_rounds_publishes_each_course_whole_in_order_of_its_first_session(
    uow: NewUnitOfWork, engine: AsyncEngine, resources: Resources, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A lockdown is applied `COURSES_PER_ROUND` courses at a time: here one, so three rounds."""
    monkeypatch.setattr(handlers, "COURSES_PER_ROUND", 1)
    await plan_three_courses(uow, resources)
    scheduled = len(await published(engine))
    first_day = min(local_day(row.start) for row in await session_rows(engine))

    await handle(
        announce_measures, measures_announced("lockdown", from_date=first_day), uow(), resources, NOW
    )

    rows = await session_rows(engine)
    assert {row.status for row in rows} == {"cancelled"}
    assert {row.status for row in (await course_rows(engine)).values()} == {"paused"}
    events = (await published(engine))[scheduled:]
    assert [e["type"] for e in events[-1:]] == ["MeasuresApplied"]
    assert events[-1]["data"]["sessions_cancelled"] == len(rows) == 15
    assert events[-1]["data"]["courses_paused"] == 3
    # Per course its cancellations in date order, then its pause; courses by their first session.
    starts = {row.id: row.start for row in rows}
    runs: list[tuple[str, list[str], list[Any]]] = []  # course, event types, cancelled sessions' starts
    for event in events[:-1]:
        if not runs or runs[-1][0] != event["data"]["course_id"]:
            runs.append((event["data"]["course_id"], [], []))
        runs[-1][1].append(event["type"])
        if event["type"] == "SessionCancelled":
            runs[-1][2].append(starts[event["data"]["session"]["session_id"]])
    assert [types for _, types, _ in runs] == [["SessionCancelled"] * 5 + ["CoursePaused"]] * 3
    assert all(cancelled == sorted(cancelled) for _, _, cancelled in runs)
    assert [cancelled[0] for _, _, cancelled in runs] == sorted(cancelled[0] for _, _, cancelled in runs)
