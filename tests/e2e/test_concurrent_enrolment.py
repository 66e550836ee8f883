"""Two enrolment processes on one queue, 300 referrals at once: answers and groups stay exact."""

from __future__ import annotations

import asyncio
import random
from collections import defaultdict
from typing import Any

import pytest
from aio_pika.abc import AbstractRobustConnection

from tests.support.broker import Namespace, open_tap, publish
from tests.support.referrals import intake_event, referral_event
from tests.support.waiting import eventually

from .conftest import System

pytestmark = pytest.mark.slow

REFERRALS = 300
ANSWERS = ["ReferralAccepted", "ReferralRejected", "GroupFilled", "ParticipantPlaced"]


def mixed_referrals(seed: int) -> list[dict[str, Any]]:
    """Two course types, three levels, two language groups; some ineligible, some people twice."""
    rng = random.Random(seed)
    events = []
    for number in range(REFERRALS):
        changes: dict[str, Any] = {
            "course": {"type": rng.choice(["klik-en-tik", "digisterker"]), "level": rng.randint(1, 3)},
            "language_group": rng.choice(["NT1", "NT2"]),
        }
        if rng.random() < 0.1:
            changes["municipality_of_residence"] = "Utrecht"
        event = referral_event(number, **changes)
        if rng.random() < 0.1:  # the same employee again, perhaps for the same course
            event["data"]["participant"]["employee_reference"] = f"EMP-{rng.randrange(number or 1):04d}"
        events.append(event)
    return events


async def test_two_processes_answer_every_referral_once_and_keep_the_group_invariants(
    system: System, rabbit: AbstractRobustConnection, namespace: Namespace
) -> None:
    tap = await open_tap(rabbit, namespace, ANSWERS)
    await system.start("enrolment", "enrolment")
    events = mixed_referrals(seed=20261129)
    intakes = [intake_event("klik-en-tik", 12, "k"), intake_event("digisterker", 12, "d")]

    async def publish_all(batch: list[dict[str, Any]]) -> None:
        for event in batch:
            await publish(rabbit, namespace, event)

    # Four publishers at once, with the intakes arriving in the middle of the stream.
    await asyncio.gather(*(publish_all(events[i::4]) for i in range(4)), publish_all(intakes))

    async def all_answered() -> bool:
        answered = {e["data"]["partner_referral_id"] for t in ANSWERS[:2] for e in tap.distinct(t).values()}
        return len(answered) == REFERRALS

    await eventually(all_answered, timeout=120, what="an answer to every referral")
    await eventually(system.quiet_service("enrolment"), timeout=30, what="enrolment's outbox empty")

    answers: dict[str, list[str]] = defaultdict(list)
    for event_type in ("ReferralAccepted", "ReferralRejected"):
        for answer in tap.distinct(event_type).values():
            answers[answer["data"]["partner_referral_id"]].append(event_type)
    assert len(answers) == REFERRALS
    assert all(len(kinds) == 1 for kinds in answers.values()), "a referral was answered twice"
    reasons = {e["data"]["reason_code"] for e in tap.distinct("ReferralRejected").values()}
    assert reasons == {"municipality-not-served", "already-enrolled"}  # the seed gives both

    # Every group: at most its capacity, announced exactly once, with the members the database has.
    filled = list(tap.distinct("GroupFilled").values())
    by_group = defaultdict(list)
    for event in filled:
        by_group[event["data"]["group_id"]].append(event)
    assert all(len(announcements) == 1 for announcements in by_group.values())
    assert await system.scalar("enrolment", "SELECT count(*) FROM groups") == len(by_group)
    assert all(len(e["data"]["participants"]) == 5 for e in filled)
    assert (
        await system.scalar(
            "enrolment",
            "SELECT count(*) FROM (SELECT group_id FROM referrals WHERE group_id IS NOT NULL "
            "GROUP BY group_id HAVING count(*) > max(group_capacity)) AS over_full",
        )
        == 0
    )
    # Nobody is placed twice, nor waits for or follows a course twice.
    members = [p["referral_id"] for e in filled for p in e["data"]["participants"]]
    assert len(members) == len(set(members))
    assert len(tap.distinct("ParticipantPlaced")) == len(members)
    assert (
        await system.scalar(
            "enrolment",
            "SELECT count(*) FROM (SELECT 1 FROM referrals WHERE status IN ('waiting', 'placed') "
            "GROUP BY partner_id, employee_reference, course_type, level HAVING count(*) > 1) AS twice",
        )
        == 0
    )
    # Groups formed wherever capacity and five waiting met: no full list left behind with room.
    assert (
        await system.scalar(
            "enrolment",
            "SELECT count(*) FROM (SELECT r.course_type FROM referrals r JOIN intakes i "
            "ON i.course_type = r.course_type AND i.groups_used < i.groups_total "
            "WHERE r.status = 'waiting' GROUP BY r.course_type, r.level, r.language_group "
            "HAVING count(DISTINCT r.id) >= 5) AS missed",
        )
        == 0
    )
    assert len(by_group) > 0
