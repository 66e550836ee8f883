"""Erasure on request (AVG art. 17) through the three running services: nothing of the person is left.

Three people are erased: one waiting, one placed in a planned course (withdrawn first, so the
teacher is told), one who completed a course. Afterwards every text, JSON and byte column of the
three databases (outbox bodies included), the stored mails read as a mail program would, and
the three parking queues hold none of their strings, while another participant's are all still
there.
"""

from __future__ import annotations

import socket
import uuid
from collections.abc import Awaitable, Callable
from datetime import date
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aio_pika.abc import AbstractRobustConnection
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from taalhuis_shared.events import ErasureRequested, new_event
from tests.support.broker import Namespace, drain, open_tap, publish
from tests.support.databases import Databases
from tests.support.referrals import completion_event, intake_event, referral_event
from tests.support.report import csv_lines, report
from tests.support.scan import all_text
from tests.support.waiting import eventually

from .conftest import System

pytestmark = pytest.mark.slow

WAITING, PLACED, COMPLETED, STAYS = 10, 2, 7, 3


def second_passes_done(system: System) -> Callable[[], Awaitable[bool]]:
    """Every service has looked once more and dropped what identified the erased people."""

    async def done() -> bool:
        for service in system.database_urls:
            if await system.scalar(service, "SELECT count(*) FROM erasures WHERE person IS NOT NULL"):
                return False
        return True

    return done


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def erasure_request(number: int) -> dict[str, Any]:
    data = ErasureRequested(
        request_id=f"avg-{number}-{uuid.uuid4().hex[:8]}",
        partner_id="promen",
        employee_reference=f"EMP-{number:04d}",
        requested_by="FG zaak 2026-17",
    )
    return new_event(data, source="urn:taalhuis:coordinator")


