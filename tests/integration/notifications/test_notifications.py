"""Notifications against the real PostgreSQL and a real SMTP server: events in, MIME messages out."""

from __future__ import annotations

import re
import subprocess
from collections import Counter
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Union
from zoneinfo import ZoneInfo

import pytest
from aio_pika.abc import AbstractRobustConnection
from pydantic import Field, TypeAdapter, ValidationError
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from notifications.adapters.mail_sender import SMTP_CONNECTIONS, MailSender, MailServer, SmtpTls
from notifications.adapters.repository import NoticeRepository
from notifications.adapters.tables import mails, notices
from notifications.bootstrap import build_app
from notifications.domain.notices import Audience, Window
from notifications.entrypoints.mailview import show
from notifications.entrypoints.messaging import CONSUMES
from notifications.service_layer.handlers import notify
from notifications.service_layer.unit_of_work import NoticeUnitOfWork
from notifications.settings import Settings
from taalhuis_shared.clock import Clock
from taalhuis_shared.events import ContactPerson, EventData
from tests.support.broker import Namespace, publish
from tests.support.handling import handle as handle_event
from tests.support.mime import (
    RefusingSmtpServer,
    StartTlsSmtpServer,
    calendars,
    events_of,
    html_part,
    series_of,
    sessions_of,
    text_part,
)
from tests.support.smtp import SmtpServer
from tests.support.waiting import eventually
from tests.unit.notifications import courses as c

MAIL_FROM = "taalhuis@bibliotheekgouda.example"
AUDIENCE = Audience(c.COORDINATOR, {"promen": c.PROMEN["email"]})
BATCH_WINDOW = 1.0
WINDOWS: Mapping[Window, float] = {"now": 0.0, "batch": BATCH_WINDOW, "digest": BATCH_WINDOW}
STAFF = [c.TEACHER, c.VOLUNTEER]
CONTACTS = [c.PROMEN["email"], c.GEMIVA["email"]]
ANY_EVENT: Any = Annotated[Union[tuple(CONSUMES)], Field(discriminator="type")]  # noqa: UP007
ENVELOPE: TypeAdapter[Any] = TypeAdapter(ANY_EVENT)


def unit_of_work(engine: AsyncEngine) -> NoticeUnitOfWork:
    def repository(connection: AsyncConnection) -> NoticeRepository:
        return NoticeRepository(connection, WINDOWS, Clock())

    return NoticeUnitOfWork(engine, repository)


async def handle(engine: AsyncEngine, data: EventData | dict[str, Any]) -> dict[str, Any]:
    event = data if isinstance(data, dict) else c.event(data)
    await handle_event(notify, ENVELOPE.validate_python(event), unit_of_work(engine), AUDIENCE)
    return event


async def stored_mails(engine: AsyncEngine) -> list[Any]:
    async with engine.connect() as connection:
        return list(await connection.execute(select(mails).order_by(mails.c.id)))


async def quiet(engine: AsyncEngine) -> bool:
    """Every notice composed and every mail sent or refused for good."""
    async with engine.connect() as connection:
        open_notices = await connection.scalar(
            select(func.count()).select_from(notices).where(notices.c.mail_id.is_(None))
        )
        open_mails = await connection.scalar(
            select(func.count())
            .select_from(mails)
            .where(mails.c.sent_at.is_(None), mails.c.failed_at.is_(None))
        )
    return open_notices == 0 and open_mails == 0


def sender_for(
    engine: AsyncEngine, port: int, poll_interval: float = 0.05, tls: SmtpTls = "opportunistic"
) -> MailSender:
    server = MailServer("127.0.0.1", port, tls=tls)
    return MailSender(engine, server, mail_from=MAIL_FROM, audience=AUDIENCE, poll_interval=poll_interval)


@asynccontextmanager
async def running_sender(
    engine: AsyncEngine, port: int, tls: SmtpTls = "opportunistic"
) -> AsyncIterator[MailSender]:
    sender = sender_for(engine, port, tls=tls)
    sender.start()
    try:
        yield sender
    finally:
        await sender.stop()


