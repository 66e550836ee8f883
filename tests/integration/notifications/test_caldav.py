"""Staff invitations applied in turn to a real CalDAV server (Radicale): what the calendar shows.

A course, then a moved session, then a cancelled one; and a lockdown, then the course resumed.
Events go through notifications' handler and mail sender to an SMTP server; each mail's
invitations are applied as a calendar app applies them (`tests/support/caldav.py`).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from taalhuis_shared.events import EventData
from tests.integration.notifications.test_notifications import deliver, handle
from tests.support.caldav import CalDavServer, apply, occurrences, radicale
from tests.support.mime import calendars
from tests.support.smtp import SmtpServer
from tests.unit.notifications import courses as c

SET_UP = timedelta(minutes=45)  # the example sessions are in a neighbourhood centre


@pytest.fixture
def caldav() -> Iterator[CalDavServer]:
    with radicale() as server:
        yield server


async def told(engine: AsyncEngine, smtp: SmtpServer, caldav: CalDavServer, *events: EventData) -> None:
    """Handle the events, send their mails, and apply every invitation the teacher and volunteer got."""
    for data in events:
        await handle(engine, data)
    smtp.mailbox.messages.clear()
    await deliver(engine, smtp)
    for message in smtp.mailbox.to(c.TEACHER):
        for invitation in calendars(message):
            apply(caldav, invitation)


def shown(caldav: CalDavServer) -> list[tuple[str, datetime, datetime, str]]:
    return occurrences(caldav, date(2026, 12, 1), date(2027, 6, 1))


def lesson(week: int, shift: timedelta = timedelta()) -> datetime:
    return c.FIRST_START + timedelta(weeks=week) + shift


async def test_a_course_then_a_move_then_a_cancellation_shows_the_right_sessions_once(
    engine: AsyncEngine, smtp: SmtpServer, caldav: CalDavServer
) -> None:
    await told(engine, smtp, caldav, c.course())
    first = shown(caldav)
    assert len(first) == 5 and len({uid for uid, *_ in first}) == 1
    # The staff's time runs from the set-up to the packing up, as long again after the lesson.
    assert [(start, end) for _, start, end, _ in first] == [
        (lesson(week) - SET_UP, lesson(week) + timedelta(hours=2) + SET_UP) for week in range(5)
    ]
    assert [summary for *_, summary in first] == [f"Klik & Tik niveau 1, les {n}" for n in range(1, 6)]

    moved = timedelta(days=2)
    await told(engine, smtp, caldav, c.rescheduled(1, revision=1, shift=moved))
    await told(engine, smtp, caldav, c.cancelled(3, revision=1, measure_id=None))

    final = shown(caldav)
    starts = [start + SET_UP for _, start, _, _ in final]
    assert starts == [lesson(0), lesson(1, moved), lesson(2), lesson(4)]
    assert len({uid for uid, *_ in final}) == 1  # one event, no copies of the old dates


async def test_a_lockdown_removes_the_course_and_resuming_brings_back_its_new_dates(
    engine: AsyncEngine, smtp: SmtpServer, caldav: CalDavServer
) -> None:
    await told(engine, smtp, caldav, c.course())
    await told(engine, smtp, caldav, *[c.cancelled(week) for week in range(5)], c.measures_applied())
    assert shown(caldav) == []

    await told(engine, smtp, caldav, c.resumed())
    starts = [start + SET_UP for _, start, _, _ in shown(caldav)]
    assert starts == [lesson(week, timedelta(weeks=8)) for week in range(2, 5)]
