"""From a partner's referrals to the staff e-mails, through the three running services."""

from __future__ import annotations

import re
from collections import Counter
from email.message import EmailMessage
from typing import Any

import pytest
from aio_pika.abc import AbstractRobustConnection

from tests.support.broker import Namespace, open_tap, publish
from tests.support.referrals import intake_event, referral_event
from tests.support.waiting import eventually

from .conftest import System

pytestmark = pytest.mark.slow

TEACHER_DOMAIN = "bibliotheekgouda.example"
CONTACT = "sanne.dewit@promen.example"
COORDINATOR = "taalhuis@bibliotheekgouda.nl"


def expected_mails(courses: list[dict[str, Any]]) -> Counter[str]:
    """Who should get mail for these courses: per course one to the teacher and to each volunteer
    (with their sessions), and for each group two to the contact person and two to the
    coordinator (the group is formed; its course is planned)."""
    expected: Counter[str] = Counter()
    for course in courses:
        staff = {course["data"]["teacher"]["email"]}
        staff |= {v["email"] for s in course["data"]["sessions"] for v in s["volunteers"]}
        expected.update(staff)
        expected.update({CONTACT: 2, COORDINATOR: 2})
    return expected


def split_answers(messages: list[EmailMessage]) -> tuple[list[EmailMessage], list[EmailMessage]]:
    """The contact's answers to referrals (batched per window), and all other mails."""
    answers = [m for m in messages if str(m["Subject"]).startswith("Antwoord op uw aanmeldingen")]
    return answers, [m for m in messages if m not in answers]


def answered_referrals(answers: list[EmailMessage]) -> list[str]:
    assert all(m["X-Envelope-To"] == CONTACT for m in answers)
    return sorted(re.findall(r"PRM-\d{4}", "".join(text_of(m) for m in answers)))


def text_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


async def test_ten_referrals_give_two_groups_two_courses_and_their_mails_once(
    system: System, rabbit: AbstractRobustConnection, namespace: Namespace
) -> None:
    tap = await open_tap(rabbit, namespace, ["GroupFilled", "CourseScheduled"])
    await system.start("enrolment", "scheduling", "notifications")
    await publish(rabbit, namespace, intake_event(groups=2))
    for number in range(10):
        await publish(rabbit, namespace, referral_event(number))

    courses = await tap.wait_for("CourseScheduled", 2, timeout=60)
    expected = expected_mails(courses)
    await eventually(
        lambda: len(split_answers(system.smtp.mailbox.messages)[1]) >= sum(expected.values()),
        timeout=60,
        what="the e-mails",
    )
    await eventually(system.quiet, timeout=30, what="outboxes and mail queue empty")

    assert len(tap.distinct("GroupFilled")) == 2
    assert len(tap.distinct("CourseScheduled")) == 2
    messages = system.smtp.mailbox.messages
    answers, others = split_answers(messages)
    assert Counter(m["X-Envelope-To"] for m in others) == expected, [m["Subject"] for m in messages]
    assert answered_referrals(answers) == [f"PRM-{n:04d}" for n in range(10)]
    assert len({m["Message-ID"] for m in messages}) == len(messages)
    # Every participant appears in their own group's teacher mail.
    for course in courses:
        teacher = course["data"]["teacher"]["email"]
        mails = [
            m for m in system.smtp.mailbox.to(teacher) if course["data"]["location"]["name"] in text_of(m)
        ]
        assert mails, f"no mail to {teacher} for course {course['data']['course_id']}"
        body = text_of(mails[0])
        for participant in course["data"]["participants"]:
            assert participant["display_name"] in body


async def test_a_referral_delivered_twice_enrols_once_and_mails_once(
    system: System, rabbit: AbstractRobustConnection, namespace: Namespace
) -> None:
    tap = await open_tap(rabbit, namespace, ["ReferralAccepted", "CourseScheduled"])
    await system.start("enrolment", "scheduling", "notifications")
    await publish(rabbit, namespace, intake_event(groups=1))
    events = [referral_event(number) for number in range(5)]
    for event in [*events, events[2]]:
        await publish(rabbit, namespace, event)

    courses = await tap.wait_for("CourseScheduled", 1, timeout=60)
    expected = expected_mails(courses)
    await eventually(
        lambda: len(split_answers(system.smtp.mailbox.messages)[1]) >= sum(expected.values()),
        timeout=60,
        what="the e-mails",
    )
    await eventually(system.quiet, timeout=30, what="outboxes and mail queue empty")

    assert await system.scalar("enrolment", "SELECT count(*) FROM referrals") == 5
    assert len(tap.distinct("ReferralAccepted")) == 5
    messages = system.smtp.mailbox.messages
    answers, others = split_answers(messages)
    assert Counter(m["X-Envelope-To"] for m in others) == expected, [m["Subject"] for m in messages]
    # Each referral answered once, the one delivered twice included.
    assert answered_referrals(answers) == [f"PRM-{n:04d}" for n in range(5)]
