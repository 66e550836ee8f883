"""What notifications knows of a group stays whole when two processes handle its events at once."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from notifications.adapters.tables import group_staff
from notifications.service_layer.handlers import notify, prepare
from tests.integration.notifications.test_notifications import AUDIENCE, ENVELOPE, unit_of_work
from tests.support.waiting import eventually
from tests.unit.notifications import courses as c


async def waiting_for_a_lock(engine: AsyncEngine) -> bool:
    waits = "wait_event_type = 'Lock' AND wait_event = 'advisory' AND datname = current_database()"
    async with engine.connect() as connection:
        waiting = await connection.scalar(
            select(func.count()).select_from(text("pg_stat_activity")).where(text(waits))
        )
    return bool(waiting)


async def test_a_second_transaction_on_the_same_group_waits_and_reads_what_the_first_wrote(
    engine: AsyncEngine,
) -> None:
    scheduled = ENVELOPE.validate_python(c.event(c.course()))
    moved = ENVELOPE.validate_python(c.event(c.rescheduled(1, revision=2)))
    first = unit_of_work(engine)
    async with first:
        await prepare([(scheduled, "scheduling")], first)
        assert await first.first_time(scheduled)
        await notify(scheduled, first, AUDIENCE)

        async def second_process() -> None:
            second = unit_of_work(engine)
            async with second:
                await prepare([(moved, "scheduling")], second)
                assert await second.first_time(moved)
                await notify(moved, second, AUDIENCE)

        other = asyncio.create_task(second_process())
        await eventually(lambda: waiting_for_a_lock(engine), what="the second transaction waiting")
        assert not other.done()
    await other  # the first committed: the second reads its row and goes on

    async with engine.connect() as connection:
        row = (await connection.execute(select(group_staff))).one()
    # What only the CourseScheduled taught (the staff, that every session is known) survived the
    # second write, and the moved session has its new date.
    assert {person["email"] for person in row.staff} == {c.TEACHER, c.VOLUNTEER}
    assert row.known["complete"] is True and len(row.known["sessions"]) == 5
    new_start = c.rescheduled(1, revision=2).session.start.isoformat()
    assert row.known["sessions"]["course-1-s2@taalhuis"]["start"] == new_start
