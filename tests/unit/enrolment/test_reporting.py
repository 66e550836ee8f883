"""The municipality's numbers without a database: which counts each fact adds, and the sketches."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from enrolment.domain import reporting
from enrolment.domain.reporting import ALL, Count, Course, Measure, Person
from enrolment.service_layer.reporting import count_handled
from taalhuis_shared.events import (
    CloudEvent,
    CourseCompletedV1,
    CourseScheduledV1,
    GroupFilled,
    ParticipantPlaced,
    ReferralAccepted,
    ReferralRejected,
    ReferralSubmittedV1,
    ReferralWithdrawnV1,
    SessionCancelled,
    SessionCancelledV1,
    SessionRescheduledV1,
    WithdrawalProcessed,
    new_event,
)
from tests.support.referrals import (
    completion_event,
    course_scheduled_event,
    referral_event,
    session_moved_event,
    withdrawal_event,
)

DAY = date(2027, 3, 1)
GOUDA = Person("Gouda", "promen", "klik-en-tik", 1)
GOUDA_GOUWE = Person("gouda", "gouwe", "klik-en-tik", 1)  # the same place in another case
WADDINXVEEN = Person("Waddinxveen", "promen", "klik-en-tik", 1)
COURSE = Course("klik-en-tik", 1, (GOUDA, GOUDA_GOUWE, WADDINXVEEN))
ZONE = ZoneInfo("Europe/Amsterdam")


def keys(counts: Sequence[Count]) -> dict[tuple[str, str, str, str], int]:
    """(measure, reason, municipality, partner) -> amount, for short assertions."""
    found: dict[tuple[str, str, str, str], int] = {}
    for c in reporting.added_up(counts):
        key = (c.measure.value, c.reason, c.municipality, c.partner_id)
        found[key] = found.get(key, 0) + c.amount
    return found


# --- the pure rules -------------------------------------------------------------------------------


def test_a_course_counts_once_in_every_slice_a_filter_can_ask_for() -> None:
    slices = {(c.municipality, c.partner_id) for c in reporting.for_course(DAY, Measure.GROUP_FORMED, COURSE)}
    assert slices == {
        (ALL, ALL),
        ("Gouda", ALL),
        ("Waddinxveen", ALL),
        (ALL, "promen"),
        (ALL, "gouwe"),
        ("Gouda", "promen"),
        ("Gouda", "gouwe"),
        ("Waddinxveen", "promen"),
    }
    counts = reporting.for_course(DAY, Measure.GROUP_FORMED, COURSE)
    assert all(c.amount == 1 and c.course_type == "klik-en-tik" and c.level == 1 for c in counts)


def test_a_course_without_known_members_counts_in_the_total_only() -> None:
    [count] = reporting.for_course(DAY, Measure.COURSE_PAUSED, Course("digisterker", 2))
    assert (count.municipality, count.partner_id, count.course_type, count.level) == (
        ALL,
        ALL,
        "digisterker",
        2,
    )


def test_an_answered_referral_is_received_and_accepted_or_rejected_with_its_reason() -> None:
    rejected = reporting.referral_answered(DAY, GOUDA, "cannot-read-or-write")
    assert keys(rejected) == {
        ("referral-received", "", "Gouda", "promen"): 1,
        ("referral-rejected", "cannot-read-or-write", "Gouda", "promen"): 1,
    }
    accepted = reporting.referral_answered(DAY, GOUDA, None, retake=True)
    assert set(keys(accepted)) == {
        ("referral-received", "", "Gouda", "promen"),
        ("referral-accepted", "", "Gouda", "promen"),
        ("waiting-entered", "", "Gouda", "promen"),
        ("retake", "", "Gouda", "promen"),
    }
    assert Measure.RETAKE not in {c.measure for c in reporting.referral_answered(DAY, GOUDA, None)}


def test_each_withdrawal_outcome_counts_where_the_person_was() -> None:
    assert keys(reporting.withdrawn(DAY, GOUDA, "removed-from-waiting-list")) == {
        ("waiting-left", "withdrawn", "Gouda", "promen"): 1
    }
    assert [c.measure for c in reporting.withdrawn(DAY, GOUDA, "removed-from-group")] == [
        Measure.WITHDRAWN_FROM_GROUP
    ]
    assert [c.measure for c in reporting.withdrawn(DAY, GOUDA, "left-during-course")] == [Measure.STOPPED]
    assert reporting.withdrawn(DAY, GOUDA, "already-ended") == []
    assert reporting.withdrawn(DAY, GOUDA, "not-found") == []


def test_a_group_closed_early_counts_as_formed_and_as_closed_early() -> None:
    measures = {c.measure for c in reporting.group_formed(DAY, COURSE, closed_early=True)}
    assert measures == {Measure.GROUP_FORMED, Measure.GROUP_CLOSED_EARLY}
    assert {c.measure for c in reporting.group_formed(DAY, COURSE, closed_early=False)} == {
        Measure.GROUP_FORMED
    }


def test_a_course_starts_on_its_first_session_and_the_start_moves_with_it() -> None:
    course = Course("klik-en-tik", 1, (GOUDA,))
    started = reporting.first_session_moved(None, DAY, course)
    assert {(c.day, c.amount) for c in started} == {(DAY, 1)}
    assert reporting.first_session_moved(DAY, DAY, course) == []
    later = DAY + timedelta(weeks=3)
    moved = reporting.added_up([*started, *reporting.first_session_moved(DAY, later, course)])
    assert {(c.day, c.amount) for c in moved} == {(later, 1)}, "the old day comes to zero and goes"


def test_a_completed_course_counts_its_people_the_course_and_each_session_held_on_its_day() -> None:
    days = [DAY - timedelta(weeks=n) for n in range(4)]
    counts = reporting.course_completed(DAY, Course("klik-en-tik", 1, (GOUDA,)), [GOUDA], days)
    total = {c.day: c.amount for c in counts if c.measure is Measure.SESSION_HELD and c.municipality == ALL}
    assert total == dict.fromkeys(days, 1)
    assert keys(counts)[("participant-completed", "", "Gouda", "promen")] == 1
    assert keys(counts)[("course-completed", "", ALL, ALL)] == 1


def test_the_sketch_counts_different_people_once_and_holds_no_key() -> None:
    sketch = None
    for number in [*range(300), *range(100)]:  # a hundred people twice
        sketch = reporting.with_person(sketch, f"key-of-person-{number:04d}")
    assert sketch is not None
    assert b"key-of-person" not in sketch
    other = None
    for number in range(250, 400):  # fifty of them again, on another day
        other = reporting.with_person(other, f"key-of-person-{number:04d}")
    assert other is not None
    assert reporting.distinct_people([sketch]) == 300
    estimate = reporting.distinct_people([sketch, other])
    assert abs(estimate - 400) <= 400 * 0.05, estimate
    assert reporting.distinct_people([]) == 0


def test_municipalities_are_counted_as_normalised_text() -> None:
    assert reporting.municipality("  Bodegraven-\u200bReeuwijk ") in {
        "Bodegraven-Reeuwijk",
        "Bodegraven-\u200bReeuwijk",
    }
    assert reporting.municipality("Krimpen  aan den\tIJssel") == "Krimpen aan den IJssel"
    assert reporting.municipality(None) == ""


# --- counting a handled event, with a fake book -------------------------------------------------


@dataclass
class FakeBook:
    """Referral rows by id (person, group, status) and what was counted."""

    people: dict[str, Person] = field(default_factory=dict)
    groups: dict[str, str] = field(default_factory=dict)  # referral id -> group id
    completed: set[str] = field(default_factory=set)
    earlier_completions: set[str] = field(default_factory=set)
    references: dict[tuple[str, str], str] = field(default_factory=dict)
    planned: dict[str, dict[int, tuple[date, bool]]] = field(default_factory=dict)
    counts: list[Count] = field(default_factory=list)
    taking_part: list[tuple[date, str]] = field(default_factory=list)

    async def person(self, referral_id: str) -> Person | None:
        return self.people.get(referral_id)

    async def referral(self, partner_id: str, partner_referral_id: str) -> str | None:
        return self.references.get((partner_id, partner_referral_id))

    async def completed_before(self, referral_id: str) -> bool:
        return referral_id in self.earlier_completions

    async def course(self, group_id: str, course_type: str, level: int) -> Course:
        members = tuple(self.people[r] for r, g in self.groups.items() if g == group_id)
        return Course(course_type, level, members)

    async def completed_in(self, group_id: str) -> list[str]:
        return [r for r, g in self.groups.items() if g == group_id and r in self.completed]

    async def sessions(self, group_id: str) -> dict[int, tuple[date, bool]]:
        return dict(self.planned.get(group_id, {}))

    async def plan_sessions(self, group_id: str, days: dict[int, date]) -> None:
        self.planned.setdefault(group_id, {}).update({n: (d, False) for n, d in days.items()})

    async def cancel_session(self, group_id: str, number: int, day: date) -> None:
        self.planned.setdefault(group_id, {})[number] = (day, True)

    async def forget_sessions(self, group_id: str) -> None:
        self.planned.pop(group_id, None)

    async def add(self, counts: Sequence[Count]) -> None:
        self.counts += counts

    async def took_part(self, day: date, referral_ids: Sequence[str]) -> None:
        self.taking_part += [(day, referral_id) for referral_id in referral_ids]

    def total(self, measure: Measure, reason: str | None = None) -> int:
        """A measure's amount over all days, in the total slice for course-level measures."""
        return sum(
            c.amount
            for c in self.counts
            if c.measure is measure
            and reason in (None, c.reason)
            and (measure not in reporting.COURSE_MEASURES or (c.municipality, c.partner_id) == (ALL, ALL))
        )


