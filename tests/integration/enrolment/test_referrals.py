"""Enrolment on the real broker and database: answers, groups, duplicates and parking."""

from __future__ import annotations

import json

from aio_pika.abc import AbstractRobustConnection
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import create_async_engine

from enrolment.adapters.tables import groups, referrals
from tests.support.broker import Namespace, drain_until, open_tap, publish
from tests.support.referrals import referral_event

from .conftest import RunningEnrolment

REPLIES = ["ReferralAccepted", "ReferralRejected", "GroupFilled"]


async def count(database_url: str, table: object, *where: object) -> int:
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            return int(await connection.scalar(select(func.count()).select_from(table).where(*where)))  # type: ignore[arg-type]
    finally:
        await engine.dispose()


async def test_ten_referrals_form_two_full_groups(
    running_enrolment: RunningEnrolment, rabbit: AbstractRobustConnection, namespace: Namespace
) -> None:
    tap = await open_tap(rabbit, namespace, REPLIES)
    async with running_enrolment():
        for number in range(10):
            await publish(rabbit, namespace, referral_event(number))
        filled = await tap.wait_for("GroupFilled", 2)
        await tap.wait_for("ReferralAccepted", 10)
    assert sorted(len(g["data"]["participants"]) for g in filled) == [5, 5]
    placed = [p["partner_referral_id"] for g in filled for p in g["data"]["participants"]]
    assert sorted(placed) == [f"PRM-{n:04d}" for n in range(10)]
    assert tap.of_type("ReferralRejected") == []
    # Only a short name leaves enrolment, never the family name.
    assert all("Berg" not in p["display_name"] for g in filled for p in g["data"]["participants"])


async def test_an_ineligible_referral_is_rejected_with_a_reason(
    running_enrolment: RunningEnrolment, rabbit: AbstractRobustConnection, namespace: Namespace
) -> None:
    tap = await open_tap(rabbit, namespace, REPLIES)
    async with running_enrolment():
        await publish(rabbit, namespace, referral_event(1, municipality_of_residence="Utrecht"))
        [rejected] = await tap.wait_for("ReferralRejected", 1)
    assert rejected["data"]["reason_code"] == "municipality-not-served"
    assert "gemeente" in rejected["data"]["reason"]
    assert rejected["data"]["partner_referral_id"] == "PRM-0001"


async def test_the_same_referral_delivered_twice_enrols_once(
    running_enrolment: RunningEnrolment, rabbit: AbstractRobustConnection, namespace: Namespace
) -> None:
    tap = await open_tap(rabbit, namespace, REPLIES)
    event = referral_event(7)
    async with running_enrolment() as settings:
        await publish(rabbit, namespace, event)
        await publish(rabbit, namespace, event)
        # A third, different referral shows the first two were both consumed before it.
        await publish(rabbit, namespace, referral_event(8))
        await tap.wait_for("ReferralAccepted", 2)
        assert await count(settings.database_url, referrals) == 2
    accepted = tap.of_type("ReferralAccepted")
    assert sorted(e["data"]["partner_referral_id"] for e in accepted) == ["PRM-0007", "PRM-0008"]


async def test_unreadable_messages_are_parked_with_their_reason_and_the_next_is_handled(
    running_enrolment: RunningEnrolment, rabbit: AbstractRobustConnection, namespace: Namespace
) -> None:
    tap = await open_tap(rabbit, namespace, REPLIES)
    invalid = referral_event(2)
    del invalid["data"]["course"]
    async with running_enrolment():
        await publish(
            rabbit, namespace, b"this is not json", routing_key="ReferralSubmitted", message_id="m-1"
        )
        await publish(rabbit, namespace, invalid)
        await publish(rabbit, namespace, referral_event(3))
        await tap.wait_for("ReferralAccepted", 1)
        parking_queue = namespace.topology("enrolment").parking_queue_name
        parked = await drain_until(rabbit, parking_queue, 2)
    reasons = {m.message_id: m.headers["x-parked-reason"] for m in parked}
    assert reasons == {"m-1": "not-json", invalid["id"]: "schema-invalid"}
    schema_invalid = next(m for m in parked if m.message_id == invalid["id"])
    assert "data.course" in schema_invalid.headers["x-parked-detail"]
    assert json.loads(schema_invalid.body) == invalid  # parked as it came, for replay
    assert [e["data"]["partner_referral_id"] for e in tap.of_type("ReferralAccepted")] == ["PRM-0003"]


async def test_a_group_never_exceeds_its_capacity_under_two_consumers(
    running_enrolment: RunningEnrolment, rabbit: AbstractRobustConnection, namespace: Namespace
) -> None:
    tap = await open_tap(rabbit, namespace, REPLIES)
    async with running_enrolment() as settings, running_enrolment():
        for number in range(23):
            await publish(rabbit, namespace, referral_event(number))
        await tap.wait_for("ReferralAccepted", 23)
        filled = await tap.wait_for("GroupFilled", 4)
        assert await count(settings.database_url, groups, groups.c.status == "open") == 1
    assert all(len(g["data"]["participants"]) == 5 for g in filled)
    members = [p["referral_id"] for g in filled for p in g["data"]["participants"]]
    assert len(members) == len(set(members)) == 20


async def test_a_referral_whose_handling_keeps_failing_is_parked_by_the_delivery_limit(
    running_enrolment: RunningEnrolment, rabbit: AbstractRobustConnection, namespace: Namespace
) -> None:
    async with running_enrolment(delivery_limit=2) as settings:
        # The database refuses every write of a referral: handling fails although the input is fine.
        engine = create_async_engine(settings.database_url)
        async with engine.begin() as connection:
            await connection.execute(text("ALTER TABLE referrals RENAME TO referrals_away"))
        await engine.dispose()
        event = referral_event(4)
        await publish(rabbit, namespace, event)
        parking_queue = namespace.topology("enrolment").parking_queue_name
        [parked] = await drain_until(rabbit, parking_queue, 1)
    assert parked.message_id == event["id"]
    assert "x-parked-reason" not in parked.headers  # not unreadable: RabbitMQ parked it
    [death] = parked.headers["x-death"]
    assert death["reason"] == "delivery_limit"
    assert json.loads(parked.body) == event
