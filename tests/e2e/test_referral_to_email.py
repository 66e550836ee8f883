"""From a partner's referrals to the staff e-mails, through the three running services."""

from __future__ import annotations

from collections import Counter

import pytest
from aio_pika.abc import AbstractRobustConnection

from tests.support.broker import Namespace, open_tap, publish
from tests.support.referrals import intake_event, referral_event
from tests.support.waiting import eventually

from .conftest import System

pytestmark = pytest.mark.slow

TEACHER_DOMAIN = "bibliotheekgouda.example"
CONTACT = "sanne.dewit@promen.example"


async def test_ten_referrals_give_two_groups_two_courses_and_their_mails_once(
    system: System, rabbit: AbstractRobustConnection, namespace: Namespace
) -> None:
    tap = await open_tap(rabbit, namespace, ["GroupFilled", "CourseScheduled"])
    await system.start("enrolment", "scheduling", "notifications")
    await publish(rabbit, namespace, intake_event(groups=2))
    for number in range(10):
        await publish(rabbit, namespace, referral_event(number))

    courses = await tap.wait_for("CourseScheduled", 2, timeout=60)
    await eventually(lambda: len(system.smtp.mailbox.messages) >= 4, timeout=60, what="four e-mails")
    await eventually(system.quiet, timeout=30, what="outboxes and mail queue empty")

    assert len(tap.distinct("GroupFilled")) == 2
    assert len(tap.distinct("CourseScheduled")) == 2
    messages = system.smtp.mailbox.messages
    assert len(messages) == 4, [m["Subject"] for m in messages]
    per_recipient = Counter(m["X-Envelope-To"] for m in messages)
    assert per_recipient[CONTACT] == 2
    assert all(TEACHER_DOMAIN in to for to in per_recipient if to != CONTACT)
    assert len({m["Message-ID"] for m in messages}) == 4
    # Every participant appears in exactly one group's teacher mail.
    for course in courses:
        teacher = course["data"]["teacher"]["email"]
        mails = [
            m
            for m in system.smtp.mailbox.to(teacher)
            if course["data"]["location"]["name"] in m.get_content()
        ]
        assert mails, f"no mail to {teacher} for course {course['data']['course_id']}"
        body = mails[0].get_content()
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

    await tap.wait_for("CourseScheduled", 1, timeout=60)
    await eventually(lambda: len(system.smtp.mailbox.messages) >= 2, timeout=60, what="two e-mails")
    await eventually(system.quiet, timeout=30, what="outboxes and mail queue empty")

    assert await system.scalar("enrolment", "SELECT count(*) FROM referrals") == 5
    assert len(tap.distinct("ReferralAccepted")) == 5
    assert len(system.smtp.mailbox.messages) == 2
    assert len(system.smtp.mailbox.to(CONTACT)) == 1
