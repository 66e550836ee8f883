"""How the services recognise a person's records when erasing: whole words, any case."""

from __future__ import annotations

from taalhuis_shared.erasure import Person

PERSON = Person(
    "promen",
    referral_ids=frozenset({"0b4e0a9e-1"}),
    partner_referral_ids=frozenset({"PRM-12"}),
    display_names=frozenset({"Ahmed B."}),
    employee_reference="E-12",
)


def test_a_person_is_named_by_any_of_their_strings_in_any_case() -> None:
    assert PERSON.named_in('{"partner_referral_id": "prm-12"}')
    assert PERSON.named_in("Deelnemers: Ahmed B., Fatma K.")
    assert PERSON.named_in("employee e-12 parked")
    assert PERSON.named_in('"referral_id": "0b4e0a9e-1"')


def test_a_longer_reference_that_starts_the_same_is_someone_else() -> None:
    assert not PERSON.named_in('{"partner_referral_id": "PRM-123", "employee": "E-120"}')
    assert not PERSON.named_in("Ahmed Bakker")


def test_a_person_without_strings_is_named_nowhere() -> None:
    assert not Person("promen").named_in("anything at all")
    assert Person.from_json(PERSON.as_json()) == PERSON
