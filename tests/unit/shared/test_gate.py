"""The gate: which delivered messages a service acts on, and the reason for each one it refuses."""

from __future__ import annotations

import json

import pytest

from taalhuis_shared.events import IntakeOpenedV1, ReferralSubmittedV1
from taalhuis_shared.messaging import gate, parking
from taalhuis_shared.messaging.trust import PUBLISHED_BY, Publishers, Role
from tests.support.referrals import intake_event, referral_event

ACCEPTED = parking.accepted_by(ReferralSubmittedV1, IntakeOpenedV1)
PUBLISHERS = Publishers.of({"coordinator": ["coordinator"]}, partner_users=["promen"])


def body(document: object) -> bytes:
    return json.dumps(document).encode()


def admit(document: object, routing_key: str = "ReferralSubmitted", user: str | None = "promen") -> object:
    raw = document if isinstance(document, bytes) else body(document)
    return gate.admit(raw, routing_key, user, ACCEPTED, PUBLISHERS)


def test_a_valid_referral_from_a_partner_is_admitted_with_its_publisher() -> None:
    verdict = admit(referral_event(1))
    assert isinstance(verdict, gate.Admitted)
    assert isinstance(verdict.event, ReferralSubmittedV1)
    assert verdict.publisher == "promen"


@pytest.mark.parametrize(
    ("raw", "routing_key", "user", "reason"),
    [
        (b"\xff\xfe not utf-8", "ReferralSubmitted", "promen", parking.NOT_JSON),
        (b"{not json", "ReferralSubmitted", "promen", parking.NOT_JSON),
        (body({"hello": "world"}), "ReferralSubmitted", "promen", parking.NOT_CLOUDEVENT),
        (body([1, 2, 3]), "ReferralSubmitted", "promen", parking.NOT_CLOUDEVENT),
        (
            body({**referral_event(1), "specversion": "0.3"}),
            "ReferralSubmitted",
            "promen",
            parking.NOT_CLOUDEVENT,
        ),
        # An intake smuggled under a partner's routing key, and the other way round.
        (body(intake_event(groups=50)), "ReferralSubmitted", "promen", parking.TYPE_MISMATCH),
        (body(referral_event(1)), "IntakeOpened", "coordinator", parking.TYPE_MISMATCH),
        (body(referral_event(1)), "ReferralSubmitted", None, parking.NO_USER_ID),
        (body(referral_event(1)), "ReferralSubmitted", "", parking.NO_USER_ID),
        (
            body({**referral_event(1), "type": "CoffeeOrdered"}),
            "CoffeeOrdered",
            "promen",
            parking.UNKNOWN_TYPE,
        ),
        (
            body({**referral_event(1), "dataversion": "7"}),
            "ReferralSubmitted",
            "promen",
            parking.UNKNOWN_VERSION,
        ),
        # A partner may refer, not open intakes; the coordinator may not refer.
        (body(intake_event(groups=50)), "IntakeOpened", "promen", parking.NOT_ALLOWED),
        (body(referral_event(1)), "ReferralSubmitted", "coordinator", parking.NOT_ALLOWED),
        (body(referral_event(1)), "ReferralSubmitted", "stranger", parking.NOT_ALLOWED),
        (
            body({**referral_event(1), "data": {"partner_id": "promen"}}),
            "ReferralSubmitted",
            "promen",
            parking.SCHEMA_INVALID,
        ),
    ],
)
def test_each_refused_message_gets_its_reason(
    raw: bytes, routing_key: str, user: str | None, reason: str
) -> None:
    verdict = admit(raw, routing_key, user)
    assert isinstance(verdict, gate.Refused)
    assert verdict.reason == reason
    assert verdict.detail


def test_a_refused_readable_message_keeps_its_envelope_and_schema_errors_for_an_answer() -> None:
    event = referral_event(1)
    del event["data"]["course"]
    verdict = admit(event)
    assert isinstance(verdict, gate.Refused) and verdict.reason == parking.SCHEMA_INVALID
    assert verdict.envelope is not None and verdict.envelope.id == event["id"]
    assert verdict.publisher == "promen"
    assert verdict.errors is not None


def test_schema_errors_name_fields_but_never_echo_values() -> None:
    event = referral_event(1)
    event["data"]["participant"]["given_name"] = 12345
    event["data"]["contact"]["email"] = "Geheim Adres"
    verdict = admit(event)
    assert isinstance(verdict, gate.Refused) and verdict.reason == parking.SCHEMA_INVALID
    assert "data.contact.email" in verdict.detail
    assert "Geheim" not in verdict.detail and "12345" not in verdict.detail


def test_every_event_type_of_the_catalogue_has_its_publisher_role() -> None:
    from taalhuis_shared.events import CATALOGUE

    assert {key.rsplit(".v", 1)[0] for key in CATALOGUE} == set(PUBLISHED_BY)


def test_publishers_refuse_a_role_that_does_not_exist() -> None:
    with pytest.raises(ValueError, match="unknown roles"):
        Publishers.of({"admin": ["admin"]})
    assert Publishers.of({}, partner_users=["p"]).users[Role.PARTNER] == frozenset({"p"})


def test_accepted_by_keys_by_type_and_version() -> None:
    assert list(ACCEPTED) == ["ReferralSubmitted.v1", "IntakeOpened.v1"]
