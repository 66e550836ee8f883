"""Every string, list and number in the contracts has a limit, and identifiers are normalised."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from taalhuis_shared.events import CATALOGUE, CloudEvent, ReferralSubmitted, ReferralSubmittedV1
from taalhuis_shared.events.common import Identifier, Name, Text
from taalhuis_shared.messaging import gate, parking
from taalhuis_shared.messaging.decoding import MAX_MESSAGE_BYTES, Unreadable
from taalhuis_shared.messaging.trust import Publishers
from tests.support.referrals import referral_data, referral_event

ACCEPTED = parking.accepted_by(ReferralSubmittedV1)
PUBLISHERS = Publishers.of({}, partner_users=["guest"])


def classify(body: bytes) -> Unreadable | None:
    """Why the gate refuses `body` as a referral from its partner, or None when it admits it."""
    verdict = gate.admit(body, "ReferralSubmitted", "guest", ACCEPTED, PUBLISHERS)
    return None if isinstance(verdict, gate.Admitted) else Unreadable(verdict.reason, verdict.detail)
FORMATTED = {"date-time": "2026-12-08T13:30:00.123456+01:00", "date": "2026-12-08"}


def largest(schema: dict[str, Any], definitions: dict[str, Any], path: str, letter: str) -> Any:
    """The largest document the JSON schema allows; fails on a string, list or number without limit."""
    if "$ref" in schema:
        return largest(definitions[schema["$ref"].split("/")[-1]], definitions, path, letter)
    if "anyOf" in schema:
        options = [largest(option, definitions, path, letter) for option in schema["anyOf"]]
        return max(options, key=lambda option: len(json.dumps(option, ensure_ascii=False).encode()))
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return max(schema["enum"], key=lambda value: len(json.dumps(value)))
    kind = schema.get("type")
    if kind == "string":
        if schema.get("format") in FORMATTED:
            return FORMATTED[schema["format"]]
        assert "maxLength" in schema, f"{path} is a string without a limit"
        return letter * schema["maxLength"]
    if kind == "integer":
        assert "maximum" in schema, f"{path} is a number without a limit"
        return schema["maximum"]
    if kind == "array":
        assert "maxItems" in schema, f"{path} is a list without a limit"
        return [largest(schema["items"], definitions, f"{path}[]", letter)] * schema["maxItems"]
    if kind == "object":
        found = {
            name: largest(field, definitions, f"{path}.{name}", letter)
            for name, field in schema.get("properties", {}).items()
        }
        extensions = schema.get("additionalProperties")
        if isinstance(extensions, dict):
            assert "maxProperties" in schema, f"{path} takes any number of attributes"
            for number in range(schema["maxProperties"] - len(found)):
                found[f"extension{number:011d}"] = largest(extensions, definitions, f"{path}.*", letter)
        return found
    if kind in ("boolean", "null"):
        return False if kind == "boolean" else None
    raise AssertionError(f"{path}: no rule for {schema}")


@pytest.mark.parametrize("key", sorted(CATALOGUE))
def test_every_event_is_bounded_and_fits_in_a_message_at_every_limit(key: str) -> None:
    schema = CATALOGUE[key].model_json_schema()
    # Two bytes a letter, as accented letters take in UTF-8.
    document = largest(schema, schema.get("$defs", {}), key, letter="é")
    assert len(json.dumps(document, ensure_ascii=False).encode()) <= MAX_MESSAGE_BYTES


def test_an_ordinary_referral_is_far_below_the_message_limit() -> None:
    assert len(json.dumps(referral_event(1)).encode()) < MAX_MESSAGE_BYTES // 100


def problems(error: ValidationError) -> set[tuple[str, str]]:
    return {(str(e["loc"][-1]) if e["loc"] else "", e["type"]) for e in error.errors()}


def refused(**changes: Any) -> set[tuple[str, str]]:
    with pytest.raises(ValidationError) as refusal:
        ReferralSubmitted.model_validate(referral_data(1, **changes))
    return problems(refusal.value)


def with_participant(**changes: Any) -> dict[str, Any]:
    return {**referral_data(1)["participant"], **changes}


def test_a_nul_byte_in_a_name_is_refused() -> None:
    assert refused(participant=with_participant(given_name="Ahmed\x00")) == {
        ("given_name", "control_characters")
    }


def test_a_lone_surrogate_in_a_name_is_refused() -> None:
    assert refused(participant=with_participant(given_name="Ahmed\ud800")) == {
        ("given_name", "control_characters")
    }


def test_an_empty_municipality_is_absent_and_one_of_the_two_is_needed() -> None:
    referral = ReferralSubmitted.model_validate(referral_data(1, municipality_of_work=" "))
    assert referral.municipality_of_work is None
    assert refused(municipality_of_residence="", municipality_of_work=None) == {("", "municipality_missing")}


def test_a_name_of_a_megabyte_is_refused_as_too_long() -> None:
    assert refused(participant=with_participant(family_name="B" * 1_000_000)) == {
        ("family_name", "string_too_long")
    }


def test_ten_thousand_preferred_locations_are_refused() -> None:
    assert refused(preferred_locations=["Gouda"] * 10_000) == {("preferred_locations", "too_long")}


def test_a_line_break_in_a_name_or_an_identifier_is_refused() -> None:
    assert refused(contact={"name": "Eva\r\nBcc: x@example.org", "email": "eva@example.org"}) == {
        ("name", "control_characters")
    }
    assert refused(partner_referral_id="PRM-1\n") == {("partner_referral_id", "control_characters")}


def test_an_identifier_has_no_spaces_inside_but_a_name_has() -> None:
    assert refused(partner_referral_id="PRM 0001") == {("partner_referral_id", "whitespace")}
    referral = ReferralSubmitted.model_validate(
        referral_data(1, participant=with_participant(family_name="  van der Berg "))
    )
    assert referral.participant.family_name == "van der Berg"


@pytest.mark.parametrize(
    "variant",
    [
        "PRM\u200b-0001",  # zero-width space
        "\ufeffPRM-0001",  # byte order mark
        "PRM-\u200d0001\u2060",  # zero-width joiner, word joiner
        "\u202ePRM-0001",  # right-to-left override
        "\uff30\uff32\uff2d\uff0d\uff10\uff10\uff10\uff11",  # full-width letters and digits (NFKC)
        " PRM-0001 ",
    ],
)
def test_identifier_variants_that_look_the_same_become_the_same(variant: str) -> None:
    referral = ReferralSubmitted.model_validate(referral_data(1, partner_referral_id=variant))
    assert referral.partner_referral_id == "PRM-0001"


def test_an_identifier_keeps_its_case_for_echoing_back() -> None:
    # Case is compared without regard by enrolment's database, not changed in the contract.
    referral = ReferralSubmitted.model_validate(
        referral_data(
            1, partner_referral_id="prm-0001", participant=with_participant(employee_reference="e-7")
        )
    )
    assert (referral.partner_referral_id, referral.participant.employee_reference) == ("prm-0001", "e-7")


def test_an_identifier_of_only_invisible_characters_is_empty() -> None:
    assert refused(partner_referral_id="\u200b\u200b") == {("partner_referral_id", "string_too_short")}


class Sample(BaseModel):
    identifier: Identifier
    name: Name
    text: Text


def test_free_text_keeps_line_breaks_and_tabs_but_refuses_other_control_characters() -> None:
    sample = Sample(identifier="x", name="y", text="Docent ziek.\n\tVolgende week gaat het door.")
    assert "\n\t" in sample.text
    with pytest.raises(ValidationError) as refusal:
        Sample(identifier="x", name="y", text="Docent\x07 ziek")
    assert problems(refusal.value) == {("text", "control_characters")}


def test_free_text_is_at_most_a_thousand_characters() -> None:
    with pytest.raises(ValidationError) as refusal:
        Sample(identifier="x", name="y", text="a" * 1001)
    assert problems(refusal.value) == {("text", "string_too_long")}


def test_a_number_outside_the_domain_is_refused() -> None:
    assert refused(course={"type": "klik-en-tik", "level": 10**30}) == {("level", "less_than_equal")}


@pytest.mark.parametrize(
    "extensions",
    [
        {f"ext{n}": "x" for n in range(11)},  # too many
        {"traceparent": "x" * 513},  # too long
        {"nested": {"a": {"b": 1}}},  # not a scalar
        {"Not_Allowed": "x"},  # not a CloudEvents attribute name
    ],
)
def test_the_envelope_takes_only_a_few_small_extension_attributes(extensions: dict[str, Any]) -> None:
    verdict = classify(json.dumps({**referral_event(1), **extensions}).encode())
    assert verdict is not None and verdict.reason == parking.NOT_CLOUDEVENT


def test_a_tracing_extension_attribute_is_welcome() -> None:
    event = {**referral_event(1), "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}
    assert classify(json.dumps(event).encode()) is None


def test_envelope_attributes_refuse_control_characters() -> None:
    with pytest.raises(ValidationError):
        CloudEvent.model_validate({**referral_event(1), "id": "abc\x00"})
    with pytest.raises(ValidationError):
        CloudEvent.model_validate({**referral_event(1), "subject": "x" * 201})