def answer(data: Any) -> dict[str, Any]:
    return new_event(data, source="urn:taalhuis:enrolment")


GROUP = {
    "group_id": "group-1",
    "course": {"type": "klik-en-tik", "level": 1},
    "participants": [
        {
            "referral_id": "r1",
            "partner_id": "promen",
            "partner_referral_id": "PRM-0001",
            "display_name": "A B.",
        }
    ],
    "contacts": [{"partner_id": "promen", "contact": {"name": "Sanne", "email": "sanne@promen.example"}}],
}


def in_group(book: FakeBook) -> FakeBook:
    book.people.update(r1=GOUDA, r2=WADDINXVEEN)
    book.groups.update(r1="group-1", r2="group-1")
    return book


async def test_an_accepted_referral_counts_where_the_person_lives_and_notes_the_municipality() -> None:
    book = FakeBook(earlier_completions={"r9"})
    event = ReferralSubmittedV1.model_validate(referral_event(9, municipality_of_residence="  Gouda "))
    accepted = ReferralAccepted.model_validate(
        {
            "referral_id": "r9",
            "partner_id": "promen",
            "partner_referral_id": "PRM-0009",
            "course": {"type": "klik-en-tik", "level": 1},
            "waiting_position": 1,
        }
    )
    await count_handled(event, [answer(accepted)], book, DAY)
    assert keys(book.counts) == {
        ("referral-received", "", "Gouda", "promen"): 1,
        ("referral-accepted", "", "Gouda", "promen"): 1,
        ("waiting-entered", "", "Gouda", "promen"): 1,
        ("retake", "", "Gouda", "promen"): 1,
    }
    assert {c.day for c in book.counts} == {DAY}