async def deliver(engine: AsyncEngine, smtp: SmtpServer) -> None:
    async with running_sender(engine, smtp.port):
        await eventually(lambda: quiet(engine), what="every notice mailed")


def recipients(smtp: SmtpServer) -> Counter[str]:
    return Counter(m["X-Envelope-To"] for m in smtp.mailbox.messages)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (c.accepted(1), [c.PROMEN["email"]]),
        (c.rejected(1), [c.PROMEN["email"], c.COORDINATOR]),
        (c.group_filled(), [*CONTACTS, c.COORDINATOR]),
        (c.course(), [*STAFF, *CONTACTS, c.COORDINATOR]),
        # A measure's: held until its summary, which the coordinator gets instead.
        ([c.cancelled(0), c.measures_applied()], [*STAFF, *CONTACTS, c.COORDINATOR]),
        ([c.paused(), c.measures_applied()], [c.TEACHER, *CONTACTS, c.COORDINATOR]),
        (c.cancelled(0, measure_id=None), [*STAFF, *CONTACTS, c.COORDINATOR]),
        (c.resumed(), [*STAFF, *CONTACTS]),  # the coordinator hears the lifting's summary
        (c.rescheduled(1), [*STAFF, *CONTACTS, c.COORDINATOR]),
        (c.unschedulable(), [c.COORDINATOR]),
    ],
    ids=lambda value: (
        "+".join(type(v).__name__ for v in value if not isinstance(v, str))
        if isinstance(value, list)
        else type(value).__name__
    ),
)
async def test_each_event_gives_its_recipients_one_mail(
    engine: AsyncEngine, smtp: SmtpServer, data: EventData | list[EventData], expected: list[str]
) -> None:
    for each in data if isinstance(data, list) else [data]:
        event = await handle(engine, each)
        await handle(engine, event)  # redelivered: adds nothing
    await deliver(engine, smtp)
    assert recipients(smtp) == Counter(expected)
    for message in smtp.mailbox.messages:
        assert text_part(message).strip() and html_part(message).strip()
        assert message["Message-ID"] in {row.message_id for row in await stored_mails(engine)}


async def test_the_facts_each_reader_needs(engine: AsyncEngine, smtp: SmtpServer) -> None:
    await handle(engine, c.group_filled())
    await handle(engine, c.course())
    await handle(engine, c.unschedulable())
    await handle(engine, c.rejected(7))
    await deliver(engine, smtp)

    [teacher] = smtp.mailbox.to(c.TEACHER)
    for part in [text_part(teacher), html_part(teacher)]:
        assert "dinsdag 8 december 2026, 13:30 tot 15:30" in part
        assert "Ronsseweg 1, 2803 ZA Gouda, zaal Zaal 2" in part
        assert "Opbouwen vanaf 12:45" in part and "Neem 6 iPads mee" in part
        assert all(name in part for name in c.PARTICIPANTS)
    promen = smtp.mailbox.to(c.PROMEN["email"])
    assert len(promen) == 3
    texts = {m["Subject"]: text_part(m) for m in promen}
    course_text = next(t for s, t in texts.items() if s.startswith("Cursus"))
    assert "Marieke Jansen" in course_text and "Piet Bakker" in course_text
    assert all(name in course_text for name in c.PROMEN_NAMES)
    group_text = next(t for s, t in texts.items() if s.startswith("Groep"))
    assert all(name in group_text for name in c.PROMEN_NAMES)
    referral_text = next(t for s, t in texts.items() if s.startswith("Antwoord"))
    assert "PRM-0007" in referral_text and "niet in de regio Gouda" in referral_text
    coordinator = {m["Subject"]: text_part(m) for m in smtp.mailbox.to(c.COORDINATOR)}
    assert len(coordinator) == 4
    assert any("Er is geen docent vrij op dinsdag." in t for t in coordinator.values())
    assert any("PRM-0007" in t for s, t in coordinator.items() if s.startswith("Overzicht"))


