"""Enrolment stopped halfway through 300 referrals, and started again: nothing lost or doubled.

Killed (SIGKILL, as when a container or machine dies) or stopped (SIGTERM, as `docker compose
stop` does: finish or return the messages in hand). The referrals wait in the queue when
enrolment starts, so it handles them in batches (several events in one transaction, seen in the
inbox's `xmin`), and batches are in hand when it is stopped.
"""

from __future__ import annotations

from collections import defaultdict

import pytest
from aio_pika.abc import AbstractRobustConnection

from tests.support.broker import Namespace, open_tap, publish
from tests.support.referrals import intake_event, referral_event
from tests.support.waiting import eventually

from .conftest import System

pytestmark = pytest.mark.slow

BATCH = 300
INBOX = "SELECT count(*) FROM inbox"
# Transactions that handled several events: the inbox rows of one batch share their xmin.
BATCHES = "SELECT count(*) FROM (SELECT xmin::text FROM inbox GROUP BY 1 HAVING count(*) > 1) AS batches"


@pytest.mark.parametrize("stop", ["SIGKILL", "SIGTERM"])
async def test_every_referral_is_accounted_for_exactly_once_after_a_stop(
    stop: str, system: System, rabbit: AbstractRobustConnection, namespace: Namespace
) -> None:
    tap = await open_tap(rabbit, namespace, ["ReferralAccepted", "ReferralRejected", "GroupFilled"])
    # Smaller batches than the default, so that several are in hand at once.
    system.env["BATCH_SIZE"] = "20"
    [enrolment] = await system.start("enrolment")
    groups = (BATCH - BATCH // 10) // 5
    # Room for every group, in two intakes (one may hold at most 50 groups).
    await publish(rabbit, namespace, intake_event(groups=groups // 2, intake_id="first"))
    await publish(rabbit, namespace, intake_event(groups=groups - groups // 2, intake_id="second"))

    async def intakes_handled() -> bool:
        return await system.scalar("enrolment", INBOX) == 2

    await eventually(intakes_handled, what="the intakes handled")
    assert enrolment.stop() == 0, enrolment.log()  # the referrals queue up, as a partner's upload
    # Every tenth is for a course that does not exist, so both answers are in the batch.
    events = [
        referral_event(n, course={"type": "excel" if n % 10 == 0 else "klik-en-tik", "level": 1})
        for n in range(BATCH)
    ]
    for event in events:
        await publish(rabbit, namespace, event)

    [enrolment] = await system.start("enrolment")
    await eventually(lambda: len(tap.received) >= BATCH // 5, timeout=60, what="a fifth of the answers")
    if stop == "SIGKILL":
        enrolment.kill()
    else:
        assert enrolment.stop() == 0, enrolment.log()
        # A graceful stop publishes what its last handlers committed before it exits.
        unpublished = "SELECT count(*) FROM outbox WHERE published_at IS NULL"
        assert await system.scalar("enrolment", unpublished) == 0
    answered_before_kill = len(tap.distinct("ReferralAccepted")) + len(tap.distinct("ReferralRejected"))
    assert answered_before_kill < BATCH, "the batch finished before the kill; nothing was tested"
    handled_before_kill = await system.scalar("enrolment", INBOX) - 2
    assert handled_before_kill < BATCH, "every referral was handled before the kill; nothing was tested"
    batches = await system.scalar("enrolment", BATCHES)
    assert batches > 0, "no transaction before the kill handled several referrals: no batch formed"

    await system.start("enrolment")
    await tap.wait_for("ReferralAccepted", BATCH - BATCH // 10, timeout=120)
    await tap.wait_for("ReferralRejected", BATCH // 10, timeout=60)
    await eventually(system.quiet_service("enrolment"), timeout=30, what="enrolment's outbox empty")

    answers: dict[str, set[str]] = defaultdict(set)
    for event_type in ("ReferralAccepted", "ReferralRejected"):
        for answer in tap.distinct(event_type).values():
            answers[answer["data"]["partner_referral_id"]].add(answer["id"])
    assert sorted(answers) == sorted(e["data"]["partner_referral_id"] for e in events)
    assert all(len(ids) == 1 for ids in answers.values()), "a referral was answered twice"

    assert await system.scalar("enrolment", "SELECT count(*) FROM referrals") == BATCH - BATCH // 10
    rejected = "SELECT count(*) FROM referral_history WHERE what = 'rejected'"
    assert await system.scalar("enrolment", rejected) == BATCH // 10
    filled = tap.distinct("GroupFilled")
    assert len(filled) == groups
    members = [p["referral_id"] for g in filled.values() for p in g["data"]["participants"]]
    assert len(members) == len(set(members)) == BATCH - BATCH // 10
