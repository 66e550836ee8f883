"""Each coordinator command's answer is recognised by what the events carry, and said in Dutch."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from taalhuis_shared.answers import (
    EARLY_CLOSURE,
    ERASURE,
    MEASURES,
    RULES,
    SESSION_CANCELLATION,
    Rule,
    State,
    Verdict,
    answer_types,
)
from taalhuis_shared.events import (
    EarlyClosureRefused,
    EarlyClosureRequested,
    ErasureRequested,
    EventData,
    GroupFilled,
    GroupUnschedulable,
    MeasuresAnnounced,
    MeasuresApplied,
    MeasuresLifted,
    PersonErased,
    SessionCancellationRefused,
    SessionCancellationRequested,
    SessionCancelled,
    SessionRescheduled,
)

COURSE = {"type": "klik-en-tik", "level": 1}
START = datetime(2027, 1, 12, 9, 30, tzinfo=UTC)  # 10:30 in Gouda
MEMBER = {
    "referral_id": "r1",
    "partner_id": "promen",
    "partner_referral_id": "P-1",
    "display_name": "Ahmed B.",
}
CONTACT = {"partner_id": "promen", "contact": {"name": "Sanne de Wit", "email": "sanne@promen.example"}}
PLACE = {"name": "Bibliotheek Gouda", "address": "Klein Amerika 20, Gouda"}
TEACHER = {"name": "Marieke Jansen", "email": "marieke@bibliotheek.example"}


def answer(rule: Rule, command: EventData, *events: EventData) -> Verdict:
    """What the CLI concludes from these events on the bus, as `_read_answers` does."""
    matched = [event for event in events if rule.matches(command, event)]
    return rule.verdict(command, matched)


def group_filled(
    language_group: str | None = "NT1", closed_early: bool = True, level: int = 1
) -> GroupFilled:
    return GroupFilled.model_validate(
        {"group_id": "g1", "course": {**COURSE, "level": level}, "language_group": language_group,
         "capacity": 5, "participants": [MEMBER] * 3, "contacts": [CONTACT], "closed_early": closed_early}
    )  # fmt: skip


def about_course(session_id: str, **changes: Any) -> dict[str, Any]:
    session = {"number": 2, "session_id": session_id, "start": START, "end": START + timedelta(hours=2)}
    return {"course_id": "c1", "group_id": "g1", "course": COURSE, "location": PLACE, "teacher": TEACHER,
            "participants": [MEMBER], "contacts": [CONTACT], "session": session, **changes}  # fmt: skip


def cancelled(session_id: str, reason_code: str = "teacher-ill") -> SessionCancelled:
    return SessionCancelled.model_validate(
        about_course(session_id, reason_code=reason_code, reason="De docent is ziek")
    )


def catch_up(session_id: str) -> SessionRescheduled:
    data = about_course(session_id, previous_start=START, reason_code="catch-up")
    data["session"] = {
        **data["session"],
        "start": START + timedelta(weeks=4),
        "end": START + timedelta(weeks=4),
    }
    return SessionRescheduled.model_validate(data)


def test_an_early_closure_is_answered_by_the_group_closed_early_for_its_course_and_language_group() -> None:
    command = EarlyClosureRequested.model_validate({"course": COURSE, "language_group": "NT1"})
    assert answer(EARLY_CLOSURE, command).state is State.PENDING
    # A full group, another language group, another level: not the answer.
    others = [
        group_filled(closed_early=False),
        group_filled("NT2"),
        group_filled(None),
        group_filled(level=2),
    ]
    assert answer(EARLY_CLOSURE, command, *others).state is State.PENDING

    verdict = answer(EARLY_CLOSURE, command, *others, group_filled())
    assert verdict.state is State.DONE
    assert "klik-en-tik niveau 1 (NT1)" in verdict.lines[0] and "3 deelnemers" in verdict.lines[0]
    assert "Ahmed" not in " ".join(verdict.lines), "no names on the screen"


def test_a_refused_early_closure_says_the_dutch_reason() -> None:
    command = EarlyClosureRequested.model_validate({"course": COURSE})
    refused = EarlyClosureRefused.model_validate(
        {
            "course": COURSE,
            "reason_code": "no-capacity",
            "reason": "Er is geen ruimte.",
            "reason_en": "No room.",
        }
    )
    other = refused.model_copy(update={"language_group": "NT2"})
    assert answer(EARLY_CLOSURE, command, other).state is State.PENDING
    assert answer(EARLY_CLOSURE, command, refused) == Verdict(
        State.REFUSED, ("Geweigerd: Er is geen ruimte.",)
    )


def test_a_cancellation_is_answered_by_its_session_cancelled_and_then_its_catch_up() -> None:
    command = SessionCancellationRequested(session_id="s1", reason_code="teacher-ill", reason="ziek")
    # Another session, or this one stopped by a measure: not the answer.
    assert (
        answer(SESSION_CANCELLATION, command, cancelled("s2"), cancelled("s1", "measures")).state
        is State.PENDING
    )

    enough = answer(SESSION_CANCELLATION, command, cancelled("s1"))
    assert enough.state is State.ENOUGH
    assert enough.lines == (
        "Gelukt: bijeenkomst 2 van klik-en-tik niveau 1 op 12-01-2027 om 10:30 is afgezegd. "
        "De docent en de contactpersonen krijgen een e-mail.",
    )
    done = answer(SESSION_CANCELLATION, command, cancelled("s1"), catch_up("s2"), catch_up("s1"))
    assert done.state is State.DONE
    assert done.lines[1] == "Inhaalbijeenkomst: 09-02-2027 om 10:30, Bibliotheek Gouda."

    none_found = GroupUnschedulable(
        group_id="g1", course=COURSE, reason_code="no-free-slot", reason="Geen plek.", reason_en="No slot.",
        session_id="s1",
    )  # fmt: skip
    verdict = answer(SESSION_CANCELLATION, command, cancelled("s1"), none_found)
    assert (
        verdict.state is State.DONE
        and verdict.lines[1] == "Er is geen inhaalbijeenkomst gevonden: Geen plek."
    )


def test_a_cancellation_of_an_unknown_session_is_refused_with_the_reason() -> None:
    command = SessionCancellationRequested(session_id="typo", reason_code="teacher-ill", reason="ziek")
    refusal = SessionCancellationRefused(
        session_id="typo",
        reason_code="unknown-session",
        reason="Deze bijeenkomst is niet bekend.",
        reason_en="x",
    )
    other = refusal.model_copy(update={"session_id": "s1"})
    verdict = answer(SESSION_CANCELLATION, command, other, refusal)
    assert verdict == Verdict(State.REFUSED, ("Geweigerd: Deze bijeenkomst is niet bekend.",))


def test_measures_are_answered_by_the_summary_for_the_same_measure_and_action() -> None:
    announce = MeasuresAnnounced.model_validate(
        {"measure_id": "corona-1", "from_date": "2027-01-04", "reason": "x"}
    )
    lift = MeasuresLifted.model_validate({"measure_id": "corona-1", "from_date": "2027-02-01"})
    announced = MeasuresApplied(
        measure_id="corona-1", action="announced", outcome="applied", sessions_cancelled=6, courses_paused=2
    )
    lifted = MeasuresApplied(
        measure_id="corona-1", action="lifted", outcome="applied", courses_resumed=1, courses_still_paused=1
    )
    other = announced.model_copy(update={"measure_id": "corona-2"})

    assert answer(MEASURES, announce, other, lifted).state is State.PENDING
    verdict = answer(MEASURES, announce, announced)
    assert verdict.state is State.DONE
    assert "6 bijeenkomst(en) afgezegd, 2 cursus(sen) gepauzeerd" in verdict.lines[0]
    verdict = answer(MEASURES, lift, announced, lifted)
    assert verdict.state is State.DONE
    assert "1 cursus(sen) gaan verder" in verdict.lines[0] and "blijven gepauzeerd" in verdict.lines[1]


def test_an_unknown_or_repeated_measure_is_refused() -> None:
    lift = MeasuresLifted.model_validate({"measure_id": "typo", "from_date": "2027-02-01"})
    unknown = MeasuresApplied(measure_id="typo", action="lifted", outcome="unknown-measure")
    verdict = answer(MEASURES, lift, unknown)
    assert verdict.state is State.REFUSED and "niet bekend" in verdict.lines[0]

    announce = MeasuresAnnounced.model_validate({"measure_id": "m", "from_date": "2027-01-04", "reason": "x"})
    known = MeasuresApplied(measure_id="m", action="announced", outcome="known-already")
    verdict = answer(MEASURES, announce, known)
    assert verdict.state is State.REFUSED and "al aangekondigd" in verdict.lines[0]


def test_an_erasure_is_done_when_all_three_services_have_answered_its_request() -> None:
    command = ErasureRequested(request_id="wissen-1", partner_id="promen", employee_reference="E-1")

    def erased(service: str, request_id: str = "wissen-1") -> PersonErased:
        return PersonErased.model_validate(
            {"request_id": request_id, "service": service, "counts": {"mails": 2}}
        )

    assert answer(ERASURE, command, erased("enrolment", "wissen-2")).state is State.PENDING
    partial = answer(ERASURE, command, erased("enrolment"), erased("scheduling"))
    assert partial.state is State.PENDING
    assert partial.lines[2] == "notifications: nog geen antwoord"
    done = answer(ERASURE, command, erased("enrolment"), erased("scheduling"), erased("notifications"))
    assert done.state is State.DONE and done.lines[1] == "enrolment: gewist (mails 2)"


def test_every_waiting_command_has_a_rule_and_the_answers_are_what_the_coordinator_may_read() -> None:
    assert set(RULES) == {
        "EarlyClosureRequested", "SessionCancellationRequested", "MeasuresAnnounced", "MeasuresLifted",
        "ErasureRequested",
    }  # fmt: skip
    assert "IntakeOpened" not in RULES  # enrolment does not answer an intake (README, "Decisions")
    assert answer_types() == {
        "GroupFilled", "EarlyClosureRefused", "SessionCancelled", "SessionCancellationRefused",
        "SessionRescheduled", "GroupUnschedulable", "MeasuresApplied", "PersonErased",
    }  # fmt: skip