async def test_the_answer_to_a_referral_goes_before_the_mail_that_places_the_employee(
    engine: AsyncEngine, smtp: SmtpServer
) -> None:
    long_windows: Mapping[Window, float] = {"now": 0.0, "batch": 3600.0, "digest": 3600.0}

    def repository(connection: AsyncConnection) -> NoticeRepository:
        return NoticeRepository(connection, long_windows, Clock())

    for data in [c.accepted(1), c.group_filled()]:
        await handle_event(
            notify, ENVELOPE.validate_python(c.event(data)), NoticeUnitOfWork(engine, repository), AUDIENCE
        )
    # The answer waits an hour for others; the group mail is due now and takes it along.
    await deliver(engine, smtp)

    subjects = [str(m["Subject"]) for m in smtp.mailbox.to(c.PROMEN["email"])]
    assert subjects == ["Antwoord op uw aanmeldingen", "Groep Klik & Tik niveau 1 is compleet"]
    sent = [row for row in await stored_mails(engine) if row.recipient == c.PROMEN["email"]]
    assert [row.kind for row in sorted(sent, key=lambda row: row.sent_at)] == ["referrals", "group"]


async def test_group_changes_reach_the_staff_known_from_the_course(
    engine: AsyncEngine, smtp: SmtpServer
) -> None:
    await handle(engine, c.course())
    await deliver(engine, smtp)
    smtp.mailbox.messages.clear()
    await handle(engine, c.group_changed())
    await deliver(engine, smtp)
    assert recipients(smtp) == Counter([*STAFF, *CONTACTS])
    text = text_part(smtp.mailbox.to(c.TEACHER)[0])
    assert "Gestopt: Ahmed B." in text and "Nieuw: Mila K." in text


async def test_invitations_keep_the_uid_and_raise_the_sequence(engine: AsyncEngine, smtp: SmtpServer) -> None:
    await handle(engine, c.course())
    await deliver(engine, smtp)
    await handle(engine, c.rescheduled(1, revision=1))
    await deliver(engine, smtp)
    await handle(engine, c.cancelled(1, revision=2, measure_id=None))
    await deliver(engine, smtp)

    scheduled, moved, cancelled = smtp.mailbox.to(c.TEACHER)
    [first], [second], [third] = calendars(scheduled), calendars(moved), calendars(cancelled)
    # Each mail carries the whole course as one event: the same UID, a higher SEQUENCE each time.
    assert (first["method"], second["method"], third["method"]) == ("REQUEST", "REQUEST", "REQUEST")
    assert len({str(series_of(cal)["uid"]) for cal in (first, second, third)}) == 1
    sequences = [int(series_of(cal)["sequence"]) for cal in (first, second, third)]
    assert sequences == sorted(set(sequences))
    # Session 2 keeps its first date as its RECURRENCE-ID: moved, then excluded when cancelled.
    session_2 = c.FIRST_START + timedelta(weeks=1)
    [original] = [e for e in sessions_of(first) if e.decoded("recurrence-id") == session_2]
    [moved_event] = [e for e in sessions_of(second) if e.decoded("recurrence-id") == session_2]
    assert moved_event.decoded("dtstart") == original.decoded("dtstart") + timedelta(days=2)
    assert session_2 not in [e.decoded("recurrence-id") for e in sessions_of(third)]
    assert [d.dt for d in series_of(third)["exdate"].dts] == [session_2]
    assert "donderdag 17 december 2026, 13:30 tot 15:30" in text_part(moved)


