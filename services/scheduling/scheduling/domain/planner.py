"""The planner: puts a group's course on a teacher, a volunteer, a room and iPads, week by week.

Pure: no I/O. The resources (what the library has) and the bookings (what is already planned)
come in; a plan, or the reason there is none, comes out. Deterministic for the same input.

Hard constraints: nobody and nothing double-booked (a session outside the library holds its
room, its people and its iPads from set-up before it to packing up after it), the travel time
between places (a teacher or volunteer who packs up at one place sets up at another only after
the journey; iPads are out of the library from when they leave it until they are back), the
location's opening hours (set-up and packing included), the teacher's qualification for the
course type, the people's weekly availability (the session itself lies inside one of their
periods), the iPad pool (iPads brought to places without their own), the weekly limit per
partner and course type (ISO weeks), Dutch public holidays, closure days and closures of a
place. Busy times are filed by local date, so a journey across midnight is not seen (no place
opens then). Preferences, in
this order: the earliest start, the group's preferred locations, the same weekday, time, room,
teacher and volunteer every week.

The method: a deterministic search, in the order of the preferences, that stops at the first
plan that keeps every hard constraint.

1. Start windows: seven days from `earliest`, then the next seven, up to the horizon.
2. Within a window, places in the group's order of preference, then the other places (only
   `allowed_places`, when given).
3. Within a place, each day of the window and each start time (every `start_step_minutes` from
   opening time plus set-up) fixes the course's dates: the same weekday, time and place each
   week; a week that is closed on that day (a holiday, a closure day, a closure of the place, a
   week in which the course already has a session) moves the rest of the course one week on.
   The weekly limit is checked for those weeks, then the iPads at that time on every date.
4. Then, independently per kind, the first room, teacher (the preferred one first, then by id)
   and volunteer (by id; one per session) that is free on all dates. If a kind has nobody free
   on every date, the one free on most dates takes those and the first free one stands in on
   the others; such a plan is taken only if no other day or time at that place in that window
   has the same people and room every week.

The dates depend only on the calendar, and the three kinds do not constrain each other, so no
combinations of resources are tried and the search is exhaustive for this shape of plan: no
plan of the same shape starts in an earlier window. Busy intervals are indexed per resource and
date beforehand (`BookingIndex`, which a caller can keep and update, so that a request costs the
same with 100 or 5,000 courses planned). The index also keeps which rooms of a place are taken
for each date and interval a search asked about, until a booking at that place and date comes or
goes: when many groups want the same weeks, each later one tries every place and time the
earlier ones filled, and a time with a week without a free room is passed over first, with a
look-up per week. Measured in `bench/README.md`: about 10 ms a group for 200 groups over 20
places, with every group planned within two weeks when the weekly limits do not hold it back;
that is why this search is used, not a constraint solver.

When there is no plan, the reason is found by dropping one constraint at a time and searching
again: teachers' time and bookings (`no-qualified-teacher`), the iPad pool (`no-ipads`), the
weekly limit (`weekly-limit`), volunteers (`no-volunteer`); if none of these alone helps, the
combination of time, rooms and opening hours is what is missing (`no-free-slot`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol, TypeVar
from zoneinfo import ZoneInfo

# --- what the library has ------------------------------------------------------------------------

Hours = tuple[time, time]  # from, until (same day)


@dataclass(frozen=True)
class Room:
    id: str
    name: str


@dataclass(frozen=True)
class Place:
    """A location courses can be given at: the library, a neighbourhood centre, a partner's site."""

    id: str
    name: str
    address: str
    rooms: tuple[Room, ...]
    opening_hours: Mapping[int, tuple[Hours, ...]]  # ISO weekday (1 = Monday) -> open periods
    bring_ipads: bool  # True outside the library: iPads are brought, set up and packed up


@dataclass(frozen=True)
class Person:
    """A teacher (paid) or volunteer, with the weekly hours they can work."""

    id: str
    name: str
    email: str
    availability: Mapping[int, tuple[Hours, ...]]  # ISO weekday -> available periods
    qualifications: frozenset[str] = frozenset()  # course types a teacher may give


