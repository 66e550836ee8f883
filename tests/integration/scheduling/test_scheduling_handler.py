"""Scheduling's handler on the real database, and the service in-process on the real broker."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from aio_pika.abc import AbstractRobustConnection
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from scheduling.adapters.repository import SchedulingRepository
from scheduling.adapters.tables import courses, sessions
from scheduling.bootstrap import build_app, planning_policy
from scheduling.domain.model import Policy
from scheduling.service_layer.handlers import schedule_group
from scheduling.settings import Settings
from taalhuis_shared.events import CourseScheduledV1
from taalhuis_shared.messaging.store import outbox
from taalhuis_shared.messaging.unit_of_work import UnitOfWork
from tests.support.broker import Namespace, open_tap, publish

from .conftest import group_filled, group_filled_event

NewUnitOfWork = Callable[[], UnitOfWork[SchedulingRepository]]


@pytest.fixture
def policy(settings: Settings) -> Policy:
    return planning_policy(settings)


async def count(engine: AsyncEngine, table: Any) -> int:
    async with engine.connect() as connection:
        return int(await connection.scalar(select(func.count()).select_from(table)) or 0)


async def outbox_events(engine: AsyncEngine) -> list[dict[str, Any]]:
    async with engine.connect() as connection:
        bodies = await connection.scalars(select(outbox.c.body).order_by(outbox.c.seq))
        return [json.loads(body) for body in bodies]


async def booked(engine: AsyncEngine) -> list[tuple[str, Any]]:
    async with engine.connect() as connection:
        return [tuple(row) for row in await connection.execute(select(sessions.c.slot_id, sessions.c.date))]


async def test_a_filled_group_gets_one_course_of_five_sessions_and_one_event(
    uow: NewUnitOfWork, engine: AsyncEngine, policy: Policy, caplog: pytest.LogCaptureFixture
) -> None:
    event = group_filled(1)
    with caplog.at_level(logging.DEBUG):
        await schedule_group(event, uow(), policy)

    assert await count(engine, courses) == 1
    assert await count(engine, sessions) == 5
    [published] = await outbox_events(engine)
    scheduled = CourseScheduledV1.model_validate(published).data
    assert scheduled.group_id == "group-1"
    assert [s.number for s in scheduled.sessions] == [1, 2, 3, 4, 5]
    assert scheduled.sessions[0].start.date().isoformat() >= "2026-03-23"
    assert scheduled.teacher.email.endswith("@bibliotheekgouda.example")
    assert scheduled.participants == event.data.participants
    assert scheduled.contacts == event.data.contacts
    # Participants' names stay out of the logs.
    assert not any(p.display_name.split()[0] in caplog.text for p in event.data.participants)


async def test_the_same_group_filled_twice_plans_once_and_publishes_once(
    uow: NewUnitOfWork, engine: AsyncEngine, policy: Policy
) -> None:
    event = group_filled(1)
    await schedule_group(event, uow(), policy)
    await schedule_group(event, uow(), policy)
    # The same group again under a new event id (republished by hand) keeps its one course.
    await schedule_group(group_filled(1), uow(), policy)

    assert await count(engine, courses) == 1
    assert await count(engine, sessions) == 5
    assert await count(engine, outbox) == 1


async def test_groups_planned_at_the_same_time_never_share_a_slot_on_a_day(
    uow: NewUnitOfWork, engine: AsyncEngine, policy: Policy
) -> None:
    # One slot only, so that every group competes for it; in parallel, as two processes would.
    one_slot = dataclasses.replace(policy, slots=policy.slots[:1])
    await asyncio.gather(*(schedule_group(group_filled(n), uow(), one_slot) for n in range(3)))

    dates = await booked(engine)
    assert len(dates) == 15
    assert len(set(dates)) == 15
    assert [e["type"] for e in await outbox_events(engine)] == ["CourseScheduled"] * 3


async def test_two_groups_of_a_course_type_land_in_different_slots_or_weeks(
    uow: NewUnitOfWork, engine: AsyncEngine, policy: Policy
) -> None:
    await schedule_group(group_filled(1), uow(), policy)
    await schedule_group(group_filled(2), uow(), policy)

    dates = await booked(engine)
    assert len(dates) == len(set(dates)) == 10
    first, second = [CourseScheduledV1.model_validate(e).data for e in await outbox_events(engine)]
    assert {s.start for s in first.sessions}.isdisjoint(s.start for s in second.sessions)


async def test_a_full_horizon_tells_the_coordinator_the_group_cannot_be_planned(
    uow: NewUnitOfWork, engine: AsyncEngine, policy: Policy
) -> None:
    # One slot and one week to start in: the first group takes it, the second finds nothing.
    tight = dataclasses.replace(policy, slots=policy.slots[:1], horizon_weeks=1)
    await schedule_group(group_filled(1), uow(), tight)
    await schedule_group(group_filled(2), uow(), tight)

    assert await count(engine, courses) == 1
    scheduled, unschedulable = await outbox_events(engine)
    assert scheduled["type"] == "CourseScheduled"
    assert unschedulable["type"] == "GroupUnschedulable"
    assert unschedulable["data"]["group_id"] == "group-2"
    assert unschedulable["data"]["reason_code"] == "no-free-slot"
    assert "geen vrij tijdstip" in unschedulable["data"]["reason"]


async def test_the_service_answers_a_group_filled_with_a_course_scheduled(
    settings: Settings, amqp_url: str, namespace: Namespace, rabbit: AbstractRobustConnection
) -> None:
    tap = await open_tap(rabbit, namespace, ["CourseScheduled", "GroupUnschedulable"])
    app = build_app(
        settings.model_copy(
            update={
                "amqp_url": amqp_url,
                "events_exchange": namespace.events_exchange,
                "queue_prefix": namespace.queue_prefix,
                "outbox_poll_interval": 0.2,
            }
        )
    )
    event = group_filled_event(7, "digisterker")
    await app.start()
    try:
        await publish(rabbit, namespace, event)
        [scheduled] = await tap.wait_for("CourseScheduled", 1)
    finally:
        await app.stop()

    assert scheduled["data"]["group_id"] == "group-7"
    assert scheduled["data"]["course"] == {"type": "digisterker", "level": 1}
    assert len(scheduled["data"]["sessions"]) == 5
    assert tap.of_type("GroupUnschedulable") == []


async def test_a_course_does_not_start_before_the_intake_date(
    uow: NewUnitOfWork, engine: AsyncEngine, policy: Policy
) -> None:
    await schedule_group(group_filled(1, earliest_start="2027-03-01"), uow(), policy)
    [published] = await outbox_events(engine)
    first = CourseScheduledV1.model_validate(published).data.sessions[0].start.date()
    assert first >= date(2027, 3, 1)
    assert first < date(2027, 3, 8)  # and not later than the first free slot after it
