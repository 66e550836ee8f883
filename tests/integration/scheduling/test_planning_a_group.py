"""A filled group gets its course (or the coordinator hears why not); a changed group is kept current."""

from __future__ import annotations

import asyncio
import logging
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from scheduling.adapters.tables import courses
from scheduling.domain.planner import Resources
from scheduling.service_layer.handlers import announce_measures, change_group, schedule_group
from taalhuis_shared.events import CourseScheduledV1, GroupUnschedulableV1
from tests.support.handling import handle

from .conftest import (
    LEAD_DAYS,
    NOW,
    NewUnitOfWork,
    assert_constraints_hold,
    course_rows,
    group_changed,
    group_filled,
    load,
    measures_announced,
    person,
    published,
    resources_data,
    session_rows,
    week,
)


async def test_a_filled_group_gets_five_sessions_with_a_teacher_volunteer_room_and_ipads(
    uow: NewUnitOfWork, engine: AsyncEngine, resources: Resources, caplog: pytest.LogCaptureFixture
) -> None:
    event = group_filled(1, preferred_locations=["Wijkgebouw Korte Akkeren"])
    with caplog.at_level(logging.DEBUG):
        await handle(schedule_group, event, uow(), resources, LEAD_DAYS, NOW)

    [published_event] = await published(engine)
    scheduled = CourseScheduledV1.model_validate(published_event).data
    assert scheduled.group_id == "group-1"
    assert [s.number for s in scheduled.sessions] == [1, 2, 3, 4, 5]
    assert len({s.session_id for s in scheduled.sessions}) == 5
    assert all(s.revision == 0 for s in scheduled.sessions)
    first = scheduled.sessions[0]
    assert first.start.date() >= NOW.date() + timedelta(days=LEAD_DAYS)
    # The preferred neighbourhood centre: iPads brought, one per participant, set up beforehand.
    assert scheduled.location.name == "Wijkgebouw Korte Akkeren"
    assert first.location == scheduled.location and first.teacher == scheduled.teacher
    assert first.room == "Zaal"
    assert first.ipads == 5
    assert first.setup_start == first.start - timedelta(minutes=45)
    assert first.volunteers and first.volunteers[0].email.endswith("@bibliotheekgouda.example")
    assert scheduled.participants == event.data.participants
    assert scheduled.contacts == event.data.contacts

    rows = await session_rows(engine)
    assert sorted(row.id for row in rows) == sorted(s.session_id or "" for s in scheduled.sessions)
    assert all(row.status == "planned" for row in rows)
    assert (await course_rows(engine))["group-1"].status == "planned"
    # Participants' names stay out of the logs.
    assert not any(p.display_name.split()[0] in caplog.text for p in event.data.participants)


async def test_at_the_library_no_ipads_are_brought(
    uow: NewUnitOfWork, engine: AsyncEngine, resources: Resources
) -> None:
    await handle(
        schedule_group, group_filled(1, preferred_locations=["bieb"]), uow(), resources, LEAD_DAYS, NOW
    )
    scheduled = CourseScheduledV1.model_validate((await published(engine))[0]).data
    assert scheduled.location.name == "Bibliotheek Gouda, De Chocoladefabriek"
    assert all(s.ipads == 0 and s.setup_start is None for s in scheduled.sessions)


async def test_the_same_group_filled_twice_plans_once_and_publishes_once(
    uow: NewUnitOfWork, engine: AsyncEngine, resources: Resources
) -> None:
    event = group_filled(1)
    await handle(schedule_group, event, uow(), resources, LEAD_DAYS, NOW)
    await handle(schedule_group, event, uow(), resources, LEAD_DAYS, NOW)
    # The same group again under a new event id (republished by hand) keeps its one course.
    await handle(schedule_group, group_filled(1), uow(), resources, LEAD_DAYS, NOW)

    assert len(await course_rows(engine)) == 1
    assert len(await session_rows(engine)) == 5
    assert len(await published(engine)) == 1


async def test_groups_planned_at_the_same_time_never_double_book_anyone_or_anything(
    uow: NewUnitOfWork, engine: AsyncEngine, tmp_path: Path
) -> None:
    # One place with one room and two teachers: every group competes for the same things.
    data = resources_data()
    data["places"] = data["places"][:1]
    data["places"][0]["rooms"] = data["places"][0]["rooms"][:1]
    tight = load(tmp_path, data)
    # In parallel, as several processes would.
    await asyncio.gather(
        *(handle(schedule_group, group_filled(n), uow(), tight, LEAD_DAYS, NOW) for n in range(4))
    )

    rows = await session_rows(engine)
    assert len(rows) == 20
    assert_constraints_hold(rows, tight)
    assert [e["type"] for e in await published(engine)] == ["CourseScheduled"] * 4


async def test_a_group_whose_only_qualified_teacher_is_unavailable_cannot_be_planned(
    uow: NewUnitOfWork, engine: AsyncEngine, tmp_path: Path
) -> None:
    # Only Dirk may give Digisterker, and he works on Saturdays, when no place is open.
    data = resources_data(
        teachers=[
            person("anna", "klik-en-tik"),
            person("dirk", "digisterker", availability=week(days=("saturday",))),
        ]
    )
    await handle(schedule_group, group_filled(1, "digisterker"), uow(), load(tmp_path, data), LEAD_DAYS, NOW)

    [event] = await published(engine)
    unschedulable = GroupUnschedulableV1.model_validate(event).data
    assert unschedulable.group_id == "group-1"
    assert unschedulable.reason_code == "no-qualified-teacher"
    assert "docent" in unschedulable.reason
    assert await course_rows(engine) == {}
    assert await session_rows(engine) == []


