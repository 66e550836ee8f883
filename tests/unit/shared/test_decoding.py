"""Bodies made to hurt a JSON reader become one clean reason, in `load_json` and in `classify`."""

from __future__ import annotations

import json

import pytest

from taalhuis_shared.events import ReferralSubmittedV1
from taalhuis_shared.messaging import decoding, gate, parking
from taalhuis_shared.messaging.decoding import Unreadable
from taalhuis_shared.messaging.trust import Publishers
from tests.support.referrals import referral_event

ACCEPTED = parking.accepted_by(ReferralSubmittedV1)
PUBLISHERS = Publishers.of({}, partner_users=["guest"])


def classify(body: bytes) -> Unreadable | None:
    """Why the gate refuses `body` as a referral from its partner, or None when it admits it."""
    verdict = gate.admit(body, "ReferralSubmitted", "guest", ACCEPTED, PUBLISHERS)
    return None if isinstance(verdict, gate.Admitted) else Unreadable(verdict.reason, verdict.detail)


def referral_with(**data_changes: object) -> bytes:
    event = referral_event(1)
    event["data"].update(data_changes)
    return json.dumps(event).encode()


def deep(levels: int) -> bytes:
    return b"[" * levels + b"]" * levels


HOSTILE = [
    pytest.param(b" " * (decoding.MAX_MESSAGE_BYTES + 1), decoding.TOO_LARGE, id="over-size body"),
    pytest.param(referral_with(note="x" * 1_000_000), decoding.TOO_LARGE, id="a megabyte in a referral"),
    pytest.param(deep(10_000), decoding.TOO_DEEP, id="10,000 levels deep"),
    pytest.param(deep(decoding.MAX_DEPTH + 1), decoding.TOO_DEEP, id="one level too deep"),
    pytest.param(b"[" * 10_000, decoding.TOO_DEEP, id="10,000 levels never closed"),
    pytest.param(b'{"a": [' + b",".join([b"[]"] * 10_000) + b"]}", None, id="wide but shallow"),
    pytest.param(
        b'{"data": ' + b'{"a": ' * 5_000 + b"1" + b"}" * 5_001, decoding.TOO_DEEP, id="deep objects"
    ),
    pytest.param(referral_with(waiting="9" * 5_000), None, id="5,000 digits in a string are text"),
    pytest.param(b'{"n": ' + b"9" * 5_000 + b"}", decoding.NUMBER_TOO_LONG, id="integer of 5,000 digits"),
    pytest.param(b'{"n": -' + b"9" * 21 + b"}", decoding.NUMBER_TOO_LONG, id="integer of 21 digits"),
    pytest.param(b'{"n": NaN}', decoding.NOT_JSON, id="NaN"),
    pytest.param(b'{"n": -Infinity}', decoding.NOT_JSON, id="Infinity"),
    pytest.param(b"\xff\xfe{}", decoding.NOT_JSON, id="not UTF-8"),
    pytest.param(b'{"a": "\x00"}', decoding.NOT_JSON, id="raw NUL in a string"),
    pytest.param(b'{"a": "x\\ud800y"}', decoding.NOT_JSON, id="lone surrogate"),
    pytest.param(b'{"\\udfff": 1}', decoding.NOT_JSON, id="lone surrogate in a key"),
    pytest.param(b'{"a": "\\ud83d\\ude00"}', None, id="a surrogate pair is an emoji"),
]


@pytest.mark.parametrize(("body", "reason"), HOSTILE)
def test_load_json_refuses_with_one_exception_and_a_reason(body: bytes, reason: str | None) -> None:
    if reason is None:
        decoding.load_json(body)
        return
    with pytest.raises(decoding.Unreadable) as refusal:
        decoding.load_json(body)
    assert refusal.value.reason == reason
    assert refusal.value.detail


@pytest.mark.parametrize(("body", "reason"), [p for p in HOSTILE if p.values[1] is not None])
def test_classify_gives_the_same_reason_without_raising(body: bytes, reason: str) -> None:
    verdict = classify(body)
    assert verdict == decoding.Unreadable(reason, verdict.detail if verdict else "")


def test_brackets_inside_strings_do_not_count_as_nesting() -> None:
    text = json.dumps({"reason": "[[[[" * 100 + '"\\"{{{{' * 100})
    assert not decoding.nests_deeper_than(text, 1)
    assert decoding.nests_deeper_than(json.dumps([[{"a": "]]"}]]), 2)
    assert decoding.load_json(text.encode())["reason"].startswith("[[[[")


def test_a_referral_at_the_nesting_and_number_limits_is_read() -> None:
    document = decoding.load_json(deep(decoding.MAX_DEPTH))
    assert isinstance(document, list)
    assert decoding.load_json(b"-" + b"9" * decoding.MAX_DIGITS) == -int("9" * decoding.MAX_DIGITS)
    assert decoding.load_json(b"1e400") == float("inf")  # a float is not a digit bomb


def test_a_nul_escaped_in_a_name_is_parked_as_invalid_against_the_schema() -> None:
    event = referral_event(1)
    event["data"]["participant"]["given_name"] = "Ahmed\u0000"
    verdict = classify(json.dumps(event).encode())
    assert verdict is not None and verdict.reason == parking.SCHEMA_INVALID
    assert "data.participant.given_name" in verdict.detail


def test_ten_thousand_preferred_locations_are_invalid_against_the_schema() -> None:
    verdict = classify(referral_with(preferred_locations=["Gouda"] * 10_000))
    assert verdict is not None and verdict.reason == parking.SCHEMA_INVALID
    assert "data.preferred_locations" in verdict.detail


def test_unreadable_is_an_exception_to_raise_and_a_verdict_to_compare() -> None:
    verdict = decoding.Unreadable(decoding.TOO_DEEP, "nested too deep")
    assert isinstance(verdict, Exception)
    assert verdict == decoding.Unreadable(decoding.TOO_DEEP, "nested too deep")
    assert parking.Unreadable is decoding.Unreadable