@dataclass(frozen=True)
class Closure:
    """Days on which places take no sessions, such as a public-health measure."""

    first: date
    last: date | None = None  # the last closed day, inclusive; None: open ended
    place_ids: frozenset[str] = frozenset()  # empty: every place

    def closes(self, place_id: str, day: date) -> bool:
        in_time = self.first <= day and (self.last is None or day <= self.last)
        return in_time and (not self.place_ids or place_id in self.place_ids)


@dataclass(frozen=True)
class Resources:
    places: tuple[Place, ...]
    teachers: tuple[Person, ...]
    volunteers: tuple[Person, ...]
    ipads: int
    zone: ZoneInfo
    session_minutes: int = 120
    setup_minutes: int = 45  # before a session outside the library, and packing up after it
    sessions_per_course: int = 5
    horizon_weeks: int = 12
    weekly_limits: Mapping[str, int] = field(default_factory=dict)  # per partner and course type
    closed_days: frozenset[date] = frozenset()  # public holidays and closure days together
    start_step_minutes: int = 30  # candidate start times within opening hours
    closures: tuple[Closure, ...] = ()  # places closed for a while (measures), on top of closed_days
    travel_minutes: Mapping[frozenset[str], int] = field(default_factory=dict)  # two places, either way
    travel_default_minutes: int = 0  # between two places not in `travel_minutes`
    ipads_kept_at: str | None = None  # the place iPads are carried from and back to; None: no journeys

    def travel(self, here: str, there: str) -> int:
        """Minutes from one place to another (none within a place)."""
        if here == there:
            return 0
        return self.travel_minutes.get(frozenset((here, there)), self.travel_default_minutes)

    def ipads_journey(self, place_id: str) -> int:
        """Minutes the iPads are on their way from where they are kept to the place, and back."""
        return 0 if self.ipads_kept_at is None else self.travel(self.ipads_kept_at, place_id)


# --- what is already planned ----------------------------------------------------------------------


@dataclass(frozen=True)
class Booking:
    """A planned (not cancelled) session, as far as it occupies resources."""

    course_id: str
    course_type: str
    partner_ids: frozenset[str]
    place_id: str
    room_id: str
    teacher_id: str
    volunteer_ids: frozenset[str]
    ipads: int  # iPads brought (0 at the library)
    start: datetime
    end: datetime
    busy_from: datetime  # start minus set-up, when iPads are brought
    busy_until: datetime  # end plus packing up

    @classmethod
    def of(cls, course_id: str, course_type: str, partner_ids: Iterable[str], session: Placed) -> Booking:
        """A course's session as a booking: one just planned, or one read back from the database."""
        return cls(
            course_id=course_id,
            course_type=course_type,
            partner_ids=frozenset(partner_ids),
            place_id=session.place_id,
            room_id=session.room_id,
            teacher_id=session.teacher_id,
            volunteer_ids=frozenset(session.volunteer_ids),
            ipads=session.ipads,
            start=session.start,
            end=session.end,
            busy_from=session.busy_from,
            busy_until=session.busy_until,
        )


class Placed(Protocol):
    """Where, when and with what a session takes place: a `PlannedSession`, or a row of sessions."""

    @property
    def place_id(self) -> str: ...
    @property
    def room_id(self) -> str: ...
    @property
    def teacher_id(self) -> str: ...
    @property
    def volunteer_ids(self) -> Iterable[str]: ...
    @property
    def ipads(self) -> int: ...
    @property
    def start(self) -> datetime: ...
    @property
    def end(self) -> datetime: ...
    @property
    def busy_from(self) -> datetime: ...
    @property
    def busy_until(self) -> datetime: ...


# --- what is asked and what comes out -------------------------------------------------------------


@dataclass(frozen=True)
class PlanRequest:
    course_id: str
    course_type: str
    participants: int  # one iPad each
    partner_ids: frozenset[str]
    earliest: date  # no session before this day
    sessions: int  # how many sessions to plan (5 for a new course; fewer on resuming)
    first_number: int = 1  # the number of the first session planned
    preferred_places: tuple[str, ...] = ()  # place ids or names, most wanted first
    preferred_teacher_id: str | None = None  # keep the teacher when resuming or catching up
    allowed_places: tuple[str, ...] = ()  # place ids or names the course may go to; empty: all