async def test_a_measure_cancelling_20_sessions_of_4_teachers_mails_each_teacher_once(
    engine: AsyncEngine, smtp: SmtpServer
) -> None:
    teachers = [f"docent{n}@bibliotheekgouda.example" for n in range(4)]
    for n, teacher in enumerate(teachers):
        for week in range(5):
            await handle(engine, c.cancelled(week, course_id=f"course-{n}", teacher=teacher))
    await handle(engine, c.measures_applied())
    await deliver(engine, smtp)

    assert all(recipients(smtp)[teacher] == 1 for teacher in teachers)
    assert recipients(smtp)[c.VOLUNTEER] == 1
    assert recipients(smtp)[c.PROMEN["email"]] == 1 and recipients(smtp)[c.COORDINATOR] == 1
    for n, teacher in enumerate(teachers):
        [message] = smtp.mailbox.to(teacher)
        assert len(re.findall(r"- Les \d: dinsdag", text_part(message))) == 5
        # Their one course, every session cancelled: the whole event is cancelled.
        [calendar] = calendars(message)
        assert calendar["method"] == "CANCEL"
        [event] = events_of(calendar)
        assert str(event["uid"]).startswith(f"course-{n}-")
    # The volunteer works at all four courses: one mail, one cancelled event per course.
    [volunteer] = smtp.mailbox.to(c.VOLUNTEER)
    cancelled = calendars(volunteer)
    assert [cal["method"] for cal in cancelled] == ["CANCEL"] * 4
    assert len({str(events_of(cal)[0]["uid"]) for cal in cancelled}) == 4


async def test_consecutive_mails_share_one_smtp_connection(engine: AsyncEngine, smtp: SmtpServer) -> None:
    await handle(engine, c.course())
    await handle(engine, c.unschedulable("group-course-2"))
    await deliver(engine, smtp)

    assert recipients(smtp) == Counter([*STAFF, *CONTACTS, c.COORDINATOR, c.COORDINATOR])
    assert len(set(smtp.mailbox.peers)) == 1


async def test_a_connection_the_server_dropped_is_replaced_and_no_mail_lost(
    engine: AsyncEngine, smtp: SmtpServer
) -> None:
    async with running_sender(engine, smtp.port):
        await handle(engine, c.unschedulable("group-course-2"))
        await eventually(lambda: quiet(engine), what="the first mail sent")
        smtp.stop()  # the sender's open connection goes with it
        smtp.restart()
        await handle(engine, c.course())
        await eventually(lambda: quiet(engine), what="every mail sent over a new connection")

    assert recipients(smtp) == Counter([*STAFF, *CONTACTS, c.COORDINATOR, c.COORDINATOR])
    assert len(set(smtp.mailbox.peers)) == 2


async def test_mails_wait_while_smtp_is_down_and_each_arrives_once(engine: AsyncEngine) -> None:
    smtp = SmtpServer()  # its port is chosen, but nothing listens on it yet
    await handle(engine, c.course())
    for week in range(3):
        await handle(engine, c.cancelled(week, measure_id=None))

    async with running_sender(engine, smtp.port):

        async def all_tried_none_sent() -> bool:
            rows = await stored_mails(engine)
            return len(rows) == 10 and all(
                r.attempts > 0 and r.sent_at is None and r.last_error for r in rows
            )

        await eventually(all_tried_none_sent, what="every mail tried and kept")
        smtp.start()
        try:
            await eventually(lambda: quiet(engine), what="every mail sent after SMTP is up")
        finally:
            smtp.stop()

    assert recipients(smtp) == Counter({address: 2 for address in [*STAFF, *CONTACTS, c.COORDINATOR]})
    assert len({m["Message-ID"] for m in smtp.mailbox.messages}) == 10
    assert all(row.attempts >= 2 and row.sent_at for row in await stored_mails(engine))


# --- SMTP_CONNECTIONS: a backlog goes out over several connections -------------------------------


async def courses_of_distinct_teachers(engine: AsyncEngine, count: int) -> list[str]:
    """`count` courses, each its own teacher: `5 * count` mails, most recipients getting `count`."""
    teachers = [f"docent{n}@bibliotheekgouda.example" for n in range(count)]
    for n, teacher in enumerate(teachers):
        await handle(engine, c.course(f"course-{n}", teacher={"name": f"Docent {n}", "email": teacher}))
    return teachers


def in_order_of_composing(smtp: SmtpServer, rows: list[Any]) -> bool:
    """Each recipient received their mails in the order they were composed (the order they were due)."""
    for address in {row.recipient for row in rows}:
        composed = [row.message_id for row in rows if row.recipient == address]
        if [str(m["Message-ID"]) for m in smtp.mailbox.to(address)] != composed:
            return False
    return True


