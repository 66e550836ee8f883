"""Hostile referrals on the real broker: each ends with its documented reason at once, and enrolment goes on.

The reasons are the README's: a referral that names its partner and referral id readably is
answered `invalid-referral` (the partner hears why); one that cannot be read that far is parked
with its reason by the service at the first delivery (no `x-death`: RabbitMQ never had to
redeliver it).
"""

from __future__ import annotations

import json
from typing import Any

from aio_pika.abc import AbstractRobustConnection

from tests.support.broker import Namespace, drain_until, open_tap, publish
from tests.support.referrals import referral_event

from .conftest import RunningEnrolment


def raw(event: dict[str, Any], replace: tuple[str, str] | None = None) -> bytes:
    """The event as a partner's system might send it; `replace` swaps a placeholder for raw JSON."""
    body = json.dumps(event)
    if replace is not None:
        body = body.replace(json.dumps(replace[0]), replace[1])
    return body.encode()


async def test_each_hostile_referral_ends_with_its_reason_and_the_next_one_is_handled(
    running_enrolment: RunningEnrolment, rabbit: AbstractRobustConnection, namespace: Namespace
) -> None:
    tap = await open_tap(rabbit, namespace, ["ReferralAccepted", "ReferralRejected"])
    nul = referral_event(1)
    nul["data"]["participant"]["given_name"] = "Ahmed\u0000"
    long_name = referral_event(2)
    long_name["data"]["participant"]["family_name"] = "B" * 1_000_000
    many_places = referral_event(3)
    many_places["data"]["preferred_locations"] = ["Gouda"] * 10_000
    nested = referral_event(4)
    nested["data"]["note"] = "NESTED"
    huge = referral_event(5)
    huge["data"]["course"]["level"] = "HUGE"
    parked_ids = {long_name["id"]: "too-large", nested["id"]: "too-deep", huge["id"]: "number-too-long"}
    async with running_enrolment():
        await publish(rabbit, namespace, raw(nul), routing_key="ReferralSubmitted", message_id=nul["id"])
        await publish(
            rabbit, namespace, raw(long_name), routing_key="ReferralSubmitted", message_id=long_name["id"]
        )
        await publish(
            rabbit, namespace, raw(many_places), routing_key="ReferralSubmitted", message_id=many_places["id"]
        )
        deep = "[" * 10_000 + "]" * 10_000
        await publish(rabbit, namespace, raw(nested, ("NESTED", deep)), routing_key="ReferralSubmitted",
                      message_id=nested["id"])  # fmt: skip
        await publish(rabbit, namespace, raw(huge, ("HUGE", "9" * 5000)), routing_key="ReferralSubmitted",
                      message_id=huge["id"])  # fmt: skip
        await publish(rabbit, namespace, referral_event(6))
        parked = await drain_until(rabbit, namespace.topology("enrolment").parking_queue_name, 3)
        rejected = await tap.wait_for("ReferralRejected", 2)
        [accepted] = await tap.wait_for("ReferralAccepted", 1)

    assert {m.message_id: m.headers["x-parked-reason"] for m in parked} == parked_ids
    for message in parked:
        assert "x-death" not in message.headers, "parked by RabbitMQ after redeliveries, not at once"
        assert int(message.headers.get("x-delivery-count", 0)) <= 1
    reasons = {e["data"]["partner_referral_id"]: e["data"] for e in rejected}
    assert set(reasons) == {"PRM-0001", "PRM-0003"}
    assert {r["reason_code"] for r in reasons.values()} == {"invalid-referral"}
    assert "Ahmed" not in json.dumps(reasons)  # the answer names the field, never the value
    assert accepted["data"]["partner_referral_id"] == "PRM-0006"
    assert len(tap.received) == 3, "an answer came twice"