@dataclass(frozen=True)
class PlannedSession:
    number: int
    place_id: str
    room_id: str
    teacher_id: str
    volunteer_ids: tuple[str, ...]
    ipads: int
    start: datetime
    end: datetime
    busy_from: datetime
    busy_until: datetime


@dataclass(frozen=True)
class Plan:
    sessions: tuple[PlannedSession, ...]


@dataclass(frozen=True)
class Unschedulable:
    """Why no plan exists within the horizon: a stable code, and plain Dutch and English."""

    code: str  # no-qualified-teacher | no-volunteer | no-ipads | weekly-limit | no-free-slot
    reason: str
    reason_en: str


def plan_course(
    request: PlanRequest, resources: Resources, bookings: Sequence[Booking] | BookingIndex
) -> Plan | Unschedulable:
    """Plan `request.sessions` weekly sessions from `request.earliest`, or say what is missing.

    `bookings` is a list, indexed for this request only, or a `BookingIndex` kept up to date by
    the caller, so that the cost of a request does not grow with the number of bookings.
    """
    if request.sessions <= 0:
        return Plan(())
    search = _Search(request, resources, bookings)
    plan = search.run(_Relaxed())
    if plan is not None:
        return plan
    return _why_not(search, request, resources)


def days_searched(request: PlanRequest, resources: Resources) -> tuple[date, date]:
    """The days whose bookings a search for `request` can look at, first and last inclusive.

    Bookings outside them change nothing, so a caller may pass only these. The last window's
    last day, then every session a week later and at most `horizon_weeks + 1` closed weeks in
    between, and whole ISO weeks on both sides (the weekly limits), with a day to spare.
    """
    weeks = 2 * resources.horizon_weeks + request.sessions + 1
    return request.earliest - timedelta(days=8), request.earliest + timedelta(weeks=weeks, days=8)


COURSE_NAMES = {"klik-en-tik": "Klik & Tik", "digisterker": "Digisterker"}


def _why_not(search: _Search, request: PlanRequest, resources: Resources) -> Unschedulable:
    course = COURSE_NAMES.get(request.course_type, request.course_type)
    weeks = resources.horizon_weeks
    if not any(request.course_type in t.qualifications for t in resources.teachers):
        return Unschedulable(
            "no-qualified-teacher",
            f"Er is geen docent die {course} mag geven. Zet een docent met die bevoegdheid in de lijst.",
            f"No teacher is qualified to give {course}. Add a qualified teacher to the resources.",
        )
    if search.run(_Relaxed(teachers=True)) is not None:
        return Unschedulable(
            "no-qualified-teacher",
            f"De komende {weeks} weken heeft geen docent die {course} mag geven tijd voor deze groep. "
            "Vraag een docent om meer uren, of zoek een extra docent.",
            f"In the next {weeks} weeks no teacher qualified for {course} has time for this group. "
            "Ask a teacher for more hours, or find another teacher.",
        )
    if search.run(_Relaxed(ipads=True)) is not None:
        return Unschedulable(
            "no-ipads",
            f"De komende {weeks} weken zijn er niet genoeg iPads vrij voor {request.participants} "
            "deelnemers. Zorg voor meer iPads, of geef de cursus op een plek met eigen iPads.",
            f"In the next {weeks} weeks there are not enough iPads free for {request.participants} "
            "participants. Get more iPads, or give the course at a place that has its own.",
        )
    if search.run(_Relaxed(limits=True)) is not None:
        limit = resources.weekly_limits.get(request.course_type, 0)
        return Unschedulable(
            "weekly-limit",
            f"De komende {weeks} weken zit het maximum van {limit} {course}-cursussen per week "
            "voor deze partner vol. Verhoog het maximum, of wacht tot er cursussen klaar zijn.",
            f"In the next {weeks} weeks the limit of {limit} {course} courses a week for this "
            "partner is reached. Raise the limit, or wait until courses finish.",
        )
    if not resources.volunteers or search.run(_Relaxed(volunteers=True)) is not None:
        return Unschedulable(
            "no-volunteer",
            f"De komende {weeks} weken is er geen vrijwilliger vrij op een tijd dat de cursus kan. "
            "Vraag een vrijwilliger om meer uren, of zoek een extra vrijwilliger.",
            f"In the next {weeks} weeks no volunteer is free at a time the course could be given. "
            "Ask a volunteer for more hours, or find another volunteer.",
        )
    return Unschedulable(
        "no-free-slot",
        f"De komende {weeks} weken is er geen dag en tijd waarop een lokaal, een docent en een "
        "vrijwilliger samen vrij zijn. Plan de groep zelf in, of maak meer ruimte in het rooster.",
        f"In the next {weeks} weeks there is no day and time at which a room, a teacher and a "
        "volunteer are free together. Plan the group by hand, or make room in the timetable.",
    )


