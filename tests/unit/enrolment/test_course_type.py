"""The course type aggregate: acceptance, waiting lists, groups, early closure and withdrawals, in memory."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from enrolment.adapters.config import load_policy
from enrolment.domain import events, model
from enrolment.domain.course_type import (
    CourseType,
    Group,
    HeadTooShortError,
    History,
    Intake,
    Referral,
    WaitingList,
)
from enrolment.domain.status import ReferralStatus, WithdrawalOutcome
from tests.support.referrals import ENROLMENT_FILE

from .fakes import submitted

POLICY = load_policy(ENROLMENT_FILE)
OFFER = POLICY.courses["klik-en-tik"]
TODAY = date(2027, 1, 4)


def course_type(*intakes: Intake) -> CourseType:
    return CourseType("klik-en-tik", OFFER, intakes=intakes)


def room(groups: int = 1, intake_id: str = "intake") -> Intake:
    return Intake(intake_id, "klik-en-tik", groups, 0, date(2027, 1, 11), ("Bibliotheek Gouda",))


def submit_all(course: CourseType, numbers: range, **changes: Any) -> None:
    for number in numbers:
        course.submit(submitted(number, **changes), POLICY, History(), arrival=number, today=TODAY)


def of_kind(course: CourseType, kind: type[Any]) -> list[Any]:
    return [e for e in course.events if isinstance(e, kind)]


def rejections(course: CourseType) -> list[str]:
    return [e.rejection.code for e in of_kind(course, events.ReferralRejected)]


# --- acceptance ----------------------------------------------------------------------------------


def test_an_accepted_referral_waits_at_the_end_of_its_list() -> None:
    course = course_type()
    submit_all(course, range(1, 4))
    submit_all(course, range(4, 5), language_group="NT2")

    accepted = of_kind(course, events.ReferralAccepted)
    assert [(a.partner_referral_id, a.waiting_position) for a in accepted] == [
        ("PRM-0001", 1), ("PRM-0002", 2), ("PRM-0003", 3), ("PRM-0004", 1),
    ]  # fmt: skip
    assert accepted[0].contact == model.Contact("Sanne de Wit", "sanne.dewit@promen.example")
    assert course.waiting_lists[(1, "NT1")].waiting == 3
    assert [r.status for r in course.new_referrals] == [ReferralStatus.WAITING] * 4
    assert course.new_referrals[0].display_name == "Deelnemer1 B."
    course.submit(
        submitted(5, municipality_of_residence="  Bodegraven-Reeuwijk "), POLICY, History(), 5, TODAY
    )
    assert course.new_referrals[-1].municipality_of_residence == "Bodegraven-Reeuwijk", (
        "as the numbers count it"
    )


@pytest.mark.parametrize(
    ("changes", "publisher", "code"),
    [
        ({"partner_id": "onbekend"}, "guest", "unknown-partner"),
        ({}, "taalhuis-test-partner", "partner-mismatch"),
        ({"course": {"type": "klik-en-tik", "level": 4}}, "guest", "unknown-course"),
        (
            {"partner_id": "gouwe", "course": {"type": "digisterker", "level": 1}},
            "guest",
            "course-not-for-partner",
        ),
        ({"municipality_of_residence": "Utrecht"}, "guest", "municipality-not-served"),
        ({"can_read_and_write_a_little": False}, "guest", "cannot-read-or-write"),
        ({"consent_to_share_data": False}, "guest", "no-consent"),
    ],
)
def test_each_rule_rejects_with_its_code_and_nobody_waits(
    changes: dict[str, Any], publisher: str, code: str
) -> None:
    course = course_type(room())
    course.submit(submitted(1, publisher, **changes), POLICY, History(), arrival=1, today=TODAY)

    assert rejections(course) == [code]
    assert course.new_referrals == [] and course.waiting_lists == {}


def test_a_rejection_goes_to_the_partner_that_sent_it_with_its_own_contact() -> None:
    course = course_type()
    course.submit(submitted(1, "taalhuis-test-partner"), POLICY, History(), arrival=1, today=TODAY)

    (rejected,) = of_kind(course, events.ReferralRejected)
    assert rejected.partner_id == "werkbedrijf"
    assert rejected.contact == model.Contact("Wim Werk", "wim@werkbedrijf.example")


def test_a_referral_id_seen_before_or_earlier_in_the_batch_is_a_duplicate_in_any_case() -> None:
    course = course_type()
    course.submit(submitted(1), POLICY, History(known=True), arrival=1, today=TODAY)
    course.submit(submitted(2), POLICY, History(), arrival=2, today=TODAY)
    again = submitted(3, partner_referral_id="prm-0002")
    course.submit(again, POLICY, History(), arrival=3, today=TODAY)

    assert rejections(course) == ["duplicate-referral", "duplicate-referral"]
    assert [r.partner_referral_id for r in course.new_referrals] == ["PRM-0002"]


def test_a_duplicate_wins_over_any_other_rule() -> None:
    course = course_type()
    course.submit(
        submitted(1, consent_to_share_data=False), POLICY, History(known=True), arrival=1, today=TODAY
    )
    assert rejections(course) == ["duplicate-referral"]


def test_a_person_already_waiting_or_earlier_in_the_batch_is_already_enrolled() -> None:
    course = course_type()
    course.submit(submitted(1), POLICY, History(enrolled=True), arrival=1, today=TODAY)
    person = {"employee_reference": "EMP-0009", "given_name": "Jan", "family_name": "Jansen"}
    course.submit(submitted(2, participant=person), POLICY, History(), arrival=2, today=TODAY)
    same_person = {**person, "employee_reference": "emp-0009"}
    course.submit(submitted(3, participant=same_person), POLICY, History(), arrival=3, today=TODAY)
    other_level = submitted(4, participant=person, course={"type": "klik-en-tik", "level": 2})
    course.submit(other_level, POLICY, History(), arrival=4, today=TODAY)

    assert rejections(course) == ["already-enrolled", "already-enrolled"]
    assert [r.partner_referral_id for r in course.new_referrals] == ["PRM-0002", "PRM-0004"]


def test_a_retake_waits_twelve_months_from_the_last_completion() -> None:
    course = course_type()
    course.submit(submitted(1), POLICY, History(last_completed=date(2026, 2, 5)), arrival=1, today=TODAY)
    course.submit(submitted(2), POLICY, History(last_completed=date(2026, 1, 4)), arrival=2, today=TODAY)

    (too_soon,) = of_kind(course, events.ReferralRejected)
    assert too_soon.rejection.code == "retake-too-soon"
    assert too_soon.rejection.retake_possible_from == date(2027, 2, 5)
    assert "5 februari 2027" in too_soon.rejection.reason
    assert [r.partner_referral_id for r in course.new_referrals] == ["PRM-0002"]


# --- groups --------------------------------------------------------------------------------------


def test_without_room_people_wait_and_no_group_forms() -> None:
    course = course_type()
    submit_all(course, range(1, 8))
    assert of_kind(course, events.GroupFilled) == []
    assert course.waiting_lists[(1, "NT1")].waiting == 7


def test_a_full_list_forms_a_group_at_once_when_an_intake_has_room() -> None:
    intake = room(groups=1)
    course = course_type(intake)
    submit_all(course, range(1, 6))

    (group,) = of_kind(course, events.GroupFilled)
    assert [m.partner_referral_id for m in group.members] == [f"PRM-{n:04d}" for n in range(1, 6)]
    assert (group.level, group.language_group, group.capacity, group.closed_early) == (1, "NT1", 5, False)
    assert group.earliest_start == intake.from_date and group.locations == intake.locations
    placed = of_kind(course, events.ParticipantPlaced)
    assert [p.member.referral_id for p in placed] == [m.referral_id for m in group.members]
    assert course.events.index(placed[-1]) < course.events.index(group), "placements before the group"
    assert [(r.status, r.seat) for r in course.new_referrals] == [
        (ReferralStatus.PLACED, s) for s in range(1, 6)
    ]
    assert intake.groups_used == 1 and course.used_intakes == {intake.id: intake}
    assert course.waiting_lists[(1, "NT1")].waiting == 0


def test_the_list_waiting_longest_forms_the_group_and_room_runs_out() -> None:
    course = course_type(room(groups=1))
    for number in range(1, 5):  # level 2 starts waiting first, but is not full yet
        course.submit(
            submitted(number, course={"type": "klik-en-tik", "level": 2}), POLICY, History(), number, TODAY
        )
    submit_all(course, range(5, 15), language_group="NT2")  # level 1 NT2 fills first: group 1
    course.submit(submitted(20, course={"type": "klik-en-tik", "level": 2}), POLICY, History(), 20, TODAY)

    (group,) = of_kind(course, events.GroupFilled)
    assert (group.level, group.language_group) == (1, "NT2")
    assert course.waiting_lists[(1, "NT2")].waiting == 5, "no room left for a second group"
    assert course.waiting_lists[(2, "NT1")].waiting == 5

    course.open_intake(room(groups=5, intake_id="more"))
    formed = [(g.level, g.language_group) for g in of_kind(course, events.GroupFilled)]
    assert formed == [(1, "NT2"), (2, "NT1"), (1, "NT2")], "longest waiting first: level 2 since arrival 1"


def test_an_intake_loaded_with_the_course_type_is_not_counted_twice() -> None:
    intake = room(groups=1)
    course = course_type(intake)
    course.open_intake(intake)
    assert course.intakes == [intake]


# --- early closure -------------------------------------------------------------------------------


def test_closing_early_needs_the_minimum_waiting() -> None:
    course = course_type(room())
    submit_all(course, range(1, 3))
    assert not course.close_early(1, "NT1")
    (refused,) = of_kind(course, events.EarlyClosureRefused)
    assert refused.code == "too-few-waiting"
    assert refused.reason == "Er wachten te weinig deelnemers: 2, minstens 3 nodig."


def test_closing_early_needs_room() -> None:
    course = course_type()
    submit_all(course, range(1, 4))
    assert not course.close_early(1, "NT1")
    assert [r.code for r in of_kind(course, events.EarlyClosureRefused)] == ["no-capacity"]


def test_closing_early_forms_a_group_of_those_waiting() -> None:
    course = course_type(room())
    submit_all(course, range(1, 4))
    assert course.close_early(1, "NT1")
    (group,) = of_kind(course, events.GroupFilled)
    assert group.closed_early and len(group.members) == 3 and group.capacity == 5


# --- withdrawals ---------------------------------------------------------------------------------


def placed_group(first_session: date | None) -> tuple[CourseType, Group, list[Referral]]:
    """A course type with a formed group of five and two more people waiting."""
    course = course_type(room())
    submit_all(course, range(1, 8))
    (group,) = course.new_groups
    group.first_session = first_session
    course.events.clear()
    return course, group, course.new_referrals


def test_a_withdrawal_from_the_waiting_list_shortens_it() -> None:
    course = course_type()
    submit_all(course, range(1, 4))
    first = course.new_referrals[0]
    assert course.withdraw(first, TODAY) is WithdrawalOutcome.REMOVED_FROM_WAITING_LIST
    assert first.status is ReferralStatus.WITHDRAWN
    assert course.waiting_lists[(1, "NT1")].waiting == 2
    course.submit(submitted(9), POLICY, History(), arrival=9, today=TODAY)
    assert of_kind(course, events.ReferralAccepted)[-1].waiting_position == 3


def test_before_the_first_session_the_next_person_waiting_takes_the_same_seat() -> None:
    course, group, people = placed_group(first_session=date(2027, 1, 11))
    leaving = people[2]
    assert course.withdraw(leaving, TODAY) is WithdrawalOutcome.REMOVED_FROM_GROUP

    assert (leaving.status, leaving.group_id, leaving.seat) == (ReferralStatus.WITHDRAWN, None, None)
    replacement = people[5]
    assert (replacement.status, replacement.group_id, replacement.seat) == (
        ReferralStatus.PLACED,
        group.id,
        3,
    )
    (changed,) = of_kind(course, events.GroupChanged)
    assert [m.referral_id for m in changed.removed] == [leaving.id]
    assert [m.referral_id for m in changed.added] == [replacement.id]
    assert [m.referral_id for m in changed.members] == [
        p.id for p in (people[0], people[1], people[5], *people[3:5])
    ]
    assert [type(e).__name__ for e in course.events] == [
        "ParticipantPlaced",
        "GroupChanged",
        "WithdrawalProcessed",
    ]
    assert course.waiting_lists[(1, "NT1")].waiting == 1


def test_during_the_course_a_withdrawal_is_noted_and_nobody_takes_the_seat() -> None:
    course, _group, people = placed_group(first_session=TODAY)
    leaving = people[0]
    assert course.withdraw(leaving, TODAY) is WithdrawalOutcome.LEFT_DURING_COURSE
    assert (leaving.status, leaving.seat) == (ReferralStatus.LEFT, 1)
    (changed,) = of_kind(course, events.GroupChanged)
    assert changed.added == () and len(changed.members) == 4
    assert course.waiting_lists[(1, "NT1")].waiting == 2


def test_a_referral_that_ended_cannot_be_withdrawn_again() -> None:
    course, _group, people = placed_group(first_session=TODAY)
    course.withdraw(people[0], TODAY)
    course.events.clear()
    assert course.withdraw(people[0], TODAY) is WithdrawalOutcome.ALREADY_ENDED
    assert [type(e).__name__ for e in course.events] == ["WithdrawalProcessed"]


# --- loading stays bounded -----------------------------------------------------------------------


def test_a_list_loaded_in_part_counts_new_arrivals_without_holding_them() -> None:
    contact = model.Contact("Sanne", "sanne@promen.example")
    head = [
        Referral(
            f"r{n}", "", "promen", f"PRM-{n}", f"E-{n}", "Jan B.", "klik-en-tik", 1, "NT1", (), contact, n
        )
        for n in range(1, 6)
    ]
    waiting_list = WaitingList(1, "NT1", waiting=1000, head=list(head))
    course = CourseType("klik-en-tik", OFFER, [waiting_list])
    course.submit(submitted(2000), POLICY, History(), arrival=2000, today=TODAY)
    assert of_kind(course, events.ReferralAccepted)[0].waiting_position == 1001
    assert len(waiting_list.head) == 5
    assert course.close_early(1, "NT1") is False  # no room
    assert waiting_list.take(5) == head
    with pytest.raises(HeadTooShortError):
        waiting_list.take(1)


def test_moved_sessions_set_the_first_and_last_day() -> None:
    first, last = date(2027, 1, 11), date(2027, 2, 8)
    assert model.moved_course_dates(first, last, [(1, date(2027, 1, 18))]) == (date(2027, 1, 18), last)
    assert model.moved_course_dates(first, last, [(5, date(2027, 3, 1))]) == (first, date(2027, 3, 1))
    assert model.moved_course_dates(None, None, [(2, date(2027, 3, 1))]) == (None, date(2027, 3, 1))
