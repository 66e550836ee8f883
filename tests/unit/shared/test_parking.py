"""Why a message is unreadable: the reasons a parked message carries."""

from __future__ import annotations

import json

import pytest

from taalhuis_shared.events import ReferralSubmittedV1
from taalhuis_shared.messaging import parking
from tests.support.referrals import referral_event

ACCEPTED = parking.accepted_by(ReferralSubmittedV1)


def body(document: object) -> bytes:
    return json.dumps(document).encode()


def test_a_valid_referral_is_readable() -> None:
    assert parking.classify(body(referral_event(1)), ACCEPTED) is None


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"\xff\xfe not utf-8", parking.NOT_JSON),
        (b"{not json", parking.NOT_JSON),
        (body({"hello": "world"}), parking.NOT_CLOUDEVENT),
        (body([1, 2, 3]), parking.NOT_CLOUDEVENT),
        (body({**referral_event(1), "specversion": "0.3"}), parking.NOT_CLOUDEVENT),
        (body({**referral_event(1), "type": "CoffeeOrdered"}), parking.UNKNOWN_TYPE),
        (body({**referral_event(1), "dataversion": "7"}), parking.UNKNOWN_VERSION),
        (body({**referral_event(1), "data": {"partner_id": "promen"}}), parking.SCHEMA_INVALID),
    ],
)
def test_unreadable_messages_get_their_reason(raw: bytes, reason: str) -> None:
    verdict = parking.classify(raw, ACCEPTED)
    assert verdict is not None
    assert verdict.reason == reason
    assert verdict.detail


def test_schema_errors_name_fields_but_never_echo_values() -> None:
    event = referral_event(1)
    event["data"]["participant"]["given_name"] = 12345
    event["data"]["contact"]["email"] = "Geheim Adres"
    verdict = parking.classify(body(event), ACCEPTED)
    assert verdict is not None and verdict.reason == parking.SCHEMA_INVALID
    assert "data.contact.email" in verdict.detail
    assert "Geheim" not in verdict.detail and "12345" not in verdict.detail


def test_accepted_by_keys_by_type_and_version() -> None:
    assert list(ACCEPTED) == ["ReferralSubmitted.v1"]
