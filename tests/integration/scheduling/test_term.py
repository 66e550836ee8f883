"""A term with measures: courses that had and had not started are paused and resumed, and the
plan afterwards keeps every hard rule, as checked by `tests/support/schedule_checker.py`."""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine

from scheduling.adapters.repository import KnownBookings, SchedulingRepository
from scheduling.adapters.tables import sessions
from scheduling.domain.planner import Resources
from scheduling.service_layer.handlers import announce_measures, lift_measures, schedule_group
from taalhuis_shared.db import make_engine, upgrade_schema
from taalhuis_shared.messaging.unit_of_work import UnitOfWork
from tests.support.databases import Databases
from tests.support.handling import handle
from tests.support.schedule_checker import assert_plan_holds, read_library, read_plan, violations

from .conftest import (
    AMSTERDAM,
    LEAD_DAYS,
    MIGRATIONS,
    NOW,
    NewUnitOfWork,
    course_rows,
    group_filled,
    load,
    local_day,
    measures_announced,
    measures_lifted,
    person,
    published,
    resources_data,
    session_rows,
    week,
)

KLIK, DIGI = "klik-en-tik", "digisterker"
FROM_12_APRIL, FROM_10_MAY = date(2027, 4, 12), date(2027, 5, 10)
MEASURES_ANNOUNCED = datetime(2027, 3, 25, 9, 0, tzinfo=UTC)  # Thursday; courses from 8 March had 3 sessions
DURING_THE_PAUSE = datetime(2027, 4, 14, 9, 0, tzinfo=UTC)
LIFT_HANDLED = datetime(2027, 4, 26, 9, 0, tzinfo=UTC)
LIFTED_FROM = date(2027, 5, 3)


def term_resources() -> dict[str, Any]:
    """Three places with travel between them, teachers with and without Digisterker, part-time
    people, a small iPad pool."""
    return resources_data(
        teachers=[
            person("anna", KLIK, DIGI),
            person("bram", KLIK, availability=week(days=("monday", "tuesday", "wednesday"))),
            person("carla", DIGI, availability=week("09:00-13:00")),
            person("dirk", KLIK),
        ],
        volunteers=[
            person("vera"),
            person("wim", availability=week("12:00-17:00")),
            person("xena", availability=week(days=("monday", "thursday"))),
            person("yara"),
        ],
        ipads=12,
        weekly_limits={KLIK: 3, DIGI: 2},
        travel_default_minutes=20,
        travel_minutes=[{"between": ["bieb", "wijk"], "minutes": 10}],
    )


def group(number: int, course_type: str, partner: str, **changes: Any) -> Any:
    """A group of four from one partner."""
    participants = [
        {
            "referral_id": f"ref-{number}-{n}",
            "partner_id": partner,
            "partner_referral_id": f"{partner.upper()}-{number:02d}{n:02d}",
            "display_name": f"Deelnemer{number}x{n} B.",
        }
        for n in range(4)
    ]
    return group_filled(number, course_type, participants=participants, **changes)


@pytest.fixture
def resources_file(tmp_path: Path) -> Path:
    load(tmp_path, term_resources(), "term.yaml")
    return tmp_path / "term.yaml"


@pytest.fixture
def term(resources_file: Path) -> Resources:
    return load(resources_file.parent, term_resources(), resources_file.name)


async def test_after_measures_and_their_lift_every_course_runs_within_its_group_s_dates_and_every_rule_holds(
    uow: NewUnitOfWork, engine: AsyncEngine, term: Resources, resources_file: Path
) -> None:
    await a_term(uow, engine, term, resources_file)


async def test_the_same_term_again_in_one_process_gives_the_same_plan(
    databases: Databases, term: Resources, resources_file: Path
) -> None:
    """Once with the bookings read for every group, once with a process's kept index: the same."""
    plans = []
    for known in (None, KnownBookings(term.zone)):
        url = await databases.create("scheduling")
        await upgrade_schema(url, MIGRATIONS)
        engine = make_engine(url)
        try:
            repository = functools.partial(SchedulingRepository, known=known)
            await a_term(functools.partial(UnitOfWork, engine, repository), engine, term, resources_file)
            plans.append(await plan_by_group(engine))
        finally:
            await engine.dispose()
    assert plans[0] == plans[1]
    assert len(plans[0]) == 9