# --- the search ----------------------------------------------------------------------------------

Interval = tuple[int, int]  # minutes since the epoch (UTC), from inclusive, until exclusive
Stay = tuple[int, int, str]  # an interval at a place (its id)
IpadsOut = tuple[int, int, int, str]  # an interval, how many iPads, the place they are brought to
Periods = tuple[tuple[int, int], ...]  # minutes since midnight, local time


@dataclass(frozen=True)
class _Relaxed:
    """Constraints left out, to find out which one stands in the way."""

    teachers: bool = False  # qualified teachers are always free
    ipads: bool = False
    limits: bool = False
    volunteers: bool = False  # no volunteer needed


def _epoch_minutes(moment: datetime) -> int:
    return int(moment.timestamp()) // 60


def _minutes(periods: Iterable[Hours]) -> Periods:
    return tuple(sorted((p.hour * 60 + p.minute, u.hour * 60 + u.minute) for p, u in periods))


def _inside(periods: Periods, start: int, end: int) -> bool:
    return any(open_ <= start and end <= close for open_, close in periods)


def _overlaps(busy: Iterable[Interval], interval: Interval) -> bool:
    start, end = interval
    return any(b_start < end and start < b_end for b_start, b_end in busy)


@dataclass(frozen=True)
class _Candidate:
    """One place, first day and start time: the course's dates, and what each date keeps busy."""

    place: Place
    dates: tuple[date, ...]
    start_minute: int
    busy: tuple[Interval, ...]  # set-up to packing up, per date