def mail_texts(contents: list[bytes]) -> str:
    """The stored mails as their readers see them: every text part decoded (base64 included)."""
    found = []
    for content in contents:
        if not content:
            continue
        message = message_from_bytes(content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        found.append(str(message["Subject"]))
        for part in message.walk():
            if part.get_content_maintype() == "text":
                found.append(str(part.get_content()))
    return "\n".join(found)


async def everything_stored(
    system: System, rabbit: AbstractRobustConnection, namespace: Namespace
) -> tuple[str, dict[str, str]]:
    """All three databases with the mails decoded; and each parking queue (drained: the test ends here)."""
    found, parking = [], {}
    for service, url in system.database_urls.items():
        engine = create_async_engine(url)
        try:
            found.append(await all_text(engine))
            if service == "notifications":
                async with engine.connect() as connection:
                    contents = (await connection.scalars(text("SELECT content FROM mails"))).all()
                found.append(mail_texts(list(contents)))
        finally:
            await engine.dispose()
        parked = await drain(rabbit, namespace.topology(service).parking_queue_name)
        parking[service] = "\n".join(m.body.decode("utf-8", errors="replace") for m in parked)
    return "\n".join(found), parking


def strings_of(
    number: int, accepted: dict[str, dict[str, Any]], members: dict[str, dict[str, Any]]
) -> list[str]:
    """What identifies participant `number` anywhere: references, ids, their name as shown."""
    reference = f"PRM-{number:04d}"
    found = [reference, f"EMP-{number:04d}", f"Deelnemer{number} "]
    found += [
        e["data"]["referral_id"] for e in accepted.values() if e["data"]["partner_referral_id"] == reference
    ]
    found += [m["display_name"] for m in members.values() if m["partner_referral_id"] == reference]
    return found


async def report_total(system: System, name: str) -> dict[str, Any]:
    """The municipality's numbers over every day the test can touch: the `Totaal` row."""
    _, written, _ = await report(
        system.database_urls["enrolment"], system.workdir, name, "--van", "2020-01-01", "--tot", "2030-12-31"
    )
    return next(line for (place, _, _), line in csv_lines(written).items() if place == "Totaal")


async def test_an_erased_person_is_nowhere_while_the_others_stay(
    system: System, databases: Databases, rabbit: AbstractRobustConnection, namespace: Namespace
) -> None:
    tap = await open_tap(
        rabbit,
        namespace,
        ["ReferralAccepted", "GroupFilled", "CourseScheduled", "GroupChanged", "PersonErased"],
    )
    # The console too: it holds referrals, groups and their history, and answers as the fourth.
    system.database_urls["console"] = await databases.create("console")
    system.env.update(
        {"HTTP_PORT": str(free_port()), "SESSION_COOKIE_SECURE": "false", "ERASURE_RECHECK": "1"}
    )
    await system.start("enrolment", "scheduling", "notifications", "console")
    await publish(rabbit, namespace, intake_event(groups=2))
    for number in range(10):
        # One at a time: a service handles several messages at once, and who shares a group with
        # whom (the placed person not with the one who completes) follows the arrival order.
        await publish(rabbit, namespace, referral_event(number))
        await tap.wait_for("ReferralAccepted", number + 1)
    # Level 2 has no group yet: this one waits.
    await publish(rabbit, namespace, referral_event(WAITING, course={"type": "klik-en-tik", "level": 2}))
    groups = await tap.wait_for("GroupFilled", 2, timeout=60)
    await tap.wait_for("CourseScheduled", 2, timeout=60)
    accepted = tap.distinct("ReferralAccepted")
    members = {m["referral_id"]: m for g in groups for m in g["data"]["participants"]}
    group_of_completed = next(
        g["data"]
        for g in groups
        if any(m["partner_referral_id"] == f"PRM-{COMPLETED:04d}" for m in g["data"]["participants"])
    )
    await publish(
        rabbit,
        namespace,
        # As scheduling announces it after the last session (five weeks after the first).
        completion_event(group_of_completed, date(2027, 2, 5)),
    )
    # Messages that could not be handled, naming the people, wait in each service's parking queue.
    for number in (PLACED, STAYS):
        broken = f'{{"not json": "Deelnemer{number} van der Berg EMP-{number:04d} PRM-{number:04d}"'.encode()
        await publish(rabbit, namespace, broken, routing_key="ReferralSubmitted")
        await publish(rabbit, namespace, broken, routing_key="GroupFilled")
    await eventually(system.quiet, timeout=60, what="outboxes and mail queue empty")
    await eventually(
        lambda: system.scalar("enrolment", "SELECT count(*) FROM referrals WHERE status = 'completed'"),
        what="the completion recorded",
    )

    numbers_before = await report_total(system, "before")
    requests = [erasure_request(n) for n in (WAITING, PLACED, COMPLETED)]
    for request in requests:
        await publish(rabbit, namespace, request)
    answers = await tap.wait_for("PersonErased", 12, timeout=90)
    await eventually(
        lambda: system.scalar("enrolment", "SELECT count(*) FROM erasure_requests WHERE done_at IS NOT NULL"),
        what="all three requests answered by all three services",
    )
    await eventually(system.quiet, timeout=30, what="outboxes and mail queue empty")
    await eventually(second_passes_done(system), timeout=30, what="every eraser's second pass")

    # Every service answered every request; enrolment and scheduling found what they held.
    by_request: dict[str, dict[str, Any]] = {r["data"]["request_id"]: {} for r in requests}
    for answer in answers:
        by_request[answer["data"]["request_id"]][answer["data"]["service"]] = answer["data"]["counts"]
    everyone = {"enrolment", "scheduling", "notifications", "console"}
    assert all(set(services) == everyone for services in by_request.values()), by_request
    placed_request = requests[1]["data"]["request_id"]
    assert by_request[placed_request]["enrolment"]["referrals"] == 1
    assert by_request[placed_request]["enrolment"]["parked-messages"] == 1
    assert by_request[placed_request]["scheduling"]["parked-messages"] == 1
    assert by_request[placed_request]["notifications"]["parked-messages"] == 1
    assert by_request[placed_request]["console"]["parked-messages"] == 1
    assert by_request[placed_request]["console"]["referrals"] == 1
    # The placed person was withdrawn first, as for any withdrawal: the group heard of it.
    changes = tap.of_type("GroupChanged")
    assert any(m["partner_referral_id"] == f"PRM-{PLACED:04d}" for c in changes for m in c["data"]["removed"])

    # The municipality's numbers keep the erased people; the two withdrawn ones count as withdrawn.
    numbers_after = await report_total(system, "after")
    withdrawn = {"Van de wachtlijst afgemeld": 1, "Afgemeld uit een groep voor de start": 1}
    waiting = next(column for column in numbers_before if column.startswith("Wachtend op"))
    expected = {
        column: str(int(value) + withdrawn.get(column, 0) - (column == waiting)) if value.isdigit() else value
        for column, value in numbers_before.items()
    }
    assert numbers_after == expected
    assert numbers_before["Deelnemers cursus afgerond"] == "5"
    assert numbers_before["Verschillende deelnemers"] == "5"

    in_databases, parking = await everything_stored(system, rabbit, namespace)
    stored = "\n".join([in_databases, *parking.values()]).casefold()
    for number in (WAITING, PLACED, COMPLETED):
        for string in strings_of(number, accepted, members):
            assert string.casefold() not in stored, (
                f"{string!r} of erased participant {number} is still stored"
            )
    # The others stay: in enrolment's tables, scheduling's courses, and every parking queue.
    for string in strings_of(STAYS, accepted, members):
        assert string.casefold() in in_databases.casefold(), f"{string!r} of participant {STAYS} was erased"
    for service, parked in parking.items():
        assert f"EMP-{STAYS:04d}" in parked, f"{service}: another person's parked message went too"


async def test_an_erasure_outlives_a_service_that_is_down_and_is_done_once(
    system: System, rabbit: AbstractRobustConnection, namespace: Namespace
) -> None:
    tap = await open_tap(rabbit, namespace, ["CourseScheduled", "PersonErased"])
    system.env["ERASURE_RECHECK"] = "1"
    _, _, notifications = await system.start("enrolment", "scheduling", "notifications")
    await publish(rabbit, namespace, intake_event(groups=1))
    for number in range(5):
        await publish(rabbit, namespace, referral_event(number))
    await tap.wait_for("CourseScheduled", 1, timeout=60)
    await eventually(system.quiet, timeout=60, what="outboxes and mail queue empty")

    # Notifications is killed: its part waits in its queue while the others erase.
    notifications.kill()
    request = erasure_request(PLACED)
    await publish(rabbit, namespace, request)
    answered = await tap.wait_for("PersonErased", 2, timeout=60)
    assert {a["data"]["service"] for a in answered} == {"enrolment", "scheduling"}
    assert (
        await system.scalar("enrolment", "SELECT count(*) FROM erasure_requests WHERE done_at IS NULL") == 1
    )

    await system.start("notifications")
    answered = await tap.wait_for("PersonErased", 3, timeout=60)
    assert sorted(a["data"]["service"] for a in answered) == ["enrolment", "notifications", "scheduling"]
    await eventually(
        lambda: system.scalar("enrolment", "SELECT count(*) FROM erasure_requests WHERE done_at IS NOT NULL"),
        what="the request answered by all three",
    )
    # The same request again (sent anew, with a new event id) changes nothing and is not answered again.
    await publish(rabbit, namespace, {**request, "id": str(uuid.uuid4())})

    async def handled_twice() -> bool:
        query = "SELECT count(*) FROM inbox WHERE event_type = 'ErasureRequested'"
        return await system.scalar("enrolment", query) == 2

    await eventually(handled_twice, what="the repeated request handled")
    await eventually(system.quiet, timeout=30, what="outboxes and mail queue empty")
    assert len(tap.of_type("PersonErased")) == 3, "the second passes answer nothing"
    await eventually(second_passes_done(system), timeout=30, what="every eraser's second pass")
    databases, _ = await everything_stored(system, rabbit, namespace)
    assert f"PRM-{PLACED:04d}" not in databases
    assert f"PRM-{STAYS:04d}" in databases
