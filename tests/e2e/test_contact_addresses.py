"""Mail goes only where the partner said: a referral naming an outside address, through the
three running services to the SMTP server."""

from __future__ import annotations

import re

import pytest
from aio_pika.abc import AbstractRobustConnection

from tests.support.broker import Namespace, open_tap, publish
from tests.support.mime import html_part, text_part
from tests.support.referrals import intake_event, referral_event
from tests.support.waiting import eventually

from .conftest import System
from .test_referral_to_email import CONTACT, expected_mails, split_answers, text_of

pytestmark = pytest.mark.slow

OUTSIDE = "sanne.dewit@privemail.example"  # not promen's, nor in a domain promen configured
NOTE = "bij deze aanmelding stond een ander e-mailadres voor de contactpersoon"


async def quiet_but_the_digest(system: System) -> bool:
    """As `System.quiet`, but the coordinator's summary of rejections waits a day (DIGEST_WINDOW)."""
    pending = await system.scalar(
        "notifications", "SELECT count(*) FROM notices WHERE mail_id IS NULL AND kind <> 'digest'"
    )
    for service in system.database_urls:
        pending += await system.scalar(service, "SELECT count(*) FROM outbox WHERE published_at IS NULL")
    pending += await system.scalar(
        "notifications", "SELECT count(*) FROM mails WHERE sent_at IS NULL AND failed_at IS NULL"
    )
    return pending == 0


async def test_a_referral_naming_an_outside_address_sends_nothing_there(
    system: System, rabbit: AbstractRobustConnection, namespace: Namespace
) -> None:
    tap = await open_tap(rabbit, namespace, ["CourseScheduled"])
    await system.start("enrolment", "scheduling", "notifications")
    await publish(rabbit, namespace, intake_event(groups=1))
    outside = {"name": "Sanne de Wit", "email": OUTSIDE}
    for number in range(5):
        changes = {"contact": outside} if number == 1 else {}
        await publish(rabbit, namespace, referral_event(number, **changes))
    rejected = referral_event(5, contact=outside, municipality_of_residence="Utrecht")
    await publish(rabbit, namespace, rejected)

    courses = await tap.wait_for("CourseScheduled", 1, timeout=60)
    expected = expected_mails(courses)
    await eventually(
        lambda: len(split_answers(system.smtp.mailbox.messages)[1]) >= sum(expected.values()),
        timeout=60,
        what="the group's and the course's e-mails",
    )
    await eventually(lambda: quiet_but_the_digest(system), timeout=30, what="outboxes and mail queue empty")

    messages = system.smtp.mailbox.messages
    # Nothing was sent to the outside address, and nothing waits to be.
    for table in ("notices", "mails"):
        query = f"SELECT count(*) FROM {table} WHERE recipient ILIKE '%privemail%'"
        assert await system.scalar("notifications", query) == 0
    assert system.smtp.mailbox.to(OUTSIDE) == []
    assert not any(OUTSIDE in f"{m['To']} {text_part(m)} {html_part(m)}" for m in messages)
    # The configured contact got the group and the course (with its dates) ...
    assert len(system.smtp.mailbox.to(CONTACT)) >= expected[CONTACT]
    # ... and every answer, where the two that named the outside address say why they came here.
    answers, _ = split_answers(messages)
    assert answers and all(m["X-Envelope-To"] == CONTACT for m in answers)
    items = {
        found.group(1): found.group(0)
        for m in answers
        for found in re.finditer(
            r"- Aanmelding (PRM-\d{4}):.*?(?=\n- |\n\n)", text_of(m).replace("\r\n", "\n"), re.S
        )
    }
    assert sorted(items) == [f"PRM-{n:04d}" for n in range(6)]
    assert {ref for ref, item in items.items() if NOTE in item} == {"PRM-0001", "PRM-0005"}