class BookingIndex:
    """What is already planned, filed by resource and local date, and courses by partner and week.

    Built once and kept up to date with `add` and `remove` as sessions are planned and cancelled,
    so that a request looks up only the dates it tries. An interval is filed under each local
    date it touches; in the lists, the order of the bookings does not matter.
    """

    def __init__(self, zone: ZoneInfo, bookings: Iterable[Booking] = ()) -> None:
        self.zone = zone
        # Per person and date, the intervals they are busy and where (the travel time counts).
        self.people: dict[str, dict[date, list[Stay]]] = defaultdict(lambda: defaultdict(list))
        # Per place and date, each room's intervals; and, asked for by the planner and kept until
        # a booking at that place and date comes or goes, which rooms are taken for an interval:
        # one group after another tries the same places, days and times, full ones above all.
        self.rooms: dict[tuple[str, date], dict[str, list[Interval]]] = defaultdict(lambda: defaultdict(list))
        self._rooms_taken: dict[tuple[str, date], dict[Interval, frozenset[str]]] = {}
        self._room_sets: dict[frozenset[str], frozenset[str]] = {}
        self.ipads: dict[date, list[IpadsOut]] = defaultdict(list)
        # Course ids per course type, partner and ISO week (for the weekly limits), and the weeks
        # in which each course has a session.
        self.courses: dict[tuple[str, str, tuple[int, int]], set[str]] = defaultdict(set)
        self.weeks: dict[str, set[tuple[int, int]]] = defaultdict(set)
        self._count: dict[tuple[str, tuple[int, int]], int] = defaultdict(int)  # sessions per course and week
        for booking in bookings:
            self.add(booking)

    def add(self, booking: Booking) -> None:
        interval, days, week = self._where(booking)
        stay, out = (*interval, booking.place_id), (*interval, booking.ipads, booking.place_id)
        for day in days:
            for person in (booking.teacher_id, *sorted(booking.volunteer_ids)):
                self.people[person][day].append(stay)
            self.rooms[booking.place_id, day][booking.room_id].append(interval)
            self._rooms_taken.pop((booking.place_id, day), None)
            if booking.ipads:
                self.ipads[day].append(out)
        self._count[booking.course_id, week] += 1
        self.weeks[booking.course_id].add(week)
        for partner in booking.partner_ids:
            self.courses[booking.course_type, partner, week].add(booking.course_id)

    def remove(self, booking: Booking) -> None:
        """Take a booking added before out again (a session cancelled or moved)."""
        interval, days, week = self._where(booking)
        stay, out = (*interval, booking.place_id), (*interval, booking.ipads, booking.place_id)
        for day in days:
            for person in (booking.teacher_id, *sorted(booking.volunteer_ids)):
                self.people[person][day].remove(stay)
            self.rooms[booking.place_id, day][booking.room_id].remove(interval)
            self._rooms_taken.pop((booking.place_id, day), None)
            if booking.ipads:
                self.ipads[day].remove(out)
        key = (booking.course_id, week)
        self._count[key] -= 1
        if self._count[key] == 0:
            del self._count[key]
            self.weeks[booking.course_id].discard(week)
            for partner in booking.partner_ids:
                self.courses[booking.course_type, partner, week].discard(booking.course_id)

    def rooms_taken(self, place_id: str, day: date, interval: Interval) -> frozenset[str]:
        """The ids of the rooms at the place that are busy at some time within `interval` that day."""
        known = self._rooms_taken.setdefault((place_id, day), {})
        taken = known.get(interval)
        if taken is None:
            rooms = self.rooms.get((place_id, day), {})
            found = frozenset(r for r, busy in rooms.items() if _overlaps(busy, interval))
            # Most answers are the same few sets (none taken, all taken): kept once each.
            taken = known[interval] = self._room_sets.setdefault(found, found)
        return taken

    def other_courses(self, request: PlanRequest, partner: str, week: tuple[int, int]) -> int:
        """How many other courses of the request's type the partner has in that week."""
        ids = self.courses.get((request.course_type, partner, week), set())
        return len(ids) - (request.course_id in ids)

    def _where(self, booking: Booking) -> tuple[Interval, list[date], tuple[int, int]]:
        interval = (_epoch_minutes(booking.busy_from), _epoch_minutes(booking.busy_until))
        first = booking.busy_from.astimezone(self.zone).date()
        last = booking.busy_until.astimezone(self.zone).date()
        days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
        return interval, days, _iso_week(booking.start.astimezone(self.zone).date())