async def test_a_rejected_referral_counts_its_reason_and_stores_nothing_of_the_person() -> None:
    book = FakeBook()
    event = ReferralSubmittedV1.model_validate(referral_event(3, municipality_of_residence="Utrecht"))
    rejected = ReferralRejected(
        partner_id="promen", partner_referral_id="PRM-0003", reason_code="municipality-not-served",
        reason="…", reason_en="…",
    )  # fmt: skip
    await count_handled(event, [answer(rejected)], book, DAY)
    assert keys(book.counts) == {
        ("referral-received", "", "Utrecht", "promen"): 1,
        ("referral-rejected", "municipality-not-served", "Utrecht", "promen"): 1,
    }


async def test_an_unreadable_referral_answered_invalid_counts_for_its_partner_only() -> None:
    book = FakeBook()
    raw = CloudEvent.model_validate({**referral_event(4), "data": {"partner_id": "promen"}})
    rejected = ReferralRejected(
        partner_id="promen", partner_referral_id="PRM-0004", reason_code="invalid-referral",
        reason="…", reason_en="…",
    )  # fmt: skip
    await count_handled(raw, [answer(rejected)], book, DAY)
    assert keys(book.counts) == {
        ("referral-received", "", "", "promen"): 1,
        ("referral-rejected", "invalid-referral", "", "promen"): 1,
    }


