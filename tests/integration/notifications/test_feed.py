"""The staff's calendar feeds: one person's sessions as notifications knows them now, over HTTP.

Against PostgreSQL (events handled by the real handler), the feed app driven over ASGI, and the
service itself on a real port; what a calendar app shows is the feed expanded with
`recurring_ical_events`.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import httpx
import recurring_ical_events
from aio_pika.abc import AbstractRobustConnection
from icalendar import Calendar
from sqlalchemy.ext.asyncio import AsyncEngine

from notifications.adapters.mail_sender import MailSender, MailServer
from notifications.bootstrap import build_app
from notifications.domain.calendar import FeedLinks, feed_token
from notifications.entrypoints.feed import feed_app
from notifications.settings import Settings
from taalhuis_shared.clock import Clock
from tests.integration.notifications.test_notifications import AUDIENCE, MAIL_FROM, handle, quiet
from tests.support.broker import Namespace, publish
from tests.support.mime import text_part
from tests.support.smtp import SmtpServer, free_port
from tests.support.waiting import eventually
from tests.unit.notifications import courses as c

LINKS = FeedLinks("https://taalhuis.example", "a feed secret for the tests")
OTHER_TEACHER = "joost.deboer@bibliotheekgouda.example"


def app(engine: AsyncEngine) -> Any:
    return feed_app(
        engine,
        LINKS,
        audience=AUDIENCE,
        mail_from=MAIL_FROM,
        timezone=ZoneInfo("Europe/Amsterdam"),
        clock=Clock(),
    )


async def get_feed(engine: AsyncEngine, address: str) -> httpx.Response:
    path = urlsplit(LINKS.url_for(address)).path
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app(engine)), base_url="http://feed"
    ) as client:
        return await client.get(path)


def starts(response: httpx.Response) -> list[Any]:
    """The occurrences a calendar app shows from the feed: their lesson starts, by date."""
    calendar = Calendar.from_ical(response.content)
    shown = recurring_ical_events.of(calendar).between(date(2026, 12, 1), date(2027, 6, 1))
    return sorted(event.decoded("dtstart") + timedelta(minutes=45) for event in shown)  # after the set-up


def lessons(*weeks: int) -> list[Any]:
    return [c.FIRST_START + timedelta(weeks=week) for week in weeks]


async def test_a_feed_shows_the_persons_sessions_as_they_are_now_and_nobody_elses(
    engine: AsyncEngine,
) -> None:
    await handle(engine, c.course())
    joost = {"name": "Joost de Boer", "email": OTHER_TEACHER}
    await handle(engine, c.course("course-2", teacher=joost))

    teacher = await get_feed(engine, c.TEACHER)
    assert teacher.status_code == 200 and teacher.headers["content-type"].startswith("text/calendar")
    calendar = Calendar.from_ical(teacher.content)
    assert "method" not in calendar and str(calendar["x-wr-calname"]) == "Taalhuis: mijn lessen"
    assert starts(teacher) == lessons(0, 1, 2, 3, 4)  # course-2 is Joost's
    # The volunteer works at both courses (their sessions are at the same times in the example).
    assert len(starts(await get_feed(engine, c.VOLUNTEER))) == 10

    await handle(engine, c.cancelled(3, measure_id=None))
    assert starts(await get_feed(engine, c.TEACHER)) == lessons(0, 1, 2, 4)


async def test_a_token_that_opens_nothing_gets_404_and_says_nothing_more(engine: AsyncEngine) -> None:
    await handle(engine, c.course())
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app(engine)), base_url="http://feed"
    ) as client:
        guessed = await client.get(f"/agenda/{'0' * 32}.ics")
        nobody = await client.get(f"/agenda/{feed_token(LINKS.secret, 'niemand@example.org')}.ics")
        other_secret = await client.get(f"/agenda/{feed_token('another secret', c.TEACHER)}.ics")
    for response in (guessed, nobody, other_secret):
        assert response.status_code == 404
        assert response.text == "Deze agenda bestaat niet (meer)."


async def test_the_course_mail_gives_the_staff_their_feed_link(engine: AsyncEngine, smtp: SmtpServer) -> None:
    await handle(engine, c.course())
    sender = MailSender(
        engine,
        MailServer("127.0.0.1", smtp.port),
        mail_from=MAIL_FROM,
        audience=AUDIENCE,
        poll_interval=0.05,
        feed=LINKS,
    )
    sender.start()
    try:
        await eventually(lambda: quiet(engine), what="every notice mailed")
    finally:
        await sender.stop()
    [teacher] = smtp.mailbox.to(c.TEACHER)
    assert LINKS.url_for(c.TEACHER) in text_part(teacher)
    assert "zet deze link in je agenda-app" in text_part(teacher)
    [contact] = smtp.mailbox.to(c.PROMEN["email"])
    assert "/agenda/" not in text_part(contact)  # contacts have no sessions of their own


async def test_the_service_serves_the_feeds_on_its_port(
    database_url: str,
    amqp_url: str,
    namespace: Namespace,
    rabbit: AbstractRobustConnection,
    engine: AsyncEngine,
) -> None:
    port = free_port()
    settings = Settings(
        amqp_url=amqp_url,
        database_url=database_url,
        events_exchange=namespace.events_exchange,
        queue_prefix=namespace.queue_prefix,
        smtp_port=free_port(),  # nothing listens: the mails wait, the feed does not need them
        feed_secret=LINKS.secret,
        feed_base_url=f"http://127.0.0.1:{port}",
        http_port=port,
    )
    service = build_app(settings)
    await service.start()
    try:
        await publish(rabbit, namespace, c.event(c.course()))
        url = FeedLinks(settings.feed_base_url, LINKS.secret).url_for(c.TEACHER)

        async def served() -> bool:
            async with httpx.AsyncClient() as client:
                return (await client.get(url)).status_code == 200

        await eventually(served, what="the teacher's feed served")
    finally:
        await service.stop()
