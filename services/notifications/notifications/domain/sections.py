"""The notices of one mail put in order for reading: one section per group, each session once.

A measure gives a person five `SessionCancelled` and a `CoursePaused`; lifting it a
`CourseResumed` and five `SessionRescheduled` about the same sessions. The mail lists each
session once (its latest revision), by date, with its number; the group's participants once; a
pause says which sessions are cancelled and which still take place; a new teacher is said once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any


def by_group(kind: str, items: Sequence[dict[str, Any]], now: datetime) -> list[dict[str, Any]]:
    """Sections for cancellation and change mails (others read their items as they are)."""
    if kind not in ("cancellation", "change"):
        return []
    found: dict[str, dict[str, Any]] = {}
    for item in items:
        course = item["course"]
        key = str(course.get("group_id") or (course["type"], course["level"]))
        section = found.setdefault(key, _new(course))
        # Later notices know the group better (a place, a first date): the last one names it.
        section["group"] = item.get("group") or section["group"]
        _take(section, item)
    return [_finish(section, now) for section in found.values()]


def _new(course: dict[str, Any]) -> dict[str, Any]:
    return {
        "course": course,
        "group": None,
        "sessions": {},
        "reasons": [],
        "participants": None,
        "employees": None,
        "paused": None,
        "resumed": False,
        "changes": [],
    }


def _take(section: dict[str, Any], item: dict[str, Any]) -> None:
    for given in item.get("sessions", []):
        session = {**given, "previous_start": item.get("previous_start")}
        known = section["sessions"].get(session["uid"])
        newer = known is None or session["sequence"] >= known["sequence"]
        kept, other = (session, known) if newer else (known, session)
        # What one event knew of the session before (its old date, its old teacher) stays.
        for before in ("previous_start", "previous_teacher"):
            if other and not kept.get(before):
                kept[before] = other.get(before)
        section["sessions"][session["uid"]] = kept
    reason = item.get("reason")
    if reason and item["event"] != "CoursePaused" and reason not in section["reasons"]:
        section["reasons"].append(reason)
    for people in ("participants", "employees"):
        if item.get(people):  # a pause names no participants: the others do
            section[people] = item[people]
    match item["event"]:
        case "CoursePaused":
            section["paused"] = item
        case "CourseResumed":
            section["resumed"] = True
        case "GroupChanged":
            section["changes"].append({"removed": item.get("removed", []), "added": item.get("added", [])})


def _finish(section: dict[str, Any], now: datetime) -> dict[str, Any]:
    sessions = sorted(section.pop("sessions").values(), key=lambda s: s["start"])
    section["sessions"] = sessions
    teachers = []
    for session in sessions:
        pair = {"before": session.get("previous_teacher"), "now": session["teacher"]}
        if pair["before"] and pair not in teachers:
            teachers.append(pair)
    section["teacher_changes"] = teachers
    paused = section["paused"]
    if paused is not None:
        listed = {s["uid"] for s in sessions}
        # Cancelled earlier (told in an earlier mail): named again, briefly.
        section["cancelled"] = [s for s in paused["schedule"] if s["cancelled"] and s["uid"] not in listed]
        cancelled = listed | {s["uid"] for s in section["cancelled"]}
        section["kept"] = [
            s
            for s in paused["schedule"]
            if s["uid"] not in cancelled and datetime.fromisoformat(s["start"]) > now
        ]
    return section
