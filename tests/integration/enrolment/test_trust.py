"""Forged events at enrolment's door, as an outside integrator would try them on the real broker.

Each forged message changes nothing and ends as the README's event catalogue says: parked with
its reason (`type-mismatch`, `no-user-id`, `not-allowed`). The service goes on with the next one.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from aio_pika.abc import AbstractRobustConnection
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from tests.support import users
from tests.support.broker import Namespace, Received, drain_until, open_tap, publish
from tests.support.referrals import completion_event, intake_event, referral_event, withdrawal_event

from .conftest import ConnectAs, RunningEnrolment

ENROLMENT_OUT = ["ReferralAccepted", "ReferralRejected", "GroupFilled", "WithdrawalProcessed"]


async def count(database_url: str, table: str) -> int:
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            return int((await connection.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one())
    finally:
        await engine.dispose()


def reasons(parked: list[Received]) -> dict[str | None, str]:
    return {m.message_id: m.headers["x-parked-reason"] for m in parked}


async def test_forged_events_for_enrolment_change_nothing_and_are_parked_with_their_reason(
    running_enrolment: RunningEnrolment,
    rabbit: AbstractRobustConnection,
    rabbit_as: ConnectAs,
    namespace: Namespace,
) -> None:
    tap = await open_tap(rabbit, namespace, ENROLMENT_OUT)
    partner = await rabbit_as(users.PARTNER)
    # A group of five who completed the course: if the forged completion counted, their next
    # referral would be refused `retake-too-soon`.
    group: dict[str, Any] = {
        "group_id": "group-forged",
        "course": {"type": "klik-en-tik", "level": 1},
        "participants": [
            {
                "referral_id": f"r-{n}",
                "partner_id": "promen",
                "partner_referral_id": f"PRM-{n:04d}",
                "display_name": f"Deelnemer {n}.",
            }
            for n in range(5)
        ],
    }
    smuggled_intake = intake_event(groups=50)
    forged_intake = intake_event(groups=50)
    forged_completion = completion_event(group, date(2026, 11, 1))
    anonymous_referral = referral_event(1)
    anonymous_withdrawal = withdrawal_event(1)
    async with running_enrolment() as settings:
        # A partner's user: an intake body under its own routing key, and intakes and completions
        # under their own keys, with its validated user id.
        await publish(
            partner, namespace, smuggled_intake, routing_key="ReferralSubmitted", user_id=users.PARTNER
        )
        await publish(partner, namespace, forged_intake, user_id=users.PARTNER)
        await publish(partner, namespace, forged_completion, user_id=users.PARTNER)
        # Without a user id nobody can say who sent it, so nobody is answered.
        await publish(rabbit, namespace, anonymous_referral, user_id=None)
        await publish(rabbit, namespace, anonymous_withdrawal, user_id=None)
        parked = await drain_until(rabbit, namespace.topology("enrolment").parking_queue_name, 5)

        # The service goes on: the same people are referred as themselves, and accepted.
        for number in range(5):
            await publish(rabbit, namespace, referral_event(number))
        accepted = await tap.wait_for("ReferralAccepted", 5)
        assert await count(settings.database_url, "intakes") == 0
    assert reasons(parked) == {
        smuggled_intake["id"]: "type-mismatch",
        forged_intake["id"]: "not-allowed",
        forged_completion["id"]: "not-allowed",
        anonymous_referral["id"]: "no-user-id",
        anonymous_withdrawal["id"]: "no-user-id",
    }
    by_id = {m.message_id: m for m in parked}
    assert by_id[forged_intake["id"]].headers["x-original-user-id"] == users.PARTNER
    assert {e["data"]["partner_referral_id"] for e in accepted} == {f"PRM-{n:04d}" for n in range(5)}
    assert tap.of_type("ReferralRejected") == []  # no retake-too-soon: the completion did not count
    assert tap.of_type("GroupFilled") == []  # the forged intake opened no room
    assert tap.of_type("WithdrawalProcessed") == []
