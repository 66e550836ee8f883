"""Example events as partners, the coordinator and scheduling send them to enrolment."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from taalhuis_shared.events import (
    CourseCompleted,
    CoursePaused,
    CourseResumed,
    CourseScheduled,
    EarlyClosureRequested,
    IntakeOpened,
    ReferralSubmitted,
    ReferralWithdrawn,
    SessionCancelled,
    SessionRescheduled,
    new_event,
)

# Courses and partners for tests: promen and gouwe publish as `guest`, the user the tests connect
# with; werkbedrijf as a user of its own, so that one partner can send in another's name.
ENROLMENT_FILE = Path(__file__).parent / "enrolment.yaml"


def referral_data(number: int, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "partner_id": "promen",
        "partner_referral_id": f"PRM-{number:04d}",
        "participant": {
            "employee_reference": f"EMP-{number:04d}",
            "given_name": f"Deelnemer{number}",
            "family_name": "van der Berg",
        },
        "course": {"type": "klik-en-tik", "level": 1},
        "municipality_of_residence": "Gouda",
        "can_read_and_write_a_little": True,
        "consent_to_share_data": True,
        "language_group": "NT1",
        "contact": {"name": "Sanne de Wit", "email": "sanne.dewit@promen.example"},
    }
    data.update(changes)
    return data


def referral_event(number: int, **changes: Any) -> dict[str, Any]:
    return new_event(
        ReferralSubmitted.model_validate(referral_data(number, **changes)), source="urn:partner:promen"
    )


def intake_event(
    course_type: str = "klik-en-tik", groups: int = 1, intake_id: str | None = None, **changes: Any
) -> dict[str, Any]:
    data = {
        "intake_id": intake_id or f"intake-{course_type}-{groups}",
        "course_type": course_type,
        "groups": groups,
        "from_date": date(2027, 1, 4),
        "locations": ["Bibliotheek Gouda, De Chocoladefabriek"],
        **changes,
    }
    return new_event(IntakeOpened.model_validate(data), source="urn:taalhuis:coordinator")


def withdrawal_event(number: int, partner_id: str = "promen") -> dict[str, Any]:
    data = ReferralWithdrawn(partner_id=partner_id, partner_referral_id=f"PRM-{number:04d}")
    return new_event(data, source=f"urn:partner:{partner_id}")


def early_closure_event(
    course_type: str = "klik-en-tik", level: int = 1, language_group: str = "NT1"
) -> dict[str, Any]:
    data = EarlyClosureRequested.model_validate(
        {"course": {"type": course_type, "level": level}, "language_group": language_group}
    )
    return new_event(data, source="urn:taalhuis:coordinator")


def course_scheduled_event(group: dict[str, Any], first_session: date) -> dict[str, Any]:
    """CourseScheduled for a group: five weekly sessions from `first_session`, 13:30-15:30."""
    zone = ZoneInfo("Europe/Amsterdam")
    starts = [datetime.combine(first_session + timedelta(weeks=n), time(13, 30), zone) for n in range(5)]
    data = CourseScheduled.model_validate(
        {
            "course_id": f"course-{group['group_id']}",
            "group_id": group["group_id"],
            "course": group["course"],
            "location": {"name": "Bibliotheek Gouda", "address": "Klein Amerika 20, 2803 PK Gouda"},
            "teacher": {"name": "Marloes Verbeek", "email": "docent@bibliotheekgouda.example"},
            "sessions": [
                {"number": n, "start": start, "end": start + timedelta(hours=2)}
                for n, start in enumerate(starts, start=1)
            ],
            "participants": group["participants"],
            "contacts": group["contacts"],
        }
    )
    return new_event(data, source="urn:taalhuis:scheduling")


def session_moved_event(group: dict[str, Any], number: int, start: datetime) -> dict[str, Any]:
    """SessionRescheduled for one session of a group's course, as after measures are lifted."""
    session = {"number": number, "start": start, "end": start + timedelta(hours=2), "revision": 1}
    data = SessionRescheduled.model_validate(
        {
            "course_id": f"course-{group['group_id']}",
            "group_id": group["group_id"],
            "course": group["course"],
            "session": session,
            "previous_start": start - timedelta(weeks=4),
            "reason_code": "measures-lifted",
            "location": {"name": "Bibliotheek Gouda", "address": "Klein Amerika 20, 2803 PK Gouda"},
            "teacher": {"name": "Marloes Verbeek", "email": "docent@bibliotheekgouda.example"},
            "participants": group["participants"],
            "contacts": group["contacts"],
        }
    )
    return new_event(data, source="urn:taalhuis:scheduling")


def completion_event(group: dict[str, Any], completed_on: date) -> dict[str, Any]:
    """CourseCompleted for a group, as scheduling sends it after the last session."""
    data = CourseCompleted.model_validate(
        {
            "course_id": f"course-{group['group_id']}",
            "group_id": group["group_id"],
            "course": group["course"],
            "completed_on": completed_on,
            "participants": group["participants"],
        }
    )
    return new_event(data, source="urn:taalhuis:scheduling")


def _course_part(group: dict[str, Any]) -> dict[str, Any]:
    """What every course event after CourseScheduled repeats of the group's course."""
    return {
        "course_id": f"course-{group['group_id']}",
        "group_id": group["group_id"],
        "course": group["course"],
        "location": {"name": "Bibliotheek Gouda", "address": "Klein Amerika 20, 2803 PK Gouda"},
        "teacher": {"name": "Marloes Verbeek", "email": "docent@bibliotheekgouda.example"},
        "contacts": group["contacts"],
    }


def _session(number: int, start: datetime, revision: int = 1) -> dict[str, Any]:
    return {"number": number, "start": start, "end": start + timedelta(hours=2), "revision": revision}


def session_cancelled_event(
    group: dict[str, Any], number: int, start: datetime, reason_code: str, measure_id: str | None = None
) -> dict[str, Any]:
    """SessionCancelled for one session of a group's course (teacher ill, or a measure)."""
    data = SessionCancelled.model_validate(
        {
            **_course_part(group),
            "session": _session(number, start),
            "reason_code": reason_code,
            "reason": "Maatregelen" if reason_code == "measures" else "Docent ziek",
            "measure_id": measure_id,
            "participants": group["participants"],
        }
    )
    return new_event(data, source="urn:taalhuis:scheduling")


def course_paused_event(group: dict[str, Any], measure_id: str, sessions_remaining: int) -> dict[str, Any]:
    data = CoursePaused.model_validate(
        {**_course_part(group), "measure_id": measure_id, "reason": "Maatregelen",
         "sessions_remaining": sessions_remaining}
    )  # fmt: skip
    return new_event(data, source="urn:taalhuis:scheduling")


def course_resumed_event(
    group: dict[str, Any], measure_id: str, starts: dict[int, datetime]
) -> dict[str, Any]:
    """CourseResumed: the sessions still to follow (number -> new start)."""
    data = CourseResumed.model_validate(
        {
            **_course_part(group),
            "measure_id": measure_id,
            "sessions": [_session(number, start, revision=2) for number, start in starts.items()],
            "participants": group["participants"],
        }
    )
    return new_event(data, source="urn:taalhuis:scheduling")
