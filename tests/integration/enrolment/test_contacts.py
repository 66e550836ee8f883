"""Mail goes only where the partner said: enrolment's answers and groups name configured contacts."""

from __future__ import annotations

from aio_pika.abc import AbstractRobustConnection

from tests.support.broker import Namespace, open_tap, publish
from tests.support.referrals import intake_event, referral_event

from .conftest import RunningEnrolment
from .test_referrals import ANSWERS, scalar, settle

SANNE = {"name": "Sanne de Wit", "email": "sanne.dewit@promen.example"}  # promen's configured contact
OUTSIDE = {"name": "Sanne de Wit", "email": "sanne.dewit@privemail.example"}


async def test_a_referral_naming_an_outside_address_is_answered_to_the_configured_contact(
    running_enrolment: RunningEnrolment, rabbit: AbstractRobustConnection, namespace: Namespace
) -> None:
    tap = await open_tap(rabbit, namespace, ANSWERS)
    in_domain = {"name": "Jan Jansen", "email": "jan.jansen@promen.example"}  # promen.example is allowed
    async with running_enrolment() as settings:
        await publish(rabbit, namespace, intake_event(groups=1))
        for number in range(5):
            contact = {1: OUTSIDE, 2: in_domain}.get(number, SANNE)
            await publish(rabbit, namespace, referral_event(number, contact=contact))
        await publish(
            rabbit, namespace, referral_event(5, contact=OUTSIDE, municipality_of_residence="Utrecht")
        )
        await publish(rabbit, namespace, referral_event(6, contact=OUTSIDE, partner_id="onbekend"))
        await settle(settings.database_url, tap, handled=8)
        stored = await scalar(
            settings.database_url, "SELECT string_agg(DISTINCT contact_email, ',') FROM referrals"
        )

    answers = {
        e["data"]["partner_referral_id"]: e["data"]
        for kind in ("ReferralAccepted", "ReferralRejected")
        for e in tap.distinct(kind).values()
    }
    assert {ref: (a["contact"], a["contact_replaced"]) for ref, a in answers.items()} == {
        "PRM-0000": (SANNE, False),
        "PRM-0001": (SANNE, True),
        "PRM-0002": (in_domain, False),
        "PRM-0003": (SANNE, False),
        "PRM-0004": (SANNE, False),
        "PRM-0005": (SANNE, True),  # rejected (municipality), and still not to the outside address
        # Sent with promen's RabbitMQ user in an unknown partner's name: promen hears, at its own contact.
        "PRM-0006": (SANNE, True),
    }
    assert answers["PRM-0005"]["reason_code"] == "municipality-not-served"
    [group] = tap.distinct("GroupFilled").values()
    assert sorted(c["contact"]["email"] for c in group["data"]["contacts"]) == sorted(
        [SANNE["email"], in_domain["email"]]
    )
    assert stored == f"{in_domain['email']},{SANNE['email']}"
    # The outside address is in no event enrolment published (nor, above, in its database).
    assert tap.received and not any(b"privemail" in r.body for r in tap.received)
