"""Enrolment under load: referrals of one course type are handled in batches, each one transaction.

A backlog of referrals (as when a partner's system uploads many at once) is waiting when
enrolment starts. Batches form by themselves, their events share one transaction (the inbox rows
of a batch have the same `xmin`), none is bigger than BATCH_SIZE, and every referral is answered
exactly once, also one that was published twice in a row.
"""

from __future__ import annotations

from collections import defaultdict

from aio_pika.abc import AbstractRobustConnection
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from tests.support.broker import Namespace, open_tap, publish
from tests.support.referrals import intake_event, referral_event
from tests.support.waiting import eventually

from .conftest import RunningEnrolment
from .test_referrals import scalar

REFERRALS = 250
BATCH_SIZE = 20
# The inbox rows committed by one transaction, per transaction that committed several.
BATCHES = "SELECT count(*) FROM inbox GROUP BY xmin::text HAVING count(*) > 1"


async def test_a_backlog_of_referrals_is_handled_in_batches_and_each_is_answered_once(
    running_enrolment: RunningEnrolment, rabbit: AbstractRobustConnection, namespace: Namespace
) -> None:
    tap = await open_tap(rabbit, namespace, ["ReferralAccepted", "ReferralRejected"])
    # Every tenth is for a course that does not exist: a second key, answered beside the first.
    events = [
        referral_event(n, course={"type": "excel" if n % 10 == 0 else "klik-en-tik", "level": 1})
        for n in range(REFERRALS)
    ]
    duplicated = events[1::25]
    accepted = REFERRALS - REFERRALS // 10
    async with running_enrolment() as settings:  # declares the queue; the room for every group
        await publish(rabbit, namespace, intake_event(groups=accepted // 5, intake_id="batches"))
        await eventually(
            lambda: scalar(settings.database_url, "SELECT count(*) FROM inbox"), what="the intake handled"
        )
    for event in events:
        await publish(rabbit, namespace, event)
        if event in duplicated:  # published twice in a row: most likely in one batch
            await publish(rabbit, namespace, event)

    async with running_enrolment(batch_size=BATCH_SIZE):
        await tap.wait_for("ReferralAccepted", accepted, timeout=120)
        await tap.wait_for("ReferralRejected", REFERRALS // 10, timeout=60)

    answers: dict[str, set[str]] = defaultdict(set)
    for event_type in ("ReferralAccepted", "ReferralRejected"):
        for answer in tap.distinct(event_type).values():
            answers[answer["data"]["partner_referral_id"]].add(answer["id"])
    assert sorted(answers) == sorted(e["data"]["partner_referral_id"] for e in events)
    assert all(len(ids) == 1 for ids in answers.values()), "a referral was answered twice"
    assert len(tap.distinct("ReferralAccepted")) == accepted

    assert await scalar(settings.database_url, "SELECT count(*) FROM inbox") == 1 + REFERRALS
    sizes = await _batch_sizes(settings.database_url)
    assert sizes, "no transaction handled more than one event: no batch formed"
    assert max(sizes) <= BATCH_SIZE
    assert sum(sizes) > REFERRALS // 2, f"most referrals were handled alone: batches {sizes}"


async def _batch_sizes(database_url: str) -> list[int]:
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            return [int(size) for size in (await connection.scalars(text(BATCHES))).all()]
    finally:
        await engine.dispose()