async def test_a_course_does_not_start_before_the_intake_date(
    uow: NewUnitOfWork, engine: AsyncEngine, resources: Resources
) -> None:
    await handle(
        schedule_group, group_filled(1, earliest_start="2027-06-01"), uow(), resources, LEAD_DAYS, NOW
    )
    scheduled = CourseScheduledV1.model_validate((await published(engine))[0]).data
    assert date(2027, 6, 1) <= scheduled.sessions[0].start.date() < date(2027, 6, 8)


async def test_a_group_filled_while_a_measure_closes_everything_is_planned_after_it(
    uow: NewUnitOfWork, engine: AsyncEngine, resources: Resources
) -> None:
    await handle(
        announce_measures,
        measures_announced("corona-1", from_date="2027-03-01", until_date="2027-04-30"),
        uow(),
        resources,
        NOW,
    )
    await handle(schedule_group, group_filled(1), uow(), resources, LEAD_DAYS, NOW)
    scheduled = CourseScheduledV1.model_validate((await published(engine, "CourseScheduled"))[0]).data
    assert scheduled.sessions[0].start.date() >= date(2027, 5, 1)


async def test_a_smaller_group_brings_fewer_ipads_and_the_course_knows_who_is_in_it(
    uow: NewUnitOfWork, engine: AsyncEngine, resources: Resources
) -> None:
    await handle(
        schedule_group, group_filled(1, preferred_locations=["wijk"]), uow(), resources, LEAD_DAYS, NOW
    )
    changed = group_changed(1, size=4)
    await handle(change_group, changed, uow(), resources, NOW)
    await handle(change_group, changed, uow(), resources, NOW)  # the same event again changes nothing

    course = (await course_rows(engine))["group-1"]
    assert [p["referral_id"] for p in course.participants] == [
        p.referral_id for p in changed.data.participants
    ]
    assert {row.ipads for row in await session_rows(engine)} == {4}
    assert [e["type"] for e in await published(engine)] == ["CourseScheduled"]


async def test_a_larger_group_keeps_its_ipads_when_the_pool_has_no_more_free(
    uow: NewUnitOfWork, engine: AsyncEngine, tmp_path: Path
) -> None:
    # Nine iPads: a group of four and a group of five fit side by side, two of five do not.
    small_pool = load(tmp_path, resources_data(ipads=9))
    await handle(
        schedule_group,
        group_filled(1, size=4, preferred_locations=["wijk"]),
        uow(),
        small_pool,
        LEAD_DAYS,
        NOW,
    )
    await handle(
        schedule_group, group_filled(2, preferred_locations=["promen"]), uow(), small_pool, LEAD_DAYS, NOW
    )
    rows = await session_rows(engine)
    courses = await course_rows(engine)
    first = [row for row in rows if row.course_id == courses["group-1"].id]
    second = [row for row in rows if row.course_id == courses["group-2"].id]
    assert {row.place_id for row in first} == {"wijk"} and {row.place_id for row in second} == {"promen"}
    # Side by side: each week both hold their iPads at the same time.
    for one, other in zip(first, second, strict=True):
        assert one.busy_from < other.busy_until and other.busy_from < one.busy_until

    await handle(change_group, group_changed(1, size=5), uow(), small_pool, NOW)

    assert {row.ipads for row in await session_rows(engine) if row.course_id == courses["group-1"].id} == {4}
    assert len((await course_rows(engine))["group-1"].participants) == 5


async def test_a_change_that_comes_before_its_group_is_planned_is_kept_for_it(
    uow: NewUnitOfWork, engine: AsyncEngine, resources: Resources
) -> None:
    # A participant withdrew a minute after the group filled; scheduling saw the change first.
    await handle(
        change_group, group_changed(1, size=4, time=NOW + timedelta(minutes=1)), uow(), resources, NOW
    )
    await handle(schedule_group, group_filled(1), uow(), resources, LEAD_DAYS, NOW)

    scheduled = CourseScheduledV1.model_validate((await published(engine, "CourseScheduled"))[0]).data
    assert len(scheduled.participants) == 4
    assert {s.ipads for s in scheduled.sessions} <= {0, 4}


async def test_an_older_change_does_not_undo_the_group_as_filled(
    uow: NewUnitOfWork, engine: AsyncEngine, resources: Resources
) -> None:
    await handle(
        change_group, group_changed(1, size=3, time=NOW - timedelta(minutes=1)), uow(), resources, NOW
    )
    await handle(schedule_group, group_filled(1), uow(), resources, LEAD_DAYS, NOW)

    scheduled = CourseScheduledV1.model_validate((await published(engine, "CourseScheduled"))[0]).data
    assert len(scheduled.participants) == 5


async def test_a_change_older_than_the_courses_membership_changes_nothing(
    uow: NewUnitOfWork, engine: AsyncEngine, resources: Resources
) -> None:
    await handle(schedule_group, group_filled(1), uow(), resources, LEAD_DAYS, NOW)
    await handle(
        change_group, group_changed(1, size=3, time=NOW + timedelta(minutes=2)), uow(), resources, NOW
    )
    # An earlier change, delivered late: the group already looks as the newer one says.
    await handle(
        change_group, group_changed(1, size=4, time=NOW + timedelta(minutes=1)), uow(), resources, NOW
    )

    async with engine.connect() as connection:
        [participants] = (await connection.execute(select(courses.c.participants))).one()
    assert len(participants) == 3
