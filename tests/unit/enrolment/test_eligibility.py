"""Eligibility, the retake rule and group forming, without I/O."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from enrolment.adapters.config import load_policy
from enrolment.domain import model
from enrolment.domain.course_type import Referral, WaitingList
from enrolment.entrypoints.translate import referral_command
from taalhuis_shared.events import ReferralSubmitted
from tests.support.referrals import ENROLMENT_FILE, referral_data

POLICY = load_policy(ENROLMENT_FILE)


def referral(**changes: object) -> ReferralSubmitted:
    return ReferralSubmitted.model_validate(referral_data(1, **changes))


def test_an_eligible_referral_passes() -> None:
    assert model.check_referral(referral_command(referral(), "guest"), POLICY) is None
    assert model.check_referral(referral_command(referral(partner_id="gouwe"), "guest"), POLICY) is None


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"partner_id": "onbekend"}, "unknown-partner"),
        ({"course": {"type": "excel", "level": 1}}, "unknown-course"),
        ({"course": {"type": "digisterker", "level": 4}}, "unknown-course"),
        ({"partner_id": "gouwe", "course": {"type": "digisterker", "level": 1}}, "course-not-for-partner"),
        ({"municipality_of_residence": "Utrecht"}, "municipality-not-served"),
        ({"partner_id": "gouwe", "municipality_of_residence": "Zuidplas"}, "municipality-not-served"),
        ({"can_read_and_write_a_little": False}, "cannot-read-or-write"),
        ({"consent_to_share_data": False}, "no-consent"),
    ],
)
def test_each_rule_rejects_with_its_code(changes: dict[str, object], expected: str) -> None:
    rejection = model.check_referral(referral_command(referral(**changes), "guest"), POLICY)
    assert rejection is not None
    assert rejection.code == expected
    assert rejection.reason and rejection.reason_en


def test_a_referral_sent_by_another_partners_user_is_rejected() -> None:
    rejection = model.check_referral(referral_command(referral(), "taalhuis-test-partner"), POLICY)
    assert rejection is model.PARTNER_MISMATCH


def test_working_in_a_served_municipality_is_enough() -> None:
    eligible = referral(municipality_of_residence="Utrecht", municipality_of_work="gouda ")
    assert model.check_referral(referral_command(eligible, "guest"), POLICY) is None


def test_a_retake_within_twelve_months_names_the_first_possible_day() -> None:
    rejection = model.check_retake(date(2026, 3, 31), today=date(2027, 3, 30), months=12)
    assert rejection is not None and rejection.code == "retake-too-soon"
    assert rejection.retake_possible_from == date(2027, 3, 31)
    assert "31 maart 2027" in rejection.reason
    assert model.check_retake(date(2026, 3, 31), today=date(2027, 3, 31), months=12) is None
    assert model.check_retake(None, today=date(2027, 3, 31), months=12) is None


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2026, 11, 15), 2, date(2027, 1, 15)),
        (date(2026, 12, 1), 12, date(2027, 12, 1)),
    ],
)
def test_add_months_keeps_the_day_or_the_months_last(day: date, months: int, expected: date) -> None:
    assert model.add_months(day, months) == expected


def test_display_name_keeps_only_the_initial_of_the_family_name() -> None:
    assert model.display_name("Ahmed", "Bakker") == "Ahmed B."
    assert model.display_name("Jan", "van der Berg") == "Jan B."
    assert model.display_name("Els", "de") == "Els D."
    assert model.display_name("Jan", "'t Hart") == "Jan H."
    assert model.display_name("Sam", "-") == "Sam"


def test_a_blank_name_is_refused_by_the_contract() -> None:
    with pytest.raises(ValueError, match="family_name"):
        referral(participant={"employee_reference": "E-1", "given_name": "Jan", "family_name": "   "})


def test_the_list_waiting_longest_forms_the_next_group() -> None:
    lists = [
        WaitingList(level=1, language_group="NT1", waiting=7, head=[waiting_since(20)]),
        WaitingList(level=2, language_group="NT2", waiting=5, head=[waiting_since(3)]),
        WaitingList(level=3, language_group="", waiting=4, head=[waiting_since(1)]),
    ]
    chosen = model.next_full_group(lists, capacity=5)
    assert chosen is not None and (chosen.level, chosen.language_group) == (2, "NT2")
    assert model.next_full_group(lists[2:], capacity=5) is None


def waiting_since(arrival: int) -> Referral:
    contact = model.Contact("Sanne", "sanne@promen.example")
    return Referral(
        str(arrival),
        "",
        "promen",
        f"PRM-{arrival}",
        f"E-{arrival}",
        "Jan B.",
        "klik-en-tik",
        1,
        "",
        (),
        contact,
        arrival,
    )


def test_preferred_locations_are_ordered_by_how_many_want_them() -> None:
    wanted = model.preferred_locations([["Wijk", "Bieb"], ["Bieb"], [], ["Promen", "Bieb"], ["Wijk"]])
    assert wanted == ["Bieb", "Wijk", "Promen"]


def test_the_enrolment_file_is_checked_at_start(tmp_path: object) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "enrolment.yaml"
    path.write_text(
        "courses: [{type: klik-en-tik, levels: 3}]\n"
        "default_municipalities: [Gouda]\n"
        "partners: [{id: promen, name: Promen, courses: [excel],\n"
        "            contacts: [{name: S, email: s@promen.example}]}]\n"
    )
    with pytest.raises(ValueError, match="excel"):
        load_policy(path)


def test_the_console_may_refer_for_any_partner_and_the_answer_goes_to_the_named_partner() -> None:
    # The console's user holds no partner's user; the console itself binds a login to a partner.
    policy = dataclasses.replace(POLICY, console_users=frozenset({"console"}))
    named = referral(partner_id="werkbedrijf")
    assert model.check_referral(referral_command(named, "console"), policy) is None
    assert policy.sender("console", "werkbedrijf") == "werkbedrijf"
    refused = model.check_referral(referral_command(named, "console"), POLICY)
    assert refused is not None and refused.code == "partner-mismatch"