async def test_a_backlog_goes_out_over_several_connections_each_mail_once_and_in_order_per_person(
    engine: AsyncEngine, smtp: SmtpServer
) -> None:
    teachers = await courses_of_distinct_teachers(engine, 8)
    await deliver(engine, smtp)

    rows = await stored_mails(engine)
    assert len(rows) == 40
    assert recipients(smtp) == Counter(
        {**dict.fromkeys(teachers, 1), **dict.fromkeys([c.VOLUNTEER, *CONTACTS, c.COORDINATOR], 8)}
    )
    assert sorted(str(m["Message-ID"]) for m in smtp.mailbox.messages) == sorted(r.message_id for r in rows)
    assert 2 <= len(set(smtp.mailbox.peers)) <= SMTP_CONNECTIONS
    assert in_order_of_composing(smtp, rows)


async def test_with_several_connections_the_answer_still_goes_before_the_placement(
    engine: AsyncEngine, smtp: SmtpServer
) -> None:
    long_windows: Mapping[Window, float] = {"now": 0.0, "batch": 3600.0, "digest": 3600.0}

    def repository(connection: AsyncConnection) -> NoticeRepository:
        return NoticeRepository(connection, long_windows, Clock())

    await handle_event(
        notify,
        ENVELOPE.validate_python(c.event(c.accepted(1))),
        NoticeUnitOfWork(engine, repository),
        AUDIENCE,
    )
    # Enough other mail, much of it to the same contact person, for every connection to be used.
    await courses_of_distinct_teachers(engine, 6)
    await handle(engine, c.group_filled())
    await deliver(engine, smtp)

    assert len(set(smtp.mailbox.peers)) >= 2
    subjects = [str(m["Subject"]) for m in smtp.mailbox.to(c.PROMEN["email"])]
    assert subjects[0] == "Antwoord op uw aanmeldingen"
    assert subjects.index("Antwoord op uw aanmeldingen") < subjects.index(
        "Groep Klik & Tik niveau 1 is compleet"
    )
    assert in_order_of_composing(smtp, await stored_mails(engine))


async def test_smtp_down_with_several_connections_delays_mail_and_loses_none(engine: AsyncEngine) -> None:
    smtp = SmtpServer()  # its port is chosen, but nothing listens on it yet
    teachers = await courses_of_distinct_teachers(engine, 4)

    async with running_sender(engine, smtp.port):
        await every_mail_tried_none_sent(engine)
        smtp.start()
        try:
            await eventually(lambda: quiet(engine), what="every mail sent after SMTP is up")
        finally:
            smtp.stop()

    rows = await stored_mails(engine)
    assert len(rows) == 20 and all(row.attempts >= 2 and row.sent_at for row in rows)
    assert recipients(smtp) == Counter(
        {**dict.fromkeys(teachers, 1), **dict.fromkeys([c.VOLUNTEER, *CONTACTS, c.COORDINATOR], 4)}
    )
    assert len({m["Message-ID"] for m in smtp.mailbox.messages}) == len(smtp.mailbox.messages) == 20
    assert len(set(smtp.mailbox.peers)) >= 2


async def test_a_name_with_a_line_break_injects_nothing_and_is_escaped(
    engine: AsyncEngine, smtp: SmtpServer
) -> None:
    # The contract refuses control characters at the door; this is the second line of defence,
    # so the event is changed after validation (model_copy does not validate).
    evil = "Eva\r\nBcc: x@example.org <b>"
    course = c.course()
    [first, *others] = course.participants
    course = course.model_copy(
        update={
            "participants": [first.model_copy(update={"display_name": evil}), *others],
            "teacher": course.teacher.model_copy(update={"name": evil}),
        }
    )
    envelope = ENVELOPE.validate_python(c.event(c.course()))
    await handle_event(notify, envelope.model_copy(update={"data": course}), unit_of_work(engine), AUDIENCE)
    await deliver(engine, smtp)

    assert recipients(smtp) == Counter([*STAFF, *CONTACTS, c.COORDINATOR])
    for message in smtp.mailbox.messages:
        assert message["Bcc"] is None
        assert "x@example.org" not in message["X-Envelope-To"]
    [teacher] = smtp.mailbox.to(c.TEACHER)
    assert [a.addr_spec for a in teacher["To"].addresses] == [c.TEACHER]
    assert "Eva Bcc: x@example.org &lt;b&gt;" in html_part(teacher)
    assert "<b>" not in html_part(teacher)


