"""A passing outage parks nothing: PostgreSQL away 10 s, or the SMTP server away 20 s.

Two processes of every service share the work while 500 referrals come in. In the middle, the
database server (a cluster of the test's own) or the SMTP server goes away and comes back. Every
referral is then answered exactly once, every group is formed and planned, nothing is parked, and
every mail arrives once. Enrolment holds the referrals that come in during the database's
outage in batches (one transaction each once it is back).
"""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from collections.abc import AsyncIterator

import pytest
from aio_pika.abc import AbstractRobustConnection

from tests.support.broker import Namespace, drain, open_tap, publish
from tests.support.databases import Databases
from tests.support.postgres import OwnPostgres
from tests.support.referrals import intake_event, referral_event
from tests.support.waiting import eventually

from .conftest import System

pytestmark = pytest.mark.slow

REFERRALS = 500
GROUPS = REFERRALS // 5
SERVICES = ("enrolment", "scheduling", "notifications")


@pytest.fixture
async def own_postgres() -> AsyncIterator[OwnPostgres]:
    server = OwnPostgres()
    server.create()
    try:
        yield server
    finally:
        server.remove()


@pytest.mark.parametrize("outage", ["postgres", "smtp"])
async def test_an_outage_in_the_middle_of_500_referrals_parks_nothing_and_doubles_nothing(
    outage: str,
    system: System,
    own_postgres: OwnPostgres,
    rabbit: AbstractRobustConnection,
    namespace: Namespace,
) -> None:
    if outage == "postgres":  # every service's database on the server that will go away
        own = Databases(own_postgres.url, "outage")
        system.database_urls = {service: await own.create(service) for service in SERVICES}
    tap = await open_tap(
        rabbit, namespace, ["ReferralAccepted", "ReferralRejected", "GroupFilled", "CourseScheduled",
                            "GroupUnschedulable"],
    )  # fmt: skip
    for service in SERVICES:
        await system.start(service, service)

    for half in range(2):  # an intake holds at most 50 groups
        await publish(rabbit, namespace, intake_event(groups=GROUPS // 2, intake_id=f"intake-{half}"))
    events = [referral_event(n) for n in range(REFERRALS)]
    for event in events[: REFERRALS // 2]:
        await publish(rabbit, namespace, event)
    await eventually(lambda: len(tap.distinct("ReferralAccepted")) >= REFERRALS // 10, timeout=60,
                     what="the first answers")  # fmt: skip
    mails_before = len(system.smtp.mailbox.messages)

    if outage == "postgres":
        own_postgres.stop()
    else:
        system.smtp.stop()
    for event in events[REFERRALS // 2 :]:
        await publish(rabbit, namespace, event)
    # The outage itself lasts a fixed time: that is what is tried, not a wait for a condition.
    await asyncio.sleep(10 if outage == "postgres" else 20)
    answered_during_outage = len(tap.distinct("ReferralAccepted"))
    if outage == "postgres":
        own_postgres.start()
    else:
        # What the outage held back: mail composed but not handed over.
        unsent = "SELECT count(*) FROM mails WHERE sent_at IS NULL AND failed_at IS NULL"
        held_back = await system.scalar("notifications", unsent)
        system.smtp.restart()

    await tap.wait_for("ReferralAccepted", REFERRALS, timeout=240)
    await tap.wait_for("GroupFilled", GROUPS, timeout=120)
    await eventually(
        lambda: len(tap.distinct("CourseScheduled")) + len(tap.distinct("GroupUnschedulable")) >= GROUPS,
        timeout=120,
        what="every group planned or said to be unschedulable",
    )
    await eventually(system.quiet, timeout=240, what="every event published and every mail sent")

    if outage == "postgres":
        assert answered_during_outage < REFERRALS, "everything was answered before the outage"
        # The referrals held through the outage were handled in batches, one transaction each.
        batches = "SELECT count(*) FROM (SELECT xmin::text FROM inbox GROUP BY 1 HAVING count(*) > 1) AS b"
        assert await system.scalar("enrolment", batches) > 0, "no batch formed"
    else:
        assert held_back > 0, "no mail was waiting for the SMTP server: the outage tried nothing"
        assert mails_before < len(system.smtp.mailbox.messages)
    answers: dict[str, set[str]] = defaultdict(set)
    for event_type in ("ReferralAccepted", "ReferralRejected"):
        for answer in tap.distinct(event_type).values():
            answers[answer["data"]["partner_referral_id"]].add(answer["id"])
    assert sorted(answers) == sorted(e["data"]["partner_referral_id"] for e in events)
    assert all(len(ids) == 1 for ids in answers.values()), "a referral was answered twice"
    assert tap.distinct("ReferralRejected") == {}
    members = [
        p["referral_id"] for g in tap.distinct("GroupFilled").values() for p in g["data"]["participants"]
    ]
    assert len(members) == len(set(members)) == REFERRALS

    for service in SERVICES:
        parked = await drain(rabbit, namespace.topology(service).parking_queue_name)
        assert parked == [], f"{service} parked {[m.headers.get('x-parked-reason') for m in parked]}"
    sent = await system.scalar("notifications", "SELECT count(*) FROM mails WHERE sent_at IS NOT NULL")
    received = Counter(m["Message-ID"] for m in system.smtp.mailbox.messages)
    assert sum(received.values()) == len(received) == sent, "a mail arrived twice"