class _Search:
    def __init__(
        self, request: PlanRequest, resources: Resources, bookings: Sequence[Booking] | BookingIndex
    ) -> None:
        self.request = request
        self.resources = resources
        self.zone = resources.zone
        self.places = _places_in_order(request, resources.places)
        self.teachers = sorted(
            (t for t in resources.teachers if request.course_type in t.qualifications),
            key=lambda t: (t.id != request.preferred_teacher_id, t.id),
        )
        self.volunteers = sorted(resources.volunteers, key=lambda v: v.id)
        self.limit = resources.weekly_limits.get(request.course_type)
        self.travels = bool(resources.travel_default_minutes or any(resources.travel_minutes.values()))
        # What is taken: built here from a list, or kept by the caller across requests.
        self.index = bookings if isinstance(bookings, BookingIndex) else BookingIndex(self.zone, bookings)
        if self.index.zone != self.zone:
            raise ValueError("the bookings are indexed in another time zone than the resources'")
        self.own_weeks = self.index.weeks.get(request.course_id, set())
        # What does not change between the searches for one request, worked out once.
        self._dates_cache: dict[tuple[str, date], tuple[date, ...] | None] = {}
        self._limits_cache: dict[tuple[date, ...], bool] = {}
        self._times_cache: dict[tuple[str, int], list[int]] = {}
        self._instants: dict[tuple[date, int], int] = {}
        self._available_cache: dict[tuple[int, int], tuple[list[Person], list[Person]]] = {}

    # -- the order of the search --

    def run(self, relaxed: _Relaxed) -> Plan | None:
        request = self.request
        if not self.teachers:
            return None
        for window in range(self.resources.horizon_weeks):
            days = [request.earliest + timedelta(days=7 * window + n) for n in range(7)]
            for place in self.places:
                fallback: Plan | None = None
                for candidate in self._candidates_at(place, days, relaxed):
                    plan, every_week_the_same = self._staff(candidate, relaxed)
                    if plan is not None and every_week_the_same:
                        return plan
                    fallback = fallback or plan
                if fallback is not None:
                    return fallback
        return None

    def _candidates_at(self, place: Place, days: Iterable[date], relaxed: _Relaxed) -> Iterator[_Candidate]:
        if not place.rooms:
            return
        setup = self.resources.setup_minutes if place.bring_ipads else 0
        length = self.resources.session_minutes
        rooms = frozenset(room.id for room in place.rooms)
        for day in days:
            start_times = self._start_times(place, day.isoweekday())
            dates = self._dates(place, day) if start_times else None
            if dates is None or not (relaxed.limits or self._within_limits(dates)):
                continue
            for start_minute in start_times:
                # A week without a free room: no plan at this time. Checked first, as it is cheap
                # and the common case where many groups want the same weeks (the first week first).
                start = self._instant(dates[0], start_minute)
                taken = self.index.rooms_taken(place.id, dates[0], (start - setup, start + length + setup))
                if rooms <= taken:
                    continue
                starts = [self._instant(d, start_minute) for d in dates]
                busy = tuple((start - setup, start + length + setup) for start in starts)
                weeks = zip(dates, busy, strict=True)
                if any(rooms <= self.index.rooms_taken(place.id, d, b) for d, b in weeks):
                    continue
                candidate = _Candidate(place, dates, start_minute, busy)
                if relaxed.ipads or self._ipads_free(candidate):
                    yield candidate

    def _start_times(self, place: Place, weekday: int) -> list[int]:
        key = (place.id, weekday)
        if key not in self._times_cache:
            res = self.resources
            before = res.setup_minutes if place.bring_ipads else 0
            starts: set[int] = set()
            for open_, close in _minutes(place.opening_hours.get(weekday, ())):
                start = open_ + before
                while start + res.session_minutes + before <= close:
                    starts.add(start)
                    start += res.start_step_minutes
            self._times_cache[key] = sorted(starts)
        return self._times_cache[key]

    def _instant(self, day: date, minute: int) -> int:
        """Minutes since the epoch of a local clock time."""
        key = (day, minute)
        if key not in self._instants:
            local = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=self.zone)
            self._instants[key] = _epoch_minutes(local)
        return self._instants[key]

    def _dates(self, place: Place, first: date) -> tuple[date, ...] | None:
        """The course's dates from `first` on: a closed day moves the rest on a week."""
        key = (place.id, first)
        if key in self._dates_cache:
            return self._dates_cache[key]
        found: tuple[date, ...] | None = None
        if not self._closed(place, first):
            dates = [first]
            day, skipped = first, 0
            while len(dates) < self.request.sessions and skipped <= self.resources.horizon_weeks:
                day += timedelta(weeks=1)
                if self._closed(place, day):
                    skipped += 1
                else:
                    dates.append(day)
            found = tuple(dates) if len(dates) == self.request.sessions else None
        self._dates_cache[key] = found
        return found

    def _closed(self, place: Place, day: date) -> bool:
        return (
            day in self.resources.closed_days
            or _iso_week(day) in self.own_weeks  # the course already has its session that week
            or any(closure.closes(place.id, day) for closure in self.resources.closures)
        )

    # -- the checks --

    def _within_limits(self, dates: tuple[date, ...]) -> bool:
        if self.limit is None:
            return True
        if dates not in self._limits_cache:
            self._limits_cache[dates] = all(
                self.index.other_courses(self.request, partner, _iso_week(day)) < self.limit
                for day in dates
                for partner in self.request.partner_ids
            )
        return self._limits_cache[dates]

    def _ipads_free(self, candidate: _Candidate) -> bool:
        if not candidate.place.bring_ipads:
            return True
        needed = self.request.participants
        if needed > self.resources.ipads:
            return False
        # Out of the library from when they leave it until they are back: the journeys count.
        journey = self.resources.ipads_journey
        there = journey(candidate.place.id)
        return all(
            needed
            + _peak(
                ((f - journey(p), u + journey(p), n) for f, u, n, p in self.index.ipads.get(day, ())),
                (start - there, end + there),
            )
            <= self.resources.ipads
            for day, (start, end) in zip(candidate.dates, candidate.busy, strict=True)
        )

    def _room_free(self, place: Place, room: Room, candidate: _Candidate, n: int) -> bool:
        return room.id not in self.index.rooms_taken(place.id, candidate.dates[n], candidate.busy[n])

    def _person_free(self, person: Person, candidate: _Candidate, n: int) -> bool:
        """Free from set-up to packing up, with time to get there from before and away after."""
        taken = self.index.people.get(person.id)
        if taken is None:
            return True
        start, end = candidate.busy[n]
        stays = taken.get(candidate.dates[n], ())
        if not self.travels:
            return not any(b_start < end and start < b_end for b_start, b_end, _ in stays)
        here, travel = candidate.place.id, self.resources.travel
        return not any(
            b_start - journey < end and start < b_end + journey
            for b_start, b_end, there in stays
            for journey in (travel(there, here),)
        )

    def _available(self, weekday: int, start_minute: int) -> tuple[list[Person], list[Person]]:
        """The qualified teachers and the volunteers whose hours hold a session at that time."""
        key = (weekday, start_minute)
        if key not in self._available_cache:
            end = start_minute + self.resources.session_minutes

            def can(person: Person) -> bool:
                return _inside(_minutes(person.availability.get(weekday, ())), start_minute, end)

            self._available_cache[key] = (
                [t for t in self.teachers if can(t)],
                [v for v in self.volunteers if can(v)],
            )
        return self._available_cache[key]

    def _staff(self, candidate: _Candidate, relaxed: _Relaxed) -> tuple[Plan | None, bool]:
        """Rooms, teachers and volunteers for each date; and whether they are the same every week."""
        place, n_dates = candidate.place, len(candidate.dates)
        rooms = _choose(place.rooms, n_dates, lambda room, n: self._room_free(place, room, candidate, n))
        if rooms is None:
            return None, False
        available_teachers, available_volunteers = self._available(
            candidate.dates[0].isoweekday(), candidate.start_minute
        )
        if relaxed.teachers:
            teachers: tuple[list[Person], bool] | None = ([self.teachers[0]] * n_dates, True)
        else:
            teachers = _choose(available_teachers, n_dates, lambda t, n: self._person_free(t, candidate, n))
        if teachers is None:
            return None, False
        volunteer_ids: list[tuple[str, ...]] = [()] * n_dates
        same_volunteer = True
        if not relaxed.volunteers:
            teacher_ids = {t.id for t in teachers[0]}
            volunteers = _choose(
                [v for v in available_volunteers if v.id not in teacher_ids],
                n_dates,
                lambda v, n: self._person_free(v, candidate, n),
            )
            if volunteers is None:
                return None, False
            volunteer_ids = [(v.id,) for v in volunteers[0]]
            same_volunteer = volunteers[1]
        return self._plan(candidate, rooms[0], teachers[0], volunteer_ids), rooms[1] and teachers[
            1
        ] and same_volunteer

    def _plan(
        self,
        candidate: _Candidate,
        rooms: Sequence[Room],
        teachers: Sequence[Person],
        volunteer_ids: Sequence[tuple[str, ...]],
    ) -> Plan:
        place, res = candidate.place, self.resources
        setup = timedelta(minutes=res.setup_minutes if place.bring_ipads else 0)
        length = timedelta(minutes=res.session_minutes)
        at = time(candidate.start_minute // 60, candidate.start_minute % 60)
        sessions = []
        for n, day in enumerate(candidate.dates):
            start = datetime.combine(day, at, tzinfo=self.zone)
            # Durations are added in UTC: wall-clock arithmetic is an hour off on a DST night.
            end = _later(start, length, self.zone)
            sessions.append(
                PlannedSession(
                    number=self.request.first_number + n,
                    place_id=place.id,
                    room_id=rooms[n].id,
                    teacher_id=teachers[n].id,
                    volunteer_ids=volunteer_ids[n],
                    ipads=self.request.participants if place.bring_ipads else 0,
                    start=start,
                    end=end,
                    busy_from=_later(start, -setup, self.zone),
                    busy_until=_later(end, setup, self.zone),
                )
            )
        return Plan(tuple(sessions))


# --- small pieces ----------------------------------------------------------------------------------

_T = TypeVar("_T")


def _choose(
    candidates: Sequence[_T], n_dates: int, free: Callable[[_T, int], bool]
) -> tuple[list[_T], bool] | None:
    """The first candidate free on every date; else the one free on most dates, with stand-ins.

    The second value says whether one candidate covers every date. None: some date has nobody.
    """
    # What the first pass found (up to each candidate's first busy date) is not asked again.
    rows: list[tuple[_T, list[bool]]] = []
    for candidate in candidates:
        row: list[bool] = []
        while len(row) < n_dates and (not row or row[-1]):
            row.append(free(candidate, len(row)))
        if all(row):
            return [candidate] * n_dates, True
        rows.append((candidate, row))
    for candidate, row in rows:
        row += [free(candidate, n) for n in range(len(row), n_dates)]
    chosen: list[_T] = []
    main, main_row = max(rows, key=lambda item: sum(item[1]), default=(None, []))
    for n in range(n_dates):
        if main is not None and main_row[n]:
            chosen.append(main)
            continue
        stand_in = next((c for c, row in rows if row[n]), None)
        if stand_in is None:
            return None
        chosen.append(stand_in)
    return chosen, False


def _peak(in_use: Iterable[tuple[int, int, int]], interval: Interval) -> int:
    """The most iPads in use at one moment within `interval`."""
    start, end = interval
    changes: list[tuple[int, int]] = []
    for use_from, use_until, count in in_use:
        if use_from < end and start < use_until:
            changes.append((max(use_from, start), count))
            changes.append((min(use_until, end), -count))
    # On the same minute, returns come before new uses: the intervals are half open.
    changes.sort(key=lambda change: (change[0], change[1]))
    peak = current = 0
    for _, delta in changes:
        current += delta
        peak = max(peak, current)
    return peak


def _places_in_order(request: PlanRequest, places: Sequence[Place]) -> list[Place]:
    """The places the course may go to: the group's preferred ones first, in its order."""
    allowed = list(places)
    if request.allowed_places:
        allowed = [p for p in places if any(p in _named(places, name) for name in request.allowed_places)]
    preferred: list[Place] = []
    for wish in request.preferred_places:
        preferred += [p for p in _named(allowed, wish) if p not in preferred]
    return preferred + [p for p in allowed if p not in preferred]


def _named(places: Sequence[Place], name: str) -> list[Place]:
    """The places a person means by `name`: its id or full name, else part of its name.

    Intakes name places as people say them ("De Chocoladefabriek" for "Bibliotheek Gouda, De
    Chocoladefabriek"), so a part of the name counts when nothing matches exactly.
    """
    wanted = name.strip().casefold()
    exact = [p for p in places if wanted in (p.id.casefold(), p.name.casefold())]
    if exact or len(wanted) < 3:
        return exact
    return [p for p in places if wanted in p.name.casefold()]


def _iso_week(day: date) -> tuple[int, int]:
    year, week, _ = day.isocalendar()
    return year, week


def _later(moment: datetime, duration: timedelta, zone: ZoneInfo) -> datetime:
    return (moment.astimezone(UTC) + duration).astimezone(zone)
