"""One mail per person when notices arrive over minutes: the window is a quiet period, and a
measure's notices wait for the measure's summary.

Against PostgreSQL, with the mail sender and an SMTP sink. The handlers and the sender share a
clock that the test moves, so minutes pass without waiting for them.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Mapping
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from notifications.adapters.mail_sender import MailSender, MailServer
from notifications.adapters.repository import RELEASE_SETTLE, NoticeRepository
from notifications.adapters.tables import group_staff, notices
from notifications.domain import groups
from notifications.domain.notices import Window, group_staff_of, notices_for
from notifications.service_layer.handlers import batch_key, notify, prepare
from notifications.service_layer.unit_of_work import NoticeUnitOfWork
from taalhuis_shared.clock import Clock
from taalhuis_shared.events import EventData
from tests.integration.notifications.test_notifications import (
    AUDIENCE,
    CONTACTS,
    ENVELOPE,
    MAIL_FROM,
    STAFF,
    deliver,
)
from tests.support.handling import handle as handle_event
from tests.support.mime import text_part
from tests.support.smtp import SmtpServer
from tests.unit.notifications import courses as c

QUIET = 60.0
MAX_WAIT = 300.0
WINDOWS: Mapping[Window, float] = {"now": 0.0, "batch": QUIET, "digest": 86400.0}
MAX_WAITS: Mapping[Window, float] = {"batch": MAX_WAIT}
EVERYONE = [*STAFF, *CONTACTS, c.COORDINATOR]


def unit_of_work(engine: AsyncEngine, clock: Clock) -> NoticeUnitOfWork:
    def repository(connection: AsyncConnection) -> NoticeRepository:
        return NoticeRepository(connection, WINDOWS, clock, MAX_WAITS)

    return NoticeUnitOfWork(engine, repository, clock=clock)


async def handle_at(engine: AsyncEngine, clock: Clock, seconds: float, data: EventData) -> None:
    clock.offset = timedelta(seconds=seconds)
    await handle_event(notify, ENVELOPE.validate_python(c.event(data)), unit_of_work(engine, clock), AUDIENCE)


async def composed_at(engine: AsyncEngine, clock: Clock, seconds: float) -> int:
    """The batches the mail sender composes when it looks at this moment."""
    clock.offset = timedelta(seconds=seconds)
    sender = MailSender(
        engine, MailServer("127.0.0.1", 1), mail_from=MAIL_FROM, audience=AUDIENCE, clock=clock
    )
    return await sender.compose_due()


async def test_notices_within_the_quiet_period_of_each_other_become_one_mail_per_person(
    engine: AsyncEngine, smtp: SmtpServer
) -> None:
    clock = Clock()
    # A measure's cancellations reach notifications over two minutes, each within a minute of the last.
    for week, seconds in enumerate([0.0, 50.0, 100.0]):
        await handle_at(engine, clock, seconds, c.cancelled(week, measure_id=None))

    # Counted from the first notice the window would have closed at 60 s, before the third came.
    assert await composed_at(engine, clock, 159.0) == 0
    assert await composed_at(engine, clock, 161.0) == len(EVERYONE)
    await deliver(engine, smtp)

    assert Counter(m["X-Envelope-To"] for m in smtp.mailbox.messages) == Counter(EVERYONE)
    [teacher] = smtp.mailbox.to(c.TEACHER)
    assert len(re.findall(r"- Les \d: dinsdag", text_part(teacher))) == 3


async def test_a_stream_of_notices_waits_no_longer_than_the_max_wait_after_the_first(
    engine: AsyncEngine, smtp: SmtpServer
) -> None:
    clock = Clock()
    # A new cancellation every 50 s: the quiet period never passes.
    for n in range(7):
        await handle_at(engine, clock, 50.0 * n, c.cancelled(n % 5, course_id=f"course-{n}", measure_id=None))

    assert await composed_at(engine, clock, MAX_WAIT - 1) == 0
    assert await composed_at(engine, clock, MAX_WAIT + 1) == len(EVERYONE)
    await deliver(engine, smtp)

    # Every notice so far went into the one mail of its person, the last one too.
    assert Counter(m["X-Envelope-To"] for m in smtp.mailbox.messages) == Counter(EVERYONE)
    [teacher] = smtp.mailbox.to(c.TEACHER)
    assert len(re.findall(r"- Les \d: dinsdag", text_part(teacher))) == 7


STAFF_AND_CONTACTS = [*STAFF, *CONTACTS]


async def test_a_measures_notices_wait_for_its_summary_however_long_its_events_take(
    engine: AsyncEngine, smtp: SmtpServer
) -> None:
    clock = Clock()
    # A lockdown's events reach notifications over ten minutes: past the quiet period and the
    # max wait between one person's notices.
    for week, seconds in enumerate([0.0, 200.0, 400.0, 600.0]):
        await handle_at(engine, clock, seconds, c.cancelled(week, course_id=f"course-{week}"))
    assert await composed_at(engine, clock, 700.0) == 0

    # Scheduling's summary comes after the measure's last event: the coordinator's mail goes now;
    # the others wait a few seconds (RELEASE_SETTLE) for events of the measure that another
    # process still has in hand, not the quiet period after the last notice (599 + 60).
    await handle_at(engine, clock, 700.0, c.measures_applied())
    assert await composed_at(engine, clock, 701.0) == 1
    await handle_at(engine, clock, 705.0, c.cancelled(4, course_id="course-4"))  # from another process
    assert await composed_at(engine, clock, 700.0 + RELEASE_SETTLE - 1) == 0
    assert await composed_at(engine, clock, 700.0 + RELEASE_SETTLE + 1) == len(STAFF_AND_CONTACTS)
    await deliver(engine, smtp)

    assert Counter(m["X-Envelope-To"] for m in smtp.mailbox.messages) == Counter(EVERYONE)
    [teacher] = smtp.mailbox.to(c.TEACHER)
    assert len(re.findall(r"- Les \d: dinsdag", text_part(teacher))) == 5
    [summary] = smtp.mailbox.to(c.COORDINATOR)
    assert "De maatregel m-1 is uitgevoerd." in text_part(summary)


async def test_a_measures_notices_go_at_the_measure_max_wait_when_no_summary_comes(
    engine: AsyncEngine, smtp: SmtpServer
) -> None:
    clock = Clock()
    await handle_at(engine, clock, 0.0, c.cancelled(0))
    await handle_at(engine, clock, 0.0, c.measures_applied(measure_id="another"))  # not this one's

    assert await composed_at(engine, clock, 3599.0) == 1  # the other measure's summary only
    assert await composed_at(engine, clock, 3601.0) == len(STAFF_AND_CONTACTS)
    await deliver(engine, smtp)
    assert Counter(m["X-Envelope-To"] for m in smtp.mailbox.messages) == Counter(EVERYONE)


async def test_a_batch_of_events_of_one_group_is_handled_as_one_at_a_time_would_be(
    engine: AsyncEngine,
) -> None:
    """The events of a batch share one unit of work, prepared once; a later event reads what an
    earlier one taught about its group (kept back until the commit)."""
    batch = [c.course(), c.cancelled(1), c.rescheduled(1, revision=2)]
    events = [ENVELOPE.validate_python(c.event(data)) for data in batch]
    assert len({batch_key(event) for event in events}) == 1  # one group: one lane
    uow = unit_of_work(engine, Clock())
    async with uow:
        await prepare([(event, "scheduling") for event in events], uow)
        for event in events:
            assert await uow.first_time(event)
            await notify(event, uow, AUDIENCE)

    known = None
    expected = 0
    for event, data in zip(events, batch, strict=True):
        expected += len(notices_for(event.id, data, AUDIENCE, [], known))
        known = groups.learn(known, data)
    async with engine.connect() as connection:
        row = (
            await connection.execute(select(group_staff).where(group_staff.c.group_id == "group-course-1"))
        ).one()
        written = await connection.scalar(select(func.count()).select_from(notices))
    assert row.known == json.loads(json.dumps(known))
    assert row.staff == group_staff_of(c.course())
    assert written == expected
