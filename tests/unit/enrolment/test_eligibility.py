"""Eligibility rules and group filling, without I/O."""

from __future__ import annotations

import pytest

from enrolment.domain import model
from taalhuis_shared.events import ReferralSubmitted
from tests.support.referrals import referral_data

POLICY = model.Policy.from_settings(
    "klik-en-tik:3,digisterker:3", "Gouda, Bodegraven-Reeuwijk,Krimpenerwaard,Waddinxveen,Zuidplas", 5
)


def referral(**changes: object) -> ReferralSubmitted:
    return ReferralSubmitted.model_validate(referral_data(1, **changes))


def test_an_eligible_referral_passes() -> None:
    assert model.check_eligibility(referral(), POLICY) is None


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"course": {"type": "excel", "level": 1}}, "unknown-course"),
        ({"course": {"type": "digisterker", "level": 4}}, "unknown-course"),
        ({"municipality_of_residence": "Utrecht"}, "municipality-not-served"),
        ({"can_read_and_write_a_little": False}, "cannot-read-or-write"),
        ({"consent_to_share_data": False}, "no-consent"),
    ],
)
def test_each_rule_rejects_with_its_code(changes: dict[str, object], expected: str) -> None:
    rejection = model.check_eligibility(referral(**changes), POLICY)
    assert rejection is not None
    assert rejection.code == expected
    assert rejection.reason and rejection.reason_en


def test_working_in_a_served_municipality_is_enough() -> None:
    eligible = referral(municipality_of_residence="Utrecht", municipality_of_work="gouda ")
    assert model.check_eligibility(eligible, POLICY) is None


def test_display_name_keeps_only_the_initial_of_the_family_name() -> None:
    assert model.display_name("Ahmed", "Bakker") == "Ahmed B."
    assert model.display_name("Jan", "van der Berg") == "Jan B."
    assert model.display_name("Els", "de") == "Els D."


def test_a_group_is_full_at_its_capacity_and_takes_no_more() -> None:
    group = model.Group("g1", "klik-en-tik", 1, capacity=2)
    group.place("r1")
    assert not group.is_full
    group.place("r2")
    assert group.is_full
    with pytest.raises(ValueError, match="full"):
        group.place("r3")
