"""What notifications remembers of a group: how to name it in a mail, and its sessions by date.

Pure functions on a JSON-able dict (kept in `group_staff.course`). A mail names a group by course,
level, language group, place and first date, never by its id; it numbers sessions by their date
("les 3" is the third date, also after a session moved), and it tells which sessions of a paused
course still take place and when a teacher changed. Events carry only part of this: a
`CoursePaused` names no sessions, a `SessionRescheduled` not the teacher it had before.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from taalhuis_shared.events import (
    CoursePaused,
    CourseResumed,
    CourseScheduled,
    EventData,
    GroupChanged,
    GroupFilled,
    GroupUnschedulable,
    Session,
    SessionCancelled,
    SessionRescheduled,
)

Known = dict[str, Any]


def session_uid(course_id: str, session: Session) -> str:
    """The session's calendar UID: the same in every event about it."""
    return f"{session.session_id or f'{course_id}-{session.number}'}@taalhuis"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def learn(known: Known | None, data: EventData) -> Known:
    """The group as known after the event (a new dict; `known` is not changed)."""
    group: Known = {"language_group": None, "location": None, "sessions": {}, **(known or {})}
    group["sessions"] = {uid: dict(s) for uid, s in group["sessions"].items()}
    match data:
        case GroupFilled():
            group["course"] = data.course.model_dump(mode="json")
            group["language_group"] = data.language_group
        case CourseScheduled() | CourseResumed() | SessionCancelled() | SessionRescheduled():
            group["course"] = data.course.model_dump(mode="json")
            group["course_id"] = data.course_id
            group["location"] = _one_line(data.location.name)
            # Only a CourseScheduled names every session: numbers by date count from then on.
            group["complete"] = group.get("complete", False) or isinstance(data, CourseScheduled)
            sessions = data.sessions if isinstance(data, CourseScheduled | CourseResumed) else [data.session]
            for session in sessions:
                uid = session_uid(data.course_id, session)
                before = group["sessions"].get(uid, {})
                teacher = session.teacher or data.teacher
                place = session.location or data.location
                staff = [str(person.email).casefold() for person in (teacher, *session.volunteers)]
                group["sessions"][uid] = {
                    "start": session.start.isoformat(),
                    "teacher": _one_line(teacher.name),
                    "cancelled": isinstance(data, SessionCancelled),
                    # For the staff's calendars (`series_for`): the session's first date names it
                    # for good (RECURRENCE-ID), whatever dates it moves to.
                    "first_start": before.get("first_start", session.start.isoformat()),
                    "revision": session.revision,
                    "end": session.end.isoformat(),
                    "setup_start": session.setup_start.isoformat() if session.setup_start else None,
                    "location": _one_line(place.name),
                    "address": _one_line(place.address),
                    "room": _one_line(session.room) if session.room else None,
                    "ipads": session.ipads,
                    "volunteers": [_one_line(v.name) for v in session.volunteers],
                    # A cancellation may name the session without its volunteers: they stay.
                    "staff": staff if len(staff) > 1 or "staff" not in before else before["staff"],
                }
        case CoursePaused() | GroupChanged() | GroupUnschedulable():
            group["course"] = data.course.model_dump(mode="json")
    return group


def number_of(known: Known, uid: str, fallback: int) -> int:
    """The session's place among the group's sessions by date.

    `fallback` (the event's number) when the group's sessions are not all known, or not this one.
    """
    sessions = known.get("sessions", {})
    if uid not in sessions or not known.get("complete"):
        return fallback
    order = sorted(sessions, key=lambda u: (sessions[u]["start"], u))
    return order.index(uid) + 1


def name_of(known: Known) -> dict[str, Any]:
    """What names the group in a mail: language group, place and first date (each when known)."""
    starts = [s["start"] for s in known.get("sessions", {}).values()]
    return {
        "language_group": known.get("language_group"),
        "location": known.get("location"),
        "first_start": min(starts) if starts else None,
    }


def schedule_of(known: Known) -> list[dict[str, Any]]:
    """Every session: number, start and whether it is cancelled, by date; none when not all are known."""
    sessions = known.get("sessions", {}) if known.get("complete") else {}
    return [
        {"uid": uid, "number": number_of(known, uid, 0), "start": s["start"], "cancelled": s["cancelled"]}
        for uid, s in sorted(sessions.items(), key=lambda item: (item[1]["start"], item[0]))
    ]


def teacher_before(known: Known | None, uid: str) -> str | None:
    """The teacher the session had before this event, if it was known."""
    session = (known or {}).get("sessions", {}).get(uid)
    return session["teacher"] if session else None


def staff_addresses(everything: Iterable[Known]) -> set[str]:
    """Everyone who works at a session of these groups (addresses as kept: case-folded)."""
    return {a for known in everything for s in known.get("sessions", {}).values() for a in s.get("staff", [])}


def series_for(known: Known, address: str) -> dict[str, Any] | None:
    """One staff member's sessions of the group's course, for their calendar: None if none known.

    Every session they work at as far as known, cancelled ones included (a calendar removes
    those), by first date. `sequence` grows with every change to any session of the course
    (the sum of the sessions' revisions, which only ever rise), so a calendar takes each new
    invitation as newer than the one before.
    """
    course_id = known.get("course_id")
    sessions = known.get("sessions", {})
    mine = {
        uid: s
        for uid, s in sessions.items()
        if "first_start" in s and address.casefold() in s.get("staff", [])
    }
    if course_id is None or not mine:
        return None
    return {
        "course_id": course_id,
        "course": known.get("course"),
        "sequence": sum(int(s.get("revision", 0)) for s in sessions.values()),
        "sessions": [
            {**s, "uid": uid, "number": number_of(known, uid, 0)}
            for uid, s in sorted(mine.items(), key=lambda item: (item[1]["first_start"], item[0]))
        ],
    }
