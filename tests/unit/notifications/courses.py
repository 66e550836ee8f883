"""Example events for notifications: a Klik & Tik course of five Tuesdays from 8 December 2026.

The sessions are in a neighbourhood centre: a room, a volunteer, iPads to bring, set-up time.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from taalhuis_shared.events import (
    CoursePaused,
    CourseRef,
    CourseResumed,
    CourseScheduled,
    EventData,
    GroupChanged,
    GroupFilled,
    GroupUnschedulable,
    MeasuresApplied,
    ReferralAccepted,
    ReferralRejected,
    SessionCancelled,
    SessionRescheduled,
    new_event,
)

# 13:30 to 15:30 in Gouda is 12:30 to 14:30 UTC in winter (CET, UTC+1).
FIRST_START = datetime(2026, 12, 8, 12, 30, tzinfo=UTC)

TEACHER = "marieke.jansen@bibliotheekgouda.example"
VOLUNTEER = "piet.bakker@bibliotheekgouda.example"
COORDINATOR = "coordinator@bibliotheekgouda.example"
PROMEN = {"name": "Sanne de Wit", "email": "sanne.dewit@promen.example"}
GEMIVA = {"name": "Jan Smit", "email": "jan.smit@gemiva.example"}
LOCATION = {"name": "Wijkgebouw De Mozaïek", "address": "Ronsseweg 1, 2803 ZA Gouda"}
PARTICIPANTS = ["Ahmed B.", "Fatima E.", "Kees V.", "Anna de J.", "Priya S."]
PROMEN_NAMES = ["Ahmed B.", "Fatima E.", "Anna de J."]
GEMIVA_NAMES = ["Kees V.", "Priya S."]


def member(number: int, partner_id: str, display_name: str) -> dict[str, Any]:
    return {
        "referral_id": f"ref-{number}",
        "partner_id": partner_id,
        "partner_referral_id": f"{partner_id}-{number}",
        "display_name": display_name,
    }


def members() -> list[dict[str, Any]]:
    partners = ["promen", "promen", "gemiva", "promen", "gemiva"]
    return [member(n + 1, partners[n], name) for n, name in enumerate(PARTICIPANTS)]


def contacts() -> list[dict[str, Any]]:
    return [{"partner_id": "promen", "contact": PROMEN}, {"partner_id": "gemiva", "contact": GEMIVA}]


def session(
    week: int, *, course_id: str = "course-1", revision: int = 0, shift: timedelta = timedelta()
) -> dict[str, Any]:
    start = FIRST_START + timedelta(weeks=week) + shift
    return {
        "number": week + 1,
        "session_id": f"{course_id}-s{week + 1}",
        "revision": revision,
        "start": start.isoformat(),
        "end": (start + timedelta(hours=2)).isoformat(),
        "room": "Zaal 2",
        "volunteers": [{"name": "Piet Bakker", "email": VOLUNTEER}],
        "ipads": 6,
        "setup_start": (start - timedelta(minutes=45)).isoformat(),
    }


def common(course_id: str = "course-1", teacher: str = TEACHER) -> dict[str, Any]:
    return {
        "course_id": course_id,
        "group_id": f"group-{course_id}",
        "course": {"type": "klik-en-tik", "level": 1},
        "location": LOCATION,
        "teacher": {"name": "Marieke Jansen", "email": teacher},
        "participants": members(),
        "contacts": contacts(),
    }


def course_data(course_id: str = "course-1", **changes: Any) -> dict[str, Any]:
    data = {**common(course_id), "sessions": [session(week, course_id=course_id) for week in range(5)]}
    data.update(changes)
    return data


def course(course_id: str = "course-1", **changes: Any) -> CourseScheduled:
    return CourseScheduled.model_validate(course_data(course_id, **changes))


def event(data: EventData, source: str = "urn:taalhuis:scheduling") -> dict[str, Any]:
    return new_event(data, source=source)


def cancelled(
    week: int,
    course_id: str = "course-1",
    teacher: str = TEACHER,
    revision: int = 1,
    measure_id: str | None = "m-1",
) -> SessionCancelled:
    """A session cancelled by measure `m-1`, or by the coordinator alone (teacher ill) without one."""
    return SessionCancelled.model_validate(
        {
            **common(course_id, teacher),
            "session": session(week, course_id=course_id, revision=revision),
            "reason_code": "measures" if measure_id else "teacher-ill",
            "reason": "De coronamaatregelen gelden ook hier.",
            "measure_id": measure_id,
        }
    )


def measures_applied(
    action: Literal["announced", "lifted"] = "announced",
    measure_id: str = "m-1",
    outcome: Literal["applied", "known-already", "unknown-measure"] = "applied",
) -> MeasuresApplied:
    """Scheduling's summary of measure `m-1`: announced, 15 sessions of 3 courses (or lifted: 3)."""
    if action == "announced":
        return MeasuresApplied(
            measure_id=measure_id, action=action, outcome=outcome, sessions_cancelled=15, courses_paused=3
        )
    return MeasuresApplied(
        measure_id=measure_id, action=action, outcome=outcome, courses_resumed=2, courses_still_paused=1
    )