async def plan_by_group(engine: AsyncEngine) -> dict[str, list[tuple[Any, ...]]]:
    """Every session of every course, by group, without the ids (new UUIDs on each run)."""
    groups = {c.id: g for g, c in (await course_rows(engine)).items()}
    plan: dict[str, list[tuple[Any, ...]]] = {g: [] for g in groups.values()}
    for r in await session_rows(engine):
        where = (r.place_id, r.room_id, r.teacher_id, sorted(r.volunteer_ids), r.ipads)
        plan[groups[r.course_id]].append((r.number, r.status, r.start, r.revision, *where))
    return plan


async def a_term(uow: NewUnitOfWork, engine: AsyncEngine, term: Resources, resources_file: Path) -> None:
    """Courses planned, measures, a group during the pause, the lift; checked on the way."""
    groups = [
        group(1, KLIK, "promen", preferred_locations=["wijk"]),
        group(2, DIGI, "promen", preferred_locations=["promen"]),
        group(3, KLIK, "gemeente", preferred_locations=["bieb"]),
        group(4, DIGI, "gemeente"),
        group(5, KLIK, "promen", earliest_start=FROM_12_APRIL, preferred_locations=["promen"]),
        group(6, KLIK, "promen", earliest_start=FROM_10_MAY, preferred_locations=["wijk"]),
        group(7, DIGI, "gemeente", earliest_start=FROM_10_MAY, preferred_locations=["bieb"]),
        group(8, KLIK, "uwv", earliest_start=FROM_10_MAY, preferred_locations=["promen"]),
    ]
    for filled in groups:
        await handle(schedule_group, filled, uow(), term, LEAD_DAYS, NOW)
    courses = await course_rows(engine)
    assert len(courses) == len(groups)
    first_dates = {g: min(local_day(r.start) for r in await session_rows(engine) if r.course_id == c.id)
                   for g, c in courses.items()}  # fmt: skip
    started = {g for g, day in first_dates.items() if day < local_day(MEASURES_ANNOUNCED)}
    assert started == {"group-1", "group-2", "group-3", "group-4"}
    await assert_plan_holds(engine, resources_file, AMSTERDAM)

    # The library's own places close from 1 April until lifted; the neighbourhood centre is
    # also closed in May (its hall is needed for something else). The partner's site stays open.
    corona = measures_announced("corona", from_date=date(2027, 4, 1), locations=["bieb", "wijk"])
    await handle(announce_measures, corona, uow(), term, MEASURES_ANNOUNCED)
    hall = measures_announced(
        "zaal-bezet", from_date=date(2027, 5, 1), until_date=date(2027, 5, 31), locations=["wijk"]
    )
    await handle(announce_measures, hall, uow(), term, MEASURES_ANNOUNCED)
    paused = {g for g, c in (await course_rows(engine)).items() if c.status == "paused"}
    stopped = {r.id for r in await session_rows(engine) if r.status == "cancelled"}
    assert started & paused and paused - started, "courses that had and had not started are paused"
    # During the pause another group is planned, at the partner's site (open).
    late = group(9, KLIK, "uwv", earliest_start=FROM_10_MAY, preferred_locations=["promen"])
    await handle(schedule_group, late, uow(), term, LEAD_DAYS, DURING_THE_PAUSE)
    await assert_plan_holds(engine, resources_file, AMSTERDAM)

    await handle(lift_measures, measures_lifted("corona", LIFTED_FROM), uow(), term, LIFT_HANDLED)

    planned = await assert_plan_holds(engine, resources_file, AMSTERDAM)
    after = await course_rows(engine)
    assert {g: c.status for g, c in after.items()} == {g: "planned" for g in after}
    per_course = {c.id: sorted(r.number for r in planned if r.course_id == c.id) for c in after.values()}
    assert all(numbers == [1, 2, 3, 4, 5] for numbers in per_course.values()), per_course
    new_first = {g: min(local_day(r.start) for r in planned if r.course_id == c.id) for g, c in after.items()}
    for g in paused - started:
        # No earlier than planned (the group's dates); kept when still free.
        assert new_first[g] >= first_dates[g], g
    assert any(new_first[g] == first_dates[g] for g in paused - started)
    # The started courses' stopped sessions, and those at the library's places, come after the lift.
    for r in planned:
        if r.id in stopped and (r.course_id in {after[g].id for g in started} or r.place_id != "promen"):
            assert local_day(r.start) >= LIFTED_FROM, r
    assert len(await published(engine, "CourseResumed")) == len(paused)