async def test_a_formed_group_counts_the_group_and_each_placement_off_the_waiting_list() -> None:
    book = in_group(FakeBook())
    intake = CloudEvent.model_validate(referral_event(1))  # the event that led to it does not matter
    filled = GroupFilled.model_validate({**GROUP, "capacity": 5, "closed_early": True})
    placed = [
        ParticipantPlaced.model_validate(
            {
                "referral_id": r,
                "partner_id": "promen",
                "partner_referral_id": r,
                "course": GROUP["course"],
                "group_id": "group-1",
            }
        )
        for r in ("r1", "r2")
    ]
    await count_handled(intake, [answer(p) for p in placed] + [answer(filled)], book, DAY)
    assert book.total(Measure.WAITING_LEFT, "placed") == 2
    assert book.total(Measure.GROUP_FORMED) == 1
    assert book.total(Measure.GROUP_CLOSED_EARLY) == 1
    per_place = {
        c.municipality for c in book.counts if c.measure is Measure.GROUP_FORMED and c.partner_id == ALL
    }
    assert per_place == {ALL, "Gouda", "Waddinxveen"}


async def test_leaving_during_the_course_counts_as_stopped_and_as_having_taken_part() -> None:
    book = in_group(FakeBook(references={("promen", "PRM-0001"): "r1"}))
    event = ReferralWithdrawnV1.model_validate(withdrawal_event(1))
    outcome = WithdrawalProcessed(
        partner_id="promen", partner_referral_id="PRM-0001", outcome="left-during-course", reason="…",
        reason_en="…",
    )  # fmt: skip
    await count_handled(event, [answer(outcome)], book, DAY)
    assert keys(book.counts) == {("participant-stopped", "", "Gouda", "promen"): 1}
    assert book.taking_part == [(DAY, "r1")]


async def test_a_course_is_started_moved_cancelled_and_completed_with_the_sessions_held() -> None:
    book = in_group(FakeBook(completed={"r1"}))  # r2 left during the course
    first = date(2027, 1, 4)
    await count_handled(CourseScheduledV1.model_validate(course_scheduled_event(GROUP, first)), [], book, DAY)
    assert {(c.day, c.amount) for c in book.counts if c.measure is Measure.COURSE_STARTED} == {(first, 1)}
    assert len(book.planned["group-1"]) == 5

    # The first session moves a week: the start moves with it.
    moved_to = datetime.combine(first + timedelta(weeks=1), time(13, 30), ZONE)
    await count_handled(
        SessionRescheduledV1.model_validate(session_moved_event(GROUP, 1, moved_to)), [], book, DAY
    )
    started = reporting.added_up(c for c in book.counts if c.measure is Measure.COURSE_STARTED)
    assert {(c.day, c.amount) for c in started if c.municipality == ALL and c.partner_id == ALL} == {
        (first + timedelta(weeks=1), 1)
    }

    # Session 5 is cancelled (teacher ill) and gets no catch-up.
    scheduled = CourseScheduledV1.model_validate(course_scheduled_event(GROUP, first)).data
    fifth = scheduled.sessions[4]
    cancelled = SessionCancelled.model_validate(
        {**scheduled.model_dump(include={"course_id", "group_id", "course", "location", "teacher",
                                         "participants", "contacts"}),
         "session": fifth.model_dump(), "reason_code": "teacher-ill", "reason": "Docent ziek"}
    )  # fmt: skip
    cancel_event = SessionCancelledV1.model_validate(new_event(cancelled, source="urn:taalhuis:scheduling"))
    await count_handled(cancel_event, [], book, DAY)
    assert book.total(Measure.SESSION_CANCELLED, "teacher-ill") == 1
    assert next(c.day for c in book.counts if c.measure is Measure.SESSION_CANCELLED) == fifth.start.date()

    completed_on = first + timedelta(weeks=5)
    await count_handled(
        CourseCompletedV1.model_validate(completion_event(GROUP, completed_on)), [], book, DAY
    )
    assert book.total(Measure.SESSION_HELD) == 4
    assert book.total(Measure.COURSE_COMPLETED) == 1
    assert keys(book.counts)[("participant-completed", "", "Gouda", "promen")] == 1
    assert ("participant-completed", "", "Waddinxveen", "promen") not in keys(book.counts)
    assert book.taking_part == [(completed_on, "r1")]
    assert "group-1" not in book.planned, "a completed course's sessions are forgotten"