async def test_a_refused_address_is_recorded_not_retried_and_the_coordinator_told_once(
    engine: AsyncEngine,
) -> None:
    smtp = RefusingSmtpServer({c.GEMIVA["email"]})
    smtp.start()
    try:
        await handle(engine, c.course())
        await deliver(engine, smtp)
        sender = sender_for(engine, smtp.port)
        assert await sender.send_due() == (0, False)  # nothing left to try
    finally:
        smtp.stop()

    assert smtp.refusing.refusals == [c.GEMIVA["email"]]
    [failed] = [row for row in await stored_mails(engine) if row.failed_at is not None]
    assert failed.recipient == c.GEMIVA["email"] and failed.attempts == 1 and "550" in failed.last_error
    told = [m for m in smtp.mailbox.to(c.COORDINATOR) if m["Subject"] == "E-mail niet afgeleverd"]
    assert len(told) == 1
    assert c.GEMIVA["email"] in text_part(told[0])
    view = await show_all(engine)
    assert "Mislukt" in view and c.GEMIVA["email"] in view.split("Mislukt", 1)[1]


async def show_all(engine: AsyncEngine) -> str:
    return await show(
        engine.url.render_as_string(hide_password=False),
        ["verzonden", "wachtend", "mislukt"],
        ZoneInfo("Europe/Amsterdam"),
    )


async def test_the_service_mails_events_from_rabbitmq_once(
    database_url: str,
    amqp_url: str,
    namespace: Namespace,
    rabbit: AbstractRobustConnection,
    smtp: SmtpServer,
    engine: AsyncEngine,
) -> None:
    settings = Settings(
        amqp_url=amqp_url,
        database_url=database_url,
        events_exchange=namespace.events_exchange,
        queue_prefix=namespace.queue_prefix,
        smtp_port=smtp.port,
        mail_from=MAIL_FROM,
        coordinator_email=c.COORDINATOR,
        batch_window=BATCH_WINDOW,
        # Far longer than the test may wait: mails arrive in time only if the sender is woken.
        mail_poll_interval=60,
    )
    scheduled = c.event(c.course())
    app = build_app(settings)
    await app.start()
    try:
        await publish(rabbit, namespace, scheduled)
        await publish(rabbit, namespace, scheduled)  # a duplicate, as after a lost publisher confirm
        for week in range(2):
            await publish(rabbit, namespace, c.event(c.cancelled(week)))
        # The measure's cancellations wait for its summary, which scheduling sends after them.
        await publish(rabbit, namespace, c.event(c.measures_applied()))
        await eventually(lambda: len(smtp.mailbox.messages) >= 10, what="ten mails")
        await eventually(lambda: quiet(engine), what="everything sent")
    finally:
        await app.stop()

    assert recipients(smtp) == Counter({address: 2 for address in [*STAFF, *CONTACTS, c.COORDINATOR]})
    view = await show_all(engine)
    assert "Verzonden" in view and c.TEACHER in view


async def test_a_batch_that_cannot_be_composed_is_set_aside_and_other_mail_still_goes(
    engine: AsyncEngine, smtp: SmtpServer
) -> None:
    # A non-ASCII local part passes the contract's check but cannot go into a plain SMTP header.
    odd = c.accepted(1).model_copy(
        update={"contact": ContactPerson(name="Sanné", email="sanné@promen.example")}
    )
    await handle(engine, odd)

    async def set_aside() -> bool:
        async with engine.connect() as connection:
            errors = await connection.scalars(
                select(notices.c.compose_error).where(notices.c.mail_id.is_(None))
            )
            return any(errors)

    async def coordinator_told() -> bool:
        return c.COORDINATOR in recipients(smtp)

    async with running_sender(engine, smtp.port):
        await eventually(set_aside, what="the bad batch set aside with its error")
        await handle(engine, c.unschedulable())
        await eventually(coordinator_told, what="later mail going out despite the bad batch")
    assert "sanné@promen.example" not in recipients(smtp)
    view = await show_all(engine)
    assert "sanné@promen.example" in view.split("Niet te maken", 1)[1]


