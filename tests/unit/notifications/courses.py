"""An example scheduled course: Klik & Tik level 1, five Tuesdays from 8 December 2026."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from taalhuis_shared.events import CourseScheduled

# 13:30 to 15:30 in Gouda is 12:30 to 14:30 UTC in winter (CET, UTC+1).
FIRST_START = datetime(2026, 12, 8, 12, 30, tzinfo=UTC)

TEACHER = "marieke.jansen@bibliotheekgouda.example"
PROMEN = {"name": "Sanne de Wit", "email": "sanne.dewit@promen.example"}
GEMIVA = {"name": "Jan Smit", "email": "jan.smit@gemiva.example"}


def member(number: int, partner_id: str, display_name: str) -> dict[str, Any]:
    return {
        "referral_id": f"ref-{number}",
        "partner_id": partner_id,
        "partner_referral_id": f"{partner_id}-{number}",
        "display_name": display_name,
    }


def course_data(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "course_id": "course-1",
        "group_id": "group-1",
        "course": {"type": "klik-en-tik", "level": 1},
        "location": {
            "name": "Bibliotheek Gouda, De Chocoladefabriek",
            "address": "Klein Amerika 20, 2803 PK Gouda",
        },
        "teacher": {"name": "Marieke Jansen", "email": TEACHER},
        "sessions": [
            {
                "number": week + 1,
                "start": (FIRST_START + timedelta(weeks=week)).isoformat(),
                "end": (FIRST_START + timedelta(weeks=week, hours=2)).isoformat(),
            }
            for week in range(5)
        ],
        "participants": [
            member(1, "promen", "Ahmed B."),
            member(2, "promen", "Fatima E."),
            member(3, "gemiva", "Kees V."),
            member(4, "promen", "Anna de J."),
            member(5, "gemiva", "Priya S."),
        ],
        "contacts": [
            {"partner_id": "promen", "contact": PROMEN},
            {"partner_id": "gemiva", "contact": GEMIVA},
        ],
    }
    data.update(changes)
    return data


def course(**changes: Any) -> CourseScheduled:
    return CourseScheduled.model_validate(course_data(**changes))
