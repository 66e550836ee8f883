"""Courses, their sessions and measures as scheduling keeps them; what the planner needs of them.

No I/O. The planner itself (`planner.py`) knows nothing of courses or measures: here they are
turned into its bookings and closures, and its planned sessions into the sessions people read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from taalhuis_shared.events import (
    CourseRef,
    GroupMember,
    Location,
    PartnerContact,
    Session,
    StaffMember,
    Teacher,
)

from .planner import Booking, Closure, PlannedSession, Resources

MEASURES = "measures"  # the cancel reason of a session stopped by a measure

PLANNED, PAUSED, COMPLETED = "planned", "paused", "completed"  # a course
CANCELLED, HELD = "cancelled", "held"  # a session, besides planned


@dataclass(frozen=True)
class Course:
    id: str
    group_id: str
    course: CourseRef
    status: str
    paused_by: str | None
    participants: tuple[GroupMember, ...]
    contacts: tuple[PartnerContact, ...]
    partner_ids: frozenset[str]
    teacher_id: str
    place_id: str
    earliest_start: date | None = None  # the first day it could start; None: not kept (older)


@dataclass(frozen=True)
class CourseSession:
    """A session of a course: planned, cancelled (until planned again) or held."""

    id: str
    course_id: str
    number: int
    status: str
    place_id: str
    room_id: str
    teacher_id: str
    volunteer_ids: frozenset[str]
    ipads: int
    start: datetime
    end: datetime
    busy_from: datetime
    busy_until: datetime
    revision: int
    cancel_reason: str | None
    measure_id: str | None
    announced: Session  # as last told in an event


@dataclass(frozen=True)
class Measure:
    """Public-health measures: no sessions from a date (until a date, or until lifted)."""

    id: str
    from_date: date
    until_date: date | None
    locations: tuple[str, ...]  # place ids or names; empty: every place
    reason: str
    lifted_from: date | None = None

    @property
    def last_day(self) -> date | None:
        """The last day sessions are stopped; None while open ended."""
        lifted = self.lifted_from - timedelta(days=1) if self.lifted_from else None
        ends = [day for day in (self.until_date, lifted) if day is not None]
        return min(ends) if ends else None

    def place_ids(self, resources: Resources) -> frozenset[str]:
        """The place ids it applies to (empty: all); a place may be named by its name too."""
        named = {p.id for p in resources.places if p.name in self.locations}
        return frozenset(self.locations) | named

    def closure(self, resources: Resources) -> Closure:
        return Closure(self.from_date, self.last_day, self.place_ids(resources))


@dataclass(frozen=True)
class CancellationRefusal:
    """Why a session cannot be cancelled, for the coordinator (Dutch and English)."""

    code: str
    reason: str
    reason_en: str


def cancellation_refusal(session: CourseSession | None, now: datetime) -> CancellationRefusal | None:
    """None when the session can be cancelled: it is known, planned and has not begun."""
    if session is None:
        return CancellationRefusal(
            "unknown-session",
            "Deze bijeenkomst is niet bekend. Kijk of u het nummer goed heeft overgenomen.",
            "This session is not known. Check that the id was copied correctly.",
        )
    if session.status == CANCELLED:
        return CancellationRefusal(
            "already-cancelled",
            "Deze bijeenkomst is al afgezegd.",
            "This session has been cancelled already.",
        )
    if session.status != PLANNED or session.start <= now:
        return CancellationRefusal(
            "in-the-past",
            "Deze bijeenkomst is al begonnen of voorbij. Afzeggen kan niet meer.",
            "This session has begun or is over; it can no longer be cancelled.",
        )
    return None


def with_measures(resources: Resources, measures: Iterable[Measure]) -> Resources:
    """The resources with the places closed that measures close: no new session goes there."""
    closures = tuple(
        m.closure(resources) for m in measures if m.last_day is None or m.last_day >= m.from_date
    )
    return replace(resources, closures=resources.closures + closures)


def as_planned(resources: Resources, sessions: Sequence[CourseSession]) -> Resources | None:
    """The resources narrowed to those the sessions were planned with, for the planner to check.

    Their place with their room only, open on their weekday only from their set-up to their
    packing up (if the place still opens then), their teachers and their volunteers: a plan the
    planner finds with these is the old one, if that is still free. None when the sessions do
    not share a place, room, weekday and time (one was caught up elsewhere), or the resources
    file no longer has them.
    """
    local = [s.start.astimezone(resources.zone) for s in sessions]
    when = {
        (s.place_id, s.room_id, at.isoweekday(), at.time()) for s, at in zip(sessions, local, strict=True)
    }
    if len(when) != 1:
        return None
    [(place_id, room_id, weekday, at)] = when
    place = next((p for p in resources.places if p.id == place_id), None)
    room = next((r for r in place.rooms if r.id == room_id), None) if place else None
    if place is None or room is None:
        return None
    setup = resources.setup_minutes if place.bring_ipads else 0
    held_from, held_until = _minute(at) - setup, _minute(at) + resources.session_minutes + setup
    opens = place.opening_hours.get(weekday, ())
    inside = any(_minute(o) <= held_from and held_until <= _minute(c) for o, c in opens)
    if not inside or held_from < 0 or held_until >= 24 * 60:
        return None
    only_then = ((time(held_from // 60, held_from % 60), time(held_until // 60, held_until % 60)),)
    teacher_ids = {s.teacher_id for s in sessions}
    volunteer_ids = {v for s in sessions for v in s.volunteer_ids}
    return replace(
        resources,
        places=(replace(place, rooms=(room,), opening_hours={weekday: only_then}),),
        teachers=tuple(t for t in resources.teachers if t.id in teacher_ids),
        volunteers=tuple(v for v in resources.volunteers if v.id in volunteer_ids),
    )


def _minute(at: time) -> int:
    return at.hour * 60 + at.minute


def same_placing(session: CourseSession, planned: PlannedSession) -> bool:
    """Whether a planned session is the session as it was: the same time, place, room and people."""
    was = (session.start, session.end, session.place_id, session.room_id, session.teacher_id)
    found = (planned.start, planned.end, planned.place_id, planned.room_id, planned.teacher_id)
    return found == was and frozenset(planned.volunteer_ids) == session.volunteer_ids


def earliest_start(filled_at: datetime, zone: ZoneInfo, lead_days: int) -> date:
    """The first day a course may start: some days after the group filled, in local time."""
    return filled_at.astimezone(zone).date() + timedelta(days=lead_days)


def midnight(day: date, zone: ZoneInfo) -> datetime:
    """The start of a local day, as an instant."""
    return datetime.combine(day, time(), tzinfo=zone)


def announce(planned: PlannedSession, resources: Resources, session_id: str, revision: int) -> Session:
    """A planned session as the people involved read it: names, addresses, iPads, set-up time."""
    zone = resources.zone
    place = next(p for p in resources.places if p.id == planned.place_id)
    room = next(r for r in place.rooms if r.id == planned.room_id)
    teacher = next(t for t in resources.teachers if t.id == planned.teacher_id)
    volunteers = [v for v in resources.volunteers if v.id in planned.volunteer_ids]
    brought = place.bring_ipads and planned.ipads > 0
    return Session(
        number=planned.number,
        start=planned.start.astimezone(zone),
        end=planned.end.astimezone(zone),
        session_id=session_id,
        revision=revision,
        location=Location(name=place.name, address=place.address),
        room=room.name,
        teacher=Teacher(name=teacher.name, email=teacher.email),
        volunteers=[StaffMember(name=v.name, email=v.email) for v in volunteers],
        ipads=planned.ipads,
        setup_start=planned.busy_from.astimezone(zone) if brought else None,
    )


def ipads_fit(
    session: CourseSession,
    needed: int,
    others: Sequence[Booking],
    pool: int,
    journey: Callable[[str], int] = lambda place_id: 0,
) -> bool:
    """Whether `needed` iPads can go to this session beside what other sessions hold then.

    `journey`: the minutes iPads are on their way to a place (and back), out of the pool too.
    """

    def out(place_id: str, held_from: datetime, held_until: datetime) -> tuple[datetime, datetime]:
        minutes = timedelta(minutes=journey(place_id))
        return held_from - minutes, held_until + minutes

    start, end = out(session.place_id, session.busy_from, session.busy_until)
    holds = [(*out(b.place_id, b.busy_from, b.busy_until), b.ipads) for b in others if b.ipads]
    overlapping = [(f, u, n) for f, u, n in holds if f < end and start < u]
    # The most in use at one moment: check at each start of an overlapping hold.
    moments = [start, *(f for f, _, _ in overlapping if f > start)]
    peak = max((sum(n for f, u, n in overlapping if f <= moment < u) for moment in moments), default=0)
    return needed + peak <= pool