async def test_the_checker_finds_a_rule_broken_on_purpose(
    uow: NewUnitOfWork, engine: AsyncEngine, term: Resources, resources_file: Path
) -> None:
    """Two courses planned apart; then one session moved by hand onto the other's teacher's time."""
    for filled in (group(1, KLIK, "promen", preferred_locations=["bieb"]), group(2, DIGI, "gemeente")):
        await handle(schedule_group, filled, uow(), term, LEAD_DAYS, NOW)
    planned, measures = await read_plan(engine)
    library = read_library(resources_file)
    assert violations(planned, measures, library, AMSTERDAM) == []
    klik = next(r for r in planned if r.course_type == KLIK and r.number == 1)
    digi = next(r for r in planned if r.course_type == DIGI and r.teacher_id != klik.teacher_id)

    async with engine.begin() as connection:
        await connection.execute(
            update(sessions).where(sessions.c.id == digi.id).values(teacher_id=klik.teacher_id)
        )

    planned, measures = await read_plan(engine)
    broken = violations(planned, measures, library, AMSTERDAM)
    [line] = broken
    assert line.startswith(f"{klik.teacher_id} is in two sessions at once"), line
    assert klik.id in line and digi.id in line


async def test_a_teacher_gets_time_to_travel_from_the_library_to_the_partner_s_site(
    uow: NewUnitOfWork, engine: AsyncEngine, tmp_path: Path
) -> None:
    """From the issue: a teacher ended at the library at 11:00 and set up at the partner's from 11:00."""
    resources = load(tmp_path, resources_data(travel_default_minutes=20), "travel.yaml")
    # Digisterker: Anna is the only one who may give it. First at the library, 9:00-11:00.
    library = group(1, DIGI, "promen", preferred_locations=["bieb"])
    await handle(schedule_group, library, uow(), resources, LEAD_DAYS, NOW)
    # Then at the partner's site: set-up from 11:20 at the earliest, so the first start time
    # after that (every half hour from 9:45) is 12:15, with set-up from 11:30.
    site = group(2, DIGI, "gemeente", preferred_locations=["promen"])
    await handle(schedule_group, site, uow(), resources, LEAD_DAYS, NOW)

    planned = await assert_plan_holds(engine, tmp_path / "travel.yaml", AMSTERDAM)
    first = {r.place_id: r for r in planned if r.number == 1}
    assert first["promen"].teacher_id == first["bieb"].teacher_id == "anna"
    assert first["bieb"].end.astimezone(AMSTERDAM) == datetime(2027, 3, 8, 11, 0, tzinfo=AMSTERDAM)
    assert first["promen"].busy_from.astimezone(AMSTERDAM) == datetime(2027, 3, 8, 11, 30, tzinfo=AMSTERDAM)


async def test_ipads_packed_up_at_one_site_are_set_up_at_another_only_after_the_journeys(
    uow: NewUnitOfWork, engine: AsyncEngine, tmp_path: Path
) -> None:
    """From the issue: iPads packed up at one site until 11:30 and set up at another from 11:30."""
    travel = [{"between": ["bieb", "wijk"], "minutes": 10}, {"between": ["bieb", "promen"], "minutes": 20}]
    resources = load(tmp_path, resources_data(ipads=5, travel_minutes=travel), "ipads.yaml")
    # Four iPads in the neighbourhood centre, 9:00-12:30 with set-up and packing up: out of the
    # library 8:50-12:40. The pool of five has room for one group outside at a time.
    await handle(
        schedule_group,
        group(1, KLIK, "promen", preferred_locations=["wijk"]),
        uow(),
        resources,
        LEAD_DAYS,
        NOW,
    )
    # At the partner's site: the iPads are back at 12:40 and there at 13:00 (not from 12:30).
    await handle(
        schedule_group,
        group(2, KLIK, "uwv", preferred_locations=["promen"]),
        uow(),
        resources,
        LEAD_DAYS,
        NOW,
    )

    planned = await assert_plan_holds(engine, tmp_path / "ipads.yaml", AMSTERDAM)
    first = {r.place_id: r for r in planned if r.number == 1}
    assert first["wijk"].busy_until.astimezone(AMSTERDAM) == datetime(2027, 3, 8, 12, 30, tzinfo=AMSTERDAM)
    assert first["promen"].busy_from.astimezone(AMSTERDAM) == datetime(2027, 3, 8, 13, 0, tzinfo=AMSTERDAM)
