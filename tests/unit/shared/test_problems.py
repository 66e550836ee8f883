"""Field errors in plain Dutch and English, naming the field as a person knows it, never the value."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from taalhuis_shared.events import ReferralSubmitted, ReferralSubmittedV1
from taalhuis_shared.events.common import MAX_TEXT
from taalhuis_shared.events.problems import describe_errors
from tests.support.referrals import referral_data, referral_event


def described(**changes: Any) -> tuple[str, str]:
    with pytest.raises(ValidationError) as refusal:
        ReferralSubmitted.model_validate(referral_data(1, **changes))
    return describe_errors(refusal.value)


def participant(**changes: Any) -> dict[str, Any]:
    return {**referral_data(1)["participant"], **changes}


@pytest.mark.parametrize(
    ("changes", "dutch", "english"),
    [
        (
            {"participant": participant(family_name="B" * 101)},
            "De achternaam van de deelnemer is te lang (hoogstens 100 tekens).",
            "The participant's family name is too long (at most 100 characters).",
        ),
        (
            {"participant": participant(given_name="   ")},
            "De voornaam van de deelnemer is leeg.",
            "The participant's given name is empty.",
        ),
        (
            {"participant": participant(given_name="Ahmed\x00")},
            "De voornaam van de deelnemer bevat tekens die niet zijn toegestaan",
            "The participant's given name contains characters that are not allowed",
        ),
        (
            {"participant": participant(employee_reference="E 10231")},
            "Het personeelsnummer van de deelnemer mag geen spaties bevatten.",
            "The participant's employee reference must not contain spaces.",
        ),
        (
            {"contact": {"name": "Sanne de Wit", "email": "sanne-at-promen"}},
            "Het e-mailadres van de contactpersoon is geen geldig e-mailadres.",
            "The contact person's e-mail address is not a valid e-mail address.",
        ),
        (
            {"preferred_locations": ["Gouda"] * 6},
            "De lijst met voorkeurslocaties is te lang: er mogen er hoogstens 5 in staan.",
            "The list of preferred locations is too long: it may hold at most 5.",
        ),
        (
            {"language_group": "NT3"},
            "De taalgroep heeft een waarde die niet is toegestaan. Toegestaan is: 'NT1' of 'NT2'.",
            "The language group has a value that is not allowed. Allowed: 'NT1' or 'NT2'.",
        ),
        (
            {"course": {"type": "klik-en-tik", "level": 10**6}},
            "Het niveau van de cursus is te groot (hoogstens 9).",
            "The course level is too large (at most 9).",
        ),
        (
            {"consent_to_share_data": "misschien"},
            "heeft niet de goede vorm: verwacht is ja of nee (true of false).",
            "has the wrong form: expected yes or no (true or false).",
        ),
        (
            {"participant": {"given_name": "Ahmed", "family_name": "Bakker"}},
            "Het personeelsnummer van de deelnemer ontbreekt.",
            "The participant's employee reference is missing.",
        ),
        (
            {"municipality_of_residence": None},
            "De gemeente waar de deelnemer woont of werkt ontbreekt",
            "The municipality the participant lives or works in is missing",
        ),
        (
            {"preferred_locations": ["Gouda", 7]},
            "Een voorkeurslocatie heeft niet de goede vorm: verwacht is tekst.",
            "A preferred location has the wrong form: expected text.",
        ),
    ],
)
def test_each_kind_of_error_in_plain_words(changes: dict[str, Any], dutch: str, english: str) -> None:
    nl, en = described(**changes)
    assert dutch in nl
    assert english in en


def test_the_offending_value_is_never_repeated() -> None:
    secret = "Geheimnaam"
    nl, en = described(
        participant=participant(family_name=secret * 20, given_name=f"{secret}\x00"),
        contact={"name": "Sanne", "email": f"{secret} at promen"},
        language_group=secret,
    )
    assert secret not in nl and secret not in en
    assert secret.lower() not in nl.lower()


def test_errors_of_a_whole_event_name_the_fields_inside_data() -> None:
    event = referral_event(1)
    del event["data"]["partner_referral_id"]
    with pytest.raises(ValidationError) as refusal:
        ReferralSubmittedV1.model_validate(event)
    assert describe_errors(refusal.value) == (
        "Het aanmeldnummer van de partner ontbreekt.",
        "The partner's referral id is missing.",
    )


def test_an_unknown_field_is_named_by_its_path() -> None:
    with pytest.raises(ValidationError) as refusal:
        ReferralSubmittedV1.model_validate({**referral_event(1), "id": ""})
    nl, en = describe_errors(refusal.value)
    assert nl == "Het veld 'id' is leeg."
    assert en == "The field 'id' is empty."


def test_many_errors_fit_in_a_rejection_reason() -> None:
    data = referral_data(1)
    data["participant"] = {"employee_reference": "x" * 200, "given_name": "y" * 200, "family_name": "z" * 200}
    data["contact"] = {"name": "n" * 300, "email": "geen adres"}
    data.update(partner_id="a b", partner_referral_id="c d", language_group="NT9")
    data["preferred_locations"] = [1] * 9
    data["course"] = {"type": "t" * 60, "level": 99}
    data.update(can_read_and_write_a_little="?", consent_to_share_data="?")
    with pytest.raises(ValidationError) as refusal:
        ReferralSubmitted.model_validate(data)
    nl, en = describe_errors(refusal.value)
    assert len(refusal.value.errors()) > 10
    assert nl.endswith("andere fout(en).") and en.endswith("more error(s).")
    assert len(nl) <= MAX_TEXT and len(en) <= MAX_TEXT
