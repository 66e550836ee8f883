"""Notifications end to end within one process: course scheduled, mails stored, mails delivered."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aio_pika.abc import AbstractRobustConnection
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from notifications.adapters.mail_sender import MailSender, MailServer
from notifications.adapters.repository import MailRepository
from notifications.adapters.tables import mails
from notifications.bootstrap import build_app
from notifications.service_layer.handlers import MailStyle, announce_course
from notifications.settings import Settings
from taalhuis_shared.events import CourseScheduled, CourseScheduledV1, new_event
from taalhuis_shared.messaging.unit_of_work import UnitOfWork
from tests.support.broker import Namespace, publish
from tests.support.smtp import SmtpServer
from tests.support.waiting import eventually
from tests.unit.notifications.courses import GEMIVA, PROMEN, TEACHER, course_data

MAIL_FROM = "taalhuis@bibliotheekgouda.example"
STYLE = MailStyle(ZoneInfo("Europe/Amsterdam"), "bibliotheekgouda.example")
RECIPIENTS = [TEACHER, PROMEN["email"], GEMIVA["email"]]


def scheduled_event(**changes: Any) -> dict[str, Any]:
    return new_event(CourseScheduled.model_validate(course_data(**changes)), source="urn:taalhuis:scheduling")


async def handle(engine: AsyncEngine, event: dict[str, Any]) -> None:
    await announce_course(CourseScheduledV1.model_validate(event), UnitOfWork(engine, MailRepository), STYLE)


async def stored_mails(engine: AsyncEngine) -> list[Any]:
    async with engine.connect() as connection:
        return list(await connection.execute(select(mails).order_by(mails.c.id)))


async def stored_mails_at(database_url: str) -> list[Any]:
    engine = create_async_engine(database_url)
    try:
        return await stored_mails(engine)
    finally:
        await engine.dispose()


async def ready_messages(rabbit: AbstractRobustConnection, queue_name: str) -> int:
    channel = await rabbit.channel()
    try:
        queue = await channel.declare_queue(queue_name, passive=True)
        return int(queue.declaration_result.message_count or 0)
    finally:
        await channel.close()


async def all_sent(engine: AsyncEngine) -> bool:
    rows = await stored_mails(engine)
    return bool(rows) and all(r.sent_at is not None for r in rows)


@asynccontextmanager
async def running_sender(engine: AsyncEngine, port: int) -> AsyncIterator[MailSender]:
    sender = MailSender(engine, MailServer("127.0.0.1", port), mail_from=MAIL_FROM, poll_interval=0.05)
    sender.start()
    try:
        yield sender
    finally:
        await sender.stop()


async def test_the_teacher_and_each_contact_get_one_mail(engine: AsyncEngine, smtp: SmtpServer) -> None:
    event = scheduled_event()
    await handle(engine, event)

    async with running_sender(engine, smtp.port) as sender:
        sender.wake()
        await eventually(lambda: len(smtp.mailbox.messages) >= 3, what="three mails")
        await eventually(lambda: all_sent(engine), what="every mail marked sent")

    for address in RECIPIENTS:
        assert len(smtp.mailbox.to(address)) == 1, address
    rows = {row.recipient: row for row in await stored_mails(engine)}
    assert set(rows) == set(RECIPIENTS)
    assert rows[TEACHER].recipient_role == "teacher"
    assert {rows[a].recipient_role for a in RECIPIENTS[1:]} == {"contact"}
    for address in RECIPIENTS:
        [message] = smtp.mailbox.to(address)
        row = rows[address]
        assert message["Message-ID"] == row.message_id
        assert message["From"] == MAIL_FROM
        assert message["Subject"] == "Cursus Klik & Tik niveau 1: start op dinsdag 8 december"
        assert row.event_id == event["id"] and row.course_id == "course-1"
        assert row.attempts == 1 and row.last_error is None
    assert "dinsdag 8 december 2026, 13:30 tot 15:30" in smtp.mailbox.to(TEACHER)[0].get_content()


async def test_the_same_course_event_twice_mails_once(engine: AsyncEngine, smtp: SmtpServer) -> None:
    event = scheduled_event()
    await handle(engine, event)
    sender = MailSender(engine, MailServer("127.0.0.1", smtp.port), mail_from=MAIL_FROM)
    assert await sender.send_due() == (3, False)

    # Redelivered after the mails went out, and once more before the sender looks again.
    await handle(engine, event)
    await handle(engine, event)
    assert await sender.send_due() == (0, False)

    assert len(await stored_mails(engine)) == 3
    assert len(smtp.mailbox.messages) == 3
    assert sorted(m["X-Envelope-To"] for m in smtp.mailbox.messages) == sorted(RECIPIENTS)


async def test_mails_wait_while_smtp_is_down_and_go_out_when_it_is_back(engine: AsyncEngine) -> None:
    smtp = SmtpServer()  # its port is chosen, but nothing listens on it yet
    await handle(engine, scheduled_event())

    async with running_sender(engine, smtp.port):

        async def all_tried_none_sent() -> bool:
            rows = await stored_mails(engine)
            return all(r.attempts > 0 and r.sent_at is None and r.last_error for r in rows)

        await eventually(all_tried_none_sent, what="every mail tried once and kept")
        assert smtp.mailbox.messages == []

        smtp.start()
        try:
            await eventually(lambda: len(smtp.mailbox.messages) >= 3, what="three mails after SMTP is up")
            await eventually(lambda: all_sent(engine), what="every mail marked sent")
        finally:
            smtp.stop()

    assert sorted(m["X-Envelope-To"] for m in smtp.mailbox.messages) == sorted(RECIPIENTS)
    assert all(row.attempts >= 2 for row in await stored_mails(engine))


async def test_a_failed_mail_waits_its_own_growing_pause(engine: AsyncEngine) -> None:
    down = SmtpServer()  # nothing listens on its port
    await handle(engine, scheduled_event())
    sender = MailSender(engine, MailServer("127.0.0.1", down.port), mail_from=MAIL_FROM, poll_interval=10)

    # Each round tries the next mail that is due; a failed one waits, so the others get their turn.
    for tried in range(1, 4):
        assert await sender.send_due() == (0, True)
        assert sum(row.attempts for row in await stored_mails(engine)) == tried
    assert await sender.send_due() == (0, False)  # all three are waiting now

    rows = await stored_mails(engine)
    assert all(r.attempts == 1 and "Connect" in r.last_error for r in rows)
    assert all(r.next_attempt_at - r.created_at >= timedelta(seconds=19) for r in rows)


async def test_the_service_mails_a_course_scheduled_event_from_rabbitmq(
    database_url: str,
    amqp_url: str,
    namespace: Namespace,
    rabbit: AbstractRobustConnection,
    smtp: SmtpServer,
) -> None:
    settings = Settings(
        amqp_url=amqp_url,
        database_url=database_url,
        events_exchange=namespace.events_exchange,
        queue_prefix=namespace.queue_prefix,
        smtp_port=smtp.port,
        mail_from=MAIL_FROM,
        # Far longer than the test may wait: the mails arrive in time only if the handler wakes the sender.
        mail_poll_interval=60,
    )
    event = scheduled_event()
    app = build_app(settings)
    await app.start()
    try:
        await publish(rabbit, namespace, event)
        await publish(rabbit, namespace, event)  # a duplicate, as after a lost publisher confirm
        await eventually(lambda: len(smtp.mailbox.messages) >= 3, what="three mails")
    finally:
        await app.stop()

    # Both deliveries were handled and acked: the duplicate added no mail.
    assert await ready_messages(rabbit, namespace.topology("notifications").queue_name) == 0
    assert len(await stored_mails_at(database_url)) == 3
    assert sorted(m["X-Envelope-To"] for m in smtp.mailbox.messages) == sorted(RECIPIENTS)
    teacher_mail = smtp.mailbox.to(TEACHER)[0].get_content()
    for name in ["Ahmed B.", "Fatima E.", "Kees V.", "Anna de J.", "Priya S."]:
        assert name in teacher_mail