def rescheduled(
    week: int, revision: int = 1, course_id: str = "course-1", shift: timedelta = timedelta(days=2)
) -> SessionRescheduled:
    return SessionRescheduled.model_validate(
        {
            **common(course_id),
            "session": session(week, course_id=course_id, revision=revision, shift=shift),
            "previous_start": (FIRST_START + timedelta(weeks=week)).isoformat(),
            "reason_code": "catch-up",
        }
    )


def paused(course_id: str = "course-1") -> CoursePaused:
    data = {k: v for k, v in common(course_id).items() if k != "participants"}
    return CoursePaused.model_validate(
        {**data, "measure_id": "m-1", "reason": "Coronamaatregelen", "sessions_remaining": 3}
    )


def resumed(course_id: str = "course-1", teacher: str = TEACHER) -> CourseResumed:
    return CourseResumed.model_validate(
        {
            **common(course_id, teacher),
            "measure_id": "m-1",
            "sessions": [
                session(week, course_id=course_id, revision=2, shift=timedelta(weeks=8))
                for week in range(2, 5)
            ],
        }
    )


def group_filled(group_id: str = "group-course-1") -> GroupFilled:
    return GroupFilled.model_validate(
        {
            "group_id": group_id,
            "course": {"type": "klik-en-tik", "level": 1},
            "language_group": "NT1",
            "capacity": 5,
            "participants": members(),
            "contacts": contacts(),
        }
    )


def group_changed(group_id: str = "group-course-1") -> GroupChanged:
    new = member(6, "promen", "Mila K.")
    return GroupChanged.model_validate(
        {
            "group_id": group_id,
            "course": {"type": "klik-en-tik", "level": 1},
            "removed": [members()[0]],
            "added": [new],
            "participants": [new, *members()[1:]],
            "contacts": contacts(),
        }
    )


def unschedulable(group_id: str = "group-course-1") -> GroupUnschedulable:
    return GroupUnschedulable.model_validate(
        {
            "group_id": group_id,
            "course": {"type": "klik-en-tik", "level": 1},
            "reason_code": "no-teacher",
            "reason": "Er is geen docent vrij op dinsdag.",
            "reason_en": "No teacher is free on Tuesday.",
        }
    )


def accepted(number: int) -> ReferralAccepted:
    return ReferralAccepted(
        referral_id=f"ref-{number}",
        partner_id="promen",
        partner_referral_id=f"PRM-{number:04d}",
        course=CourseRef(type="klik-en-tik", level=1),
        waiting_position=number,
    )


def rejected(number: int) -> ReferralRejected:
    return ReferralRejected(
        partner_id="promen",
        partner_referral_id=f"PRM-{number:04d}",
        reason_code="municipality-not-served",
        reason="De medewerker woont en werkt niet in de regio Gouda.",
        reason_en="The employee neither lives nor works in the Gouda region.",
    )