# --- SMTP_TLS: when the connection to the SMTP server is encrypted ------------------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key (openssl, as on every machine here)."""
    directory = tmp_path_factory.mktemp("smtp-tls")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


@pytest.fixture
def starttls_smtp(certificate: tuple[Path, Path]) -> Iterator[StartTlsSmtpServer]:
    """A running SMTP server that offers STARTTLS (and accepts plain text too)."""
    server = StartTlsSmtpServer(*certificate)
    server.start()
    yield server
    server.stop()


async def every_mail_tried_none_sent(engine: AsyncEngine) -> list[Any]:
    async def tried() -> bool:
        rows = await stored_mails(engine)
        return bool(rows) and all(r.attempts > 0 and r.sent_at is None and r.last_error for r in rows)

    await eventually(tried, what="every mail tried and kept")
    return await stored_mails(engine)


async def test_opportunistic_tls_upgrades_when_the_server_offers_starttls(
    engine: AsyncEngine,
    starttls_smtp: StartTlsSmtpServer,
    certificate: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The test's own certificate authority is the only one trusted, as a real one would be.
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    await handle(engine, c.course())
    async with running_sender(engine, starttls_smtp.port, tls="opportunistic"):
        await eventually(lambda: quiet(engine), what="every mail sent")
    assert recipients(starttls_smtp) == Counter([*STAFF, *CONTACTS, c.COORDINATOR])
    assert starttls_smtp.tls_mailbox.over_tls == [True] * len(starttls_smtp.mailbox.messages)


async def test_opportunistic_tls_never_falls_back_to_plain_text_on_a_bad_certificate(
    engine: AsyncEngine, starttls_smtp: StartTlsSmtpServer
) -> None:
    # Nothing trusts the self-signed certificate: the upgrade fails and the mail waits.
    await handle(engine, c.unschedulable())
    async with running_sender(engine, starttls_smtp.port, tls="opportunistic"):
        rows = await every_mail_tried_none_sent(engine)
    assert starttls_smtp.mailbox.messages == []
    assert all("CERTIFICATE_VERIFY_FAILED" in row.last_error for row in rows), [r.last_error for r in rows]


async def test_tls_off_sends_in_plain_text_even_when_starttls_is_offered(
    engine: AsyncEngine, starttls_smtp: StartTlsSmtpServer
) -> None:
    await handle(engine, c.unschedulable())
    async with running_sender(engine, starttls_smtp.port, tls="off"):
        await eventually(lambda: quiet(engine), what="every mail sent")
    assert recipients(starttls_smtp) == Counter([c.COORDINATOR])
    assert starttls_smtp.tls_mailbox.over_tls == [False]


async def test_tls_required_sends_nothing_to_a_server_without_starttls(
    engine: AsyncEngine, smtp: SmtpServer
) -> None:
    await handle(engine, c.unschedulable())
    async with running_sender(engine, smtp.port, tls="required"):
        rows = await every_mail_tried_none_sent(engine)
    assert smtp.mailbox.messages == []
    assert all("STARTTLS" in row.last_error for row in rows), [r.last_error for r in rows]


def test_tls_is_opportunistic_unless_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SMTP_TLS", raising=False)
    assert Settings(database_url="postgresql+asyncpg://x@h/notifications").smtp_tls == "opportunistic"
    monkeypatch.setenv("SMTP_TLS", "required")
    assert Settings(database_url="postgresql+asyncpg://x@h/notifications").smtp_tls == "required"
    monkeypatch.setenv("SMTP_TLS", "false")
    with pytest.raises(ValidationError):
        Settings(database_url="postgresql+asyncpg://x@h/notifications")
