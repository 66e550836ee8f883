"""The console's rules without I/O: who may do what, the login throttle, and the words for outcomes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any


class Role(StrEnum):
    COORDINATOR = "coordinator"  # everything
    PARTNER = "partner"  # referrals of one partner only
    VIEWER = "viewer"  # reads the timetable, changes nothing


@dataclass(frozen=True)
class User:
    name: str
    role: Role
    partner_id: str | None = None

    def __post_init__(self) -> None:
        if (self.role is Role.PARTNER) != (self.partner_id is not None):
            raise ValueError("a partner user has a partner id, and only a partner user has one")

    @property
    def is_coordinator(self) -> bool:
        return self.role is Role.COORDINATOR

    def may_act_for(self, partner_id: str) -> bool:
        """Referrals and withdrawals: a partner's contact person only for their own partner."""
        return self.role is Role.PARTNER and self.partner_id == partner_id

    def may_see_partner(self, partner_id: str) -> bool:
        return self.is_coordinator or self.partner_id == partner_id


class CommandKind(StrEnum):
    """What the console sent; each is answered (or not) by the events named in `outcome_*`."""

    INTAKE = "intake"
    EARLY_CLOSURE = "early-closure"
    SESSION_CANCELLATION = "session-cancellation"
    MEASURES = "measures"
    MEASURES_LIFTED = "measures-lifted"
    REFERRAL = "referral"
    WITHDRAWAL = "withdrawal"


def correlation(*parts: object) -> str:
    """The key an answer is matched on: ids compared as enrolment compares them (any case)."""
    return "|".join("" if p is None else str(p).strip().casefold() for p in parts)


def login_refused(failures_in_window: int, limit: int) -> bool:
    """Refuse (even the right password) once a user had `limit` wrong ones within the window."""
    return failures_in_window >= limit


def waited(since: datetime, now: datetime) -> str:
    """How long someone has waited, in plain Dutch."""
    days = max(0, (now - since).days)
    if days == 0:
        return "sinds vandaag"
    if days < 14:
        return "1 dag" if days == 1 else f"{days} dagen"
    weeks = days // 7
    return f"{weeks} weken"


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


DAYS = ["maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"]
MONTHS = [
    "januari", "februari", "maart", "april", "mei", "juni",
    "juli", "augustus", "september", "oktober", "november", "december",
]  # fmt: skip


def dutch_date(day: date, weekday: bool = False) -> str:
    text = f"{day.day} {MONTHS[day.month - 1]} {day.year}"
    return f"{DAYS[day.weekday()]} {text}" if weekday else text


COURSE_NAMES = {"klik-en-tik": "Klik & Tik", "digisterker": "Digisterker"}


def course_name(course_type: str, level: int | None = None) -> str:
    name = COURSE_NAMES.get(course_type, course_type)
    return name if level is None else f"{name} niveau {level}"


def language_name(language_group: str | None) -> str:
    return language_group or "geen taalgroep"


# Reasons a coordinator can pick when cancelling one session (code, Dutch text).
CANCELLATION_REASONS = {
    "teacher-ill": "De docent is ziek.",
    "room-unavailable": "De ruimte is niet beschikbaar.",
    "other": "De les gaat niet door.",
}

# What a referral's status is called on the partner's page.
REFERRAL_STATUS = {
    "waiting": "Op de wachtlijst",
    "placed": "In een groep geplaatst",
    "rejected": "Afgewezen",
    "withdrawn": "Afgemeld",
    "completed": "Cursus afgerond",
}

GROUP_STATUS = {
    "formed": "Gevormd, wacht op planning",
    "scheduled": "Gepland",
    "unschedulable": "Kan niet gepland worden",
    "paused": "Gepauzeerd (maatregelen)",
    "completed": "Afgerond",
}


def pending_text(kind: CommandKind) -> str:
    """What the page says while no answer has come yet."""
    waits_for = {
        CommandKind.INTAKE: "Het openen van de ruimte is verstuurd. We wachten op de bevestiging.",
        CommandKind.EARLY_CLOSURE: "Het verzoek is verstuurd. We wachten op het antwoord: "
        "een nieuwe groep, of de reden waarom het niet kan.",
        CommandKind.SESSION_CANCELLATION: "Het afzeggen is verstuurd. "
        "We wachten tot de planning het bevestigt.",
        CommandKind.MEASURES: "De maatregel is verstuurd. We wachten op de bevestiging.",
        CommandKind.MEASURES_LIFTED: "Het opheffen is verstuurd. We wachten op de bevestiging.",
        CommandKind.REFERRAL: "De aanmelding is verstuurd. "
        "We wachten op het antwoord: aangenomen of afgewezen.",
        CommandKind.WITHDRAWAL: "De afmelding is verstuurd. We wachten op het antwoord.",
    }
    return waits_for[kind]


KIND_TITLES = {
    CommandKind.INTAKE: "Ruimte openen",
    CommandKind.EARLY_CLOSURE: "Groep nu vormen",
    CommandKind.SESSION_CANCELLATION: "Les afzeggen",
    CommandKind.MEASURES: "Maatregel aankondigen",
    CommandKind.MEASURES_LIFTED: "Maatregel opheffen",
    CommandKind.REFERRAL: "Aanmelding",
    CommandKind.WITHDRAWAL: "Afmelding",
}


@dataclass(frozen=True)
class CourseCount:
    """The sessions of one course a measure would cancel: how many, the first and the last."""

    course_type: str | None
    level: int | None
    language_group: str | None
    location: str
    sessions: int
    first: datetime
    last: datetime


def touched_by_measure(sessions: Iterable[Any], locations: Sequence[str]) -> list[Any]:
    """The planned sessions (already within the measure's dates) at its places; no places: all.

    The console knows places by their names only; scheduling also knows their codes.
    """
    return [s for s in sessions if s.status == "planned" and (not locations or s.location in locations)]


def per_course(sessions: Iterable[Any]) -> list[CourseCount]:
    """Sessions counted per course, in order of their first session."""
    counts: dict[str, CourseCount] = {}
    for s in sessions:
        seen = counts.get(s.course_id)
        if seen is None:
            counts[s.course_id] = CourseCount(
                s.course_type, s.level, s.language_group, s.location, 1, s.starts_at, s.starts_at
            )
        else:
            counts[s.course_id] = CourseCount(
                seen.course_type, seen.level, seen.language_group, seen.location, seen.sessions + 1,
                min(seen.first, s.starts_at), max(seen.last, s.starts_at),
            )  # fmt: skip
    return sorted(counts.values(), key=lambda c: (c.first, c.location))
