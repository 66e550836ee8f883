"""Weekly slots, and planning a group's course into the first free weeks of one of them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Set
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from taalhuis_shared.events import Location, Teacher

WEEK = timedelta(weeks=1)


@dataclass(frozen=True)
class Slot:
    """A fixed weekly time at which one teacher gives one course type at one location."""

    id: str
    course_type: str
    weekday: int  # ISO: 1 is Monday, 7 is Sunday
    start: time
    minutes: int
    location: Location
    teacher: Teacher


@dataclass(frozen=True)
class PlannedSession:
    number: int
    date: date
    start: datetime
    end: datetime


@dataclass(frozen=True)
class CoursePlan:
    """The slot a course is given in, and its weekly sessions there."""

    slot: Slot
    sessions: tuple[PlannedSession, ...]


@dataclass(frozen=True)
class Unschedulable:
    """Why a group cannot be planned: a stable code, and the same in plain Dutch and English."""

    code: str
    reason: str
    reason_en: str


def no_free_slot(horizon_weeks: int) -> Unschedulable:
    return Unschedulable(
        "no-free-slot",
        f"Er is in de komende {horizon_weeks} weken geen vrij tijdstip voor deze groep. "
        "Zet een extra tijdstip in het rooster, of plan de groep zelf in.",
        f"There is no free slot for this group in the next {horizon_weeks} weeks. "
        "Add a slot to the timetable, or plan the group by hand.",
    )


@dataclass(frozen=True)
class Policy:
    """The timetable and the rules for planning a course on it."""

    slots: tuple[Slot, ...]
    zone: ZoneInfo
    sessions_per_course: int = 5
    horizon_weeks: int = 12
    lead_days: int = 7

    def earliest_start(self, filled_at: datetime) -> date:
        """The first day a course may start: some days after the group filled, in local time."""
        return filled_at.astimezone(self.zone).date() + timedelta(days=self.lead_days)


def plan_course(
    course_type: str, taken: Mapping[str, Set[date]], earliest: date, policy: Policy
) -> CoursePlan | Unschedulable:
    """Plan a course in the slot of its type that can start first; ties go to the earlier slot.

    `taken` holds, per slot id, the dates that slot already has a session on. A course may start
    in a slot in any of the horizon's weeks from which that slot is free for all its sessions,
    one a week.
    """
    plans = (
        _first_plan_in(slot, taken.get(slot.id, frozenset()), earliest, policy)
        for slot in policy.slots
        if slot.course_type == course_type
    )
    candidates = [plan for plan in plans if plan is not None]
    if not candidates:
        return no_free_slot(policy.horizon_weeks)
    # min() keeps the first of equals: the slot listed first in the timetable wins a tie.
    return min(candidates, key=lambda plan: plan.sessions[0].start)


def _first_plan_in(slot: Slot, taken: Set[date], earliest: date, policy: Policy) -> CoursePlan | None:
    first_day = earliest + timedelta(days=(slot.weekday - earliest.isoweekday()) % 7)
    for week in range(policy.horizon_weeks):
        dates = [first_day + (week + n) * WEEK for n in range(policy.sessions_per_course)]
        if taken.isdisjoint(dates):
            return CoursePlan(slot, tuple(_sessions(slot, dates, policy.zone)))
    return None


def _sessions(slot: Slot, dates: Iterable[date], zone: ZoneInfo) -> Iterable[PlannedSession]:
    for number, day in enumerate(dates, start=1):
        start = datetime.combine(day, slot.start, tzinfo=zone)
        # Add the duration in UTC: wall-clock arithmetic would be off by an hour on a DST night.
        end = (start.astimezone(UTC) + timedelta(minutes=slot.minutes)).astimezone(zone)
        yield PlannedSession(number, day, start, end)
