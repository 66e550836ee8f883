"""Courses completed longer ago than COURSE_RETENTION_DAYS lose their people; recent ones keep them.

Two courses are planned and the first completes; with the clock moved past the period after that
completion, the retention job (every service's shredders and `finished-courses`) runs, and then
every text and JSON column of the database is searched for the first course's participants and
contact person.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from scheduling.adapters.retention import finished_courses
from scheduling.adapters.tables import courses, group_changes, sessions
from scheduling.domain.planner import Resources
from scheduling.service_layer.handlers import change_group, complete_courses, schedule_group
from scheduling.settings import Settings
from taalhuis_shared.clock import Clock
from taalhuis_shared.messaging.store import outbox
from taalhuis_shared.retention import RetentionWorker, every_service_shredders, retention_runs
from tests.support.handling import handle
from tests.support.scan import all_text

from .conftest import AMSTERDAM, LEAD_DAYS, NOW, NewUnitOfWork, group_changed, group_filled, members

DAY = timedelta(days=1)
OTHER_CONTACTS = [
    {"partner_id": "promen", "contact": {"name": "Joris Kok", "email": "joris.kok@promen.example"}}
]


def strings_of(group: int, size: int = 5) -> list[str]:
    """What identifies the members of group `group`: references and display names."""
    return [value for member in members(group, size) for key, value in member.items() if key != "partner_id"]


OLD_CONTACT = ["Sanne de Wit", "sanne.dewit@promen.example"]
RECENT_CONTACT = ["Joris Kok", "joris.kok@promen.example"]


def moved_to(moment: datetime) -> Clock:
    return Clock(offset=moment - datetime.now(UTC))


async def completed_at(engine: AsyncEngine) -> datetime:
    async with engine.connect() as connection:
        moment = await connection.scalar(
            select(courses.c.completed_at).where(courses.c.group_id == "group-1")
        )
    assert isinstance(moment, datetime)
    return moment


async def test_a_course_completed_before_the_period_keeps_no_participants_or_contacts(
    uow: NewUnitOfWork, engine: AsyncEngine, resources: Resources, settings: Settings
) -> None:
    await handle(schedule_group, group_filled(1), uow(), resources, LEAD_DAYS, NOW)
    recent = group_filled(2, contacts=OTHER_CONTACTS)
    await handle(schedule_group, recent, uow(), resources, LEAD_DAYS, NOW + timedelta(weeks=4))
    async with engine.connect() as connection:
        first_end = await connection.scalar(
            select(sessions.c.end)
            .join(courses, courses.c.id == sessions.c.course_id)
            .where(courses.c.group_id == "group-1")
            .order_by(sessions.c.end.desc())
            .limit(1)
        )
    assert isinstance(first_end, datetime)
    assert await complete_courses(uow, first_end + timedelta(hours=1), AMSTERDAM, batch=10) == 1
    # A change for a group that never got a course, half a day later: kept in group_changes.
    late = group_changed(9, 3, time=first_end + timedelta(hours=12))
    await handle(change_group, late, uow(), resources, first_end + timedelta(hours=12))
    # The relay has published everything (there is no relay here): the outbox period runs too.
    async with engine.begin() as connection:
        await connection.execute(update(outbox).values(published_at=NOW))
    done = await completed_at(engine)
    shredders = [*every_service_shredders(settings), finished_courses(settings.course_retention_days)]
    assert settings.course_retention_days == 90

    # One day before the period has passed: the completed course keeps its people.
    await RetentionWorker(engine, shredders, moved_to(done + 89 * DAY), interval=3600).run_once()
    everything = await all_text(engine)
    for present in [*strings_of(1), *OLD_CONTACT, *strings_of(9, 3), *strings_of(2), *RECENT_CONTACT]:
        assert present in everything, present

    await RetentionWorker(engine, shredders, moved_to(done + 91 * DAY), interval=3600).run_once()

    everything = await all_text(engine)
    for gone in [*strings_of(1), *OLD_CONTACT, *strings_of(9, 3)]:
        assert gone not in everything, gone
    for kept in [*strings_of(2), *RECENT_CONTACT]:
        assert kept in everything, kept
    async with engine.connect() as connection:
        rows = {row.group_id: row for row in await connection.execute(select(courses))}
        old_sessions = (
            await connection.execute(select(sessions).where(sessions.c.course_id == rows["group-1"].id))
        ).all()
        recent_sessions = (
            await connection.execute(select(sessions).where(sessions.c.course_id == rows["group-2"].id))
        ).all()
        waiting_changes = (await connection.execute(select(group_changes))).all()
        runs = (
            await connection.execute(
                select(retention_runs.c.shredder, retention_runs.c.rows_affected).order_by(
                    retention_runs.c.id
                )
            )
        ).all()
    # What planning and the numbers need stays: the course, its dates, rooms and staff ids.
    old = rows["group-1"]
    assert (old.participants, old.contacts, old.status) == ([], [], "completed")
    assert old.partner_ids == ["promen"] and old.teacher_id
    assert len(old_sessions) == 5
    for session in old_sessions:
        announced: dict[str, Any] = session.announced
        assert "teacher" not in announced and announced["volunteers"] == []
        assert announced["start"] and session.room_id and session.teacher_id
    assert all(s.announced["volunteers"] for s in recent_sessions), "the recent course keeps its staff"
    assert rows["group-2"].participants == recent.data.model_dump(mode="json")["participants"]
    assert waiting_changes == []
    # The first run (day 89) blanked nothing of the course; the second 1 course, 5 sessions and
    # the stale group change; the outbox rows had been published more than 30 days before.
    first, second = runs[:4], runs[4:]
    counts = dict(second)
    assert first[3] == ("finished-courses", 0)
    assert counts["finished-courses"] == 1 + 5 + 1
    assert counts["outbox"] == 0 and first[0][0] == "outbox" and first[0][1] > 0
