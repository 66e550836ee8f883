"""The planner: hard constraints as properties over random resources, preferences by example."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from scheduling.domain.planner import (
    Booking,
    Closure,
    Hours,
    Person,
    Place,
    Plan,
    PlannedSession,
    PlanRequest,
    Resources,
    Room,
    Unschedulable,
    plan_course,
)

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
KLIK = "klik-en-tik"
DIGI = "digisterker"
CODES = {"no-qualified-teacher", "no-volunteer", "no-ipads", "weekly-limit", "no-free-slot"}
MONDAY = date(2026, 3, 2)
WORKDAYS = range(1, 6)


def week(*periods: str, days: Iterable[int] = WORKDAYS) -> dict[int, tuple[Hours, ...]]:
    parsed = tuple(
        (time.fromisoformat(p.split("-")[0]), time.fromisoformat(p.split("-")[1]))
        for p in periods or ("09:00-17:00",)
    )
    return {day: parsed for day in days}


def place(place_id: str, bring_ipads: bool = False, rooms: int = 1, **hours: Iterable[int]) -> Place:
    return Place(
        id=place_id,
        name=f"Plaats {place_id}",
        address="Voorbeeldstraat 1, 2800 AA Gouda",
        rooms=tuple(Room(f"{place_id}-r{n}", f"Lokaal {n}") for n in range(1, rooms + 1)),
        opening_hours=week(days=hours.get("days", WORKDAYS)),
        bring_ipads=bring_ipads,
    )


def teacher(
    person_id: str, *courses: str, days: Iterable[int] = WORKDAYS, periods: Sequence[str] = ()
) -> Person:
    return Person(
        person_id, person_id.title(), f"{person_id}@bibliotheekgouda.example", week(*periods, days=days),
        frozenset(courses or (KLIK,)),
    )  # fmt: skip


def volunteer(person_id: str, days: Iterable[int] = WORKDAYS, periods: Sequence[str] = ()) -> Person:
    return Person(
        person_id, person_id.title(), f"{person_id}@bibliotheekgouda.example", week(*periods, days=days)
    )


LIBRARY = place("bieb")
CENTRE = place("wijk", bring_ipads=True)


def resources(
    places: Sequence[Place] = (LIBRARY,),
    teachers: Sequence[Person] = (),
    volunteers: Sequence[Person] = (),
    **rules: object,
) -> Resources:
    base = Resources(
        places=tuple(places),
        teachers=tuple(teachers) or (teacher("anna", KLIK, DIGI),),
        volunteers=tuple(volunteers) or (volunteer("vera"),),
        ipads=20,
        zone=AMSTERDAM,
        weekly_limits={KLIK: 2, DIGI: 2},
    )
    return replace(base, **rules)  # type: ignore[arg-type]


def request(course_id: str = "c1", **fields: object) -> PlanRequest:
    base = PlanRequest(
        course_id=course_id,
        course_type=KLIK,
        participants=5,
        partner_ids=frozenset({"promen"}),
        earliest=MONDAY,
        sessions=5,
    )
    return replace(base, **fields)  # type: ignore[arg-type]


def planned(outcome: Plan | Unschedulable) -> Plan:
    assert isinstance(outcome, Plan), outcome
    return outcome


def bookings_of(plan: Plan, req: PlanRequest) -> list[Booking]:
    return [
        Booking(
            course_id=req.course_id,
            course_type=req.course_type,
            partner_ids=req.partner_ids,
            place_id=s.place_id,
            room_id=s.room_id,
            teacher_id=s.teacher_id,
            volunteer_ids=frozenset(s.volunteer_ids),
            ipads=s.ipads,
            start=s.start,
            end=s.end,
            busy_from=s.busy_from,
            busy_until=s.busy_until,
        )
        for s in plan.sessions
    ]


def booking(
    course_id: str,
    day: date,
    start: str = "09:00",
    end: str = "17:00",
    *,
    teacher_id: str = "someone",
    volunteer_ids: Iterable[str] = (),
    place_id: str = "elders",
    room_id: str = "elders-r1",
    ipads: int = 0,
    course_type: str = KLIK,
    partners: Iterable[str] = (),
) -> Booking:
    begin = datetime.combine(day, time.fromisoformat(start), tzinfo=AMSTERDAM)
    until = datetime.combine(day, time.fromisoformat(end), tzinfo=AMSTERDAM)
    return Booking(
        course_id, course_type, frozenset(partners), place_id, room_id, teacher_id, frozenset(volunteer_ids),
        ipads, begin, until, begin, until,
    )  # fmt: skip


def local(moment: datetime) -> datetime:
    return moment.astimezone(AMSTERDAM)


# --- an independent check of every hard constraint -------------------------------------------------


def violations(
    plans: Sequence[tuple[PlanRequest, Plan]], res: Resources, before: Sequence[Booking] = ()
) -> list[str]:
    """Every hard constraint a set of plans breaks, checked without the planner's own code."""
    found: list[str] = []
    places = {p.id: p for p in res.places}
    teachers = {t.id: t for t in res.teachers}
    volunteers = {v.id: v for v in res.volunteers}
    everything = [*before, *(b for req, plan in plans for b in bookings_of(plan, req))]

    def inside(periods: Iterable[Hours], start: datetime, end: datetime) -> bool:
        s, e = local(start), local(end)
        return s.date() == e.date() and any(p <= s.time() and e.time() <= u for p, u in periods)

    def travel(here: str, there: str) -> timedelta:
        minutes = res.travel_minutes.get(frozenset((here, there)), res.travel_default_minutes)
        return timedelta(minutes=0 if here == there else minutes)

    # Nobody and nothing double-booked, set-up and packing up included; people travel between places.
    for n, a in enumerate(everything):
        for b in everything[n + 1 :]:
            shared = ({a.teacher_id} | a.volunteer_ids) & ({b.teacher_id} | b.volunteer_ids)
            if a.busy_from < b.busy_until and b.busy_from < a.busy_until:
                if shared:
                    found.append(f"{sorted(shared)} double-booked at {a.busy_from}")
                if (a.place_id, a.room_id) == (b.place_id, b.room_id):
                    found.append(f"room {a.room_id} double-booked at {a.busy_from}")
            elif shared:
                first, then = sorted((a, b), key=lambda x: x.busy_from)
                if then.busy_from - first.busy_until < travel(first.place_id, then.place_id):
                    found.append(
                        f"{sorted(shared)} cannot travel in time to {then.place_id} at {then.busy_from}"
                    )

    # The iPad pool: the most in use at once is reached at the start of some use; iPads are out of
    # the library from when they leave it until they are back.
    def out(b: Booking) -> tuple[datetime, datetime]:
        journey = travel(res.ipads_kept_at, b.place_id) if res.ipads_kept_at else timedelta()
        return b.busy_from - journey, b.busy_until + journey

    for a in everything:
        leaves = out(a)[0]
        in_use = sum(b.ipads for b in everything if out(b)[0] <= leaves < out(b)[1])
        if in_use > res.ipads:
            found.append(f"{in_use} iPads in use at {leaves}, pool {res.ipads}")
    # Weekly limits per partner and course type, in ISO weeks.
    courses: dict[tuple[str, str, tuple[int, int]], set[str]] = defaultdict(set)
    for b in everything:
        iso = local(b.start).isocalendar()
        for partner in b.partner_ids:
            courses[partner, b.course_type, (iso[0], iso[1])].add(b.course_id)
    for (partner, course_type, iso_week), ids in courses.items():
        if course_type in res.weekly_limits and len(ids) > res.weekly_limits[course_type]:
            found.append(f"{partner} has {len(ids)} {course_type} courses in week {iso_week}")

    for req, plan in plans:
        numbers = [s.number for s in plan.sessions]
        if numbers != list(range(req.first_number, req.first_number + req.sessions)):
            found.append(f"{req.course_id}: session numbers {numbers}")
        weeks = [local(s.start).isocalendar()[:2] for s in plan.sessions]
        if weeks != sorted(set(weeks)):
            found.append(f"{req.course_id}: not one session per ISO week: {weeks}")
        if plan.sessions and local(plan.sessions[0].start).date() < req.earliest:
            found.append(f"{req.course_id}: starts before {req.earliest}")
        if plan.sessions and local(plan.sessions[0].start).date() >= req.earliest + timedelta(
            weeks=res.horizon_weeks
        ):
            found.append(f"{req.course_id}: starts after the horizon")
        if len({(local(s.start).isoweekday(), local(s.start).time(), s.place_id) for s in plan.sessions}) > 1:
            found.append(f"{req.course_id}: weekday, time or place changes")
        for s in plan.sessions:
            where = places.get(s.place_id)
            label = f"{req.course_id} #{s.number}"
            if where is None:
                found.append(f"{label}: unknown place {s.place_id}")
                continue
            if s.room_id not in {r.id for r in where.rooms}:
                found.append(f"{label}: room {s.room_id} is not at {where.id}")
            setup = timedelta(minutes=res.setup_minutes if where.bring_ipads else 0)
            if s.busy_from != s.start - setup or s.busy_until != s.end + setup:
                found.append(f"{label}: set-up is not around the session")
            if s.end.astimezone(UTC) - s.start.astimezone(UTC) != timedelta(minutes=res.session_minutes):
                found.append(f"{label}: lasts {s.end - s.start}")
            if s.ipads != (req.participants if where.bring_ipads else 0):
                found.append(f"{label}: {s.ipads} iPads for {req.participants} at {where.id}")
            day = local(s.start).date()
            if not inside(where.opening_hours.get(day.isoweekday(), ()), s.busy_from, s.busy_until):
                found.append(f"{label}: outside the opening hours of {where.id}")
            if day in res.closed_days:
                found.append(f"{label}: on closed day {day}")
            if any(c.closes(where.id, day) for c in res.closures):
                found.append(f"{label}: at {where.id} while it is closed")
            staff = teachers.get(s.teacher_id)
            if staff is None or req.course_type not in staff.qualifications:
                found.append(f"{label}: {s.teacher_id} may not give {req.course_type}")
            elif not inside(staff.availability.get(day.isoweekday(), ()), s.start, s.end):
                found.append(f"{label}: teacher {staff.id} is not available")
            if not s.volunteer_ids:
                found.append(f"{label}: no volunteer")
            for volunteer_id in s.volunteer_ids:
                helper = volunteers.get(volunteer_id)
                if helper is None or not inside(
                    helper.availability.get(day.isoweekday(), ()), s.start, s.end
                ):
                    found.append(f"{label}: volunteer {volunteer_id} is not available")
    return found


# --- random resources and groups --------------------------------------------------------------------

COURSE_TYPES = st.sampled_from([KLIK, DIGI])
# Mostly both: a teacher for nothing only makes more groups unschedulable.
qualifications = st.sampled_from(
    [frozenset({KLIK, DIGI})] * 3 + [frozenset({KLIK}), frozenset({DIGI}), frozenset()]
)


@st.composite
def periods(draw: st.DrawFn) -> tuple[Hours, ...]:
    start = draw(st.integers(7 * 2, 11 * 2)) * 30
    end = start + draw(st.integers(4, 18)) * 30
    spans = [(start, min(end, 23 * 60 + 30))]
    if draw(st.booleans()):  # a second period later that day
        later = spans[0][1] + draw(st.integers(1, 4)) * 30
        spans.append((later, min(later + draw(st.integers(2, 10)) * 30, 23 * 60 + 59)))
    return tuple((time(s // 60, s % 60), time(e // 60, e % 60)) for s, e in spans if s < e)


@st.composite
def weekly_hours(draw: st.DrawFn) -> dict[int, tuple[Hours, ...]]:
    if draw(st.booleans()):  # office hours: people and places overlap, and groups compete
        return week("08:00-18:00")
    days = draw(st.sets(st.integers(1, 7), min_size=2, max_size=7))
    return {day: draw(periods()) for day in sorted(days)}


@st.composite
def random_resources(draw: st.DrawFn, first: date) -> Resources:
    places = tuple(
        Place(
            id=f"p{n}",
            name=f"Plaats {n}",
            address="Voorbeeldstraat 1, 2800 AA Gouda",
            rooms=tuple(Room(f"p{n}-r{m}", f"Lokaal {m}") for m in range(draw(st.integers(1, 2)))),
            opening_hours=draw(weekly_hours()),
            bring_ipads=draw(st.booleans()),
        )
        for n in range(draw(st.integers(1, 3)))
    )
    teachers = tuple(
        Person(f"t{n}", f"Docent {n}", f"t{n}@x.example", draw(weekly_hours()), draw(qualifications))
        for n in range(draw(st.integers(1, 4)))
    )
    volunteers = tuple(
        Person(f"v{n}", f"Vrijwilliger {n}", f"v{n}@x.example", draw(weekly_hours()))
        for n in range(draw(st.integers(1, 3)))
    )
    closed = draw(st.sets(st.dates(first, first + timedelta(weeks=12)), max_size=6))
    closures = draw(
        st.lists(
            st.builds(
                Closure,
                first=st.dates(first, first + timedelta(weeks=8)),
                last=st.none() | st.dates(first, first + timedelta(weeks=10)),
                place_ids=st.frozensets(st.sampled_from([p.id for p in places]), max_size=2),
            ),
            max_size=1,
        )
    )
    return Resources(
        places=places,
        teachers=teachers,
        volunteers=volunteers,
        ipads=draw(st.integers(0, 25)),
        zone=AMSTERDAM,
        session_minutes=draw(st.sampled_from([60, 90, 120])),
        setup_minutes=draw(st.sampled_from([0, 15, 45])),
        sessions_per_course=5,
        horizon_weeks=draw(st.integers(1, 5)),
        weekly_limits=draw(st.dictionaries(COURSE_TYPES, st.integers(0, 2))),
        closed_days=frozenset(closed),
        start_step_minutes=draw(st.sampled_from([30, 60])),
        closures=tuple(closures),
        travel_default_minutes=draw(st.sampled_from([0, 15, 30])),
        travel_minutes=draw(
            st.dictionaries(
                st.frozensets(st.sampled_from([p.id for p in places]), min_size=2, max_size=2),
                st.sampled_from([0, 10, 45]),
                max_size=2,
            )
            if len(places) > 1
            else st.just({})
        ),
        ipads_kept_at=next((p.id for p in places if not p.bring_ipads), None),
    )


@st.composite
def random_requests(draw: st.DrawFn, res: Resources, start: date) -> list[PlanRequest]:
    place_ids = [p.id for p in res.places]
    return [
        PlanRequest(
            course_id=f"c{n}",
            course_type=draw(COURSE_TYPES),
            participants=draw(st.integers(1, 5)),
            partner_ids=draw(st.frozensets(st.sampled_from(["promen", "gemeente"]), max_size=2)),
            earliest=start + timedelta(days=draw(st.integers(0, 20))),
            sessions=draw(st.integers(1, 5)),
            first_number=draw(st.integers(1, 3)),
            preferred_places=tuple(draw(st.lists(st.sampled_from(place_ids), max_size=2, unique=True))),
            preferred_teacher_id=draw(st.none() | st.sampled_from([t.id for t in res.teachers])),
            allowed_places=tuple(draw(st.lists(st.sampled_from(place_ids), max_size=2, unique=True))),
        )
        for n in range(draw(st.integers(1, 8)))
    ]


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[Resources, list[PlanRequest]]:
    start = draw(st.dates(date(2026, 1, 1), date(2027, 12, 31)))
    res = draw(random_resources(start))
    return res, draw(random_requests(res, start))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_groups_planned_one_after_another_keep_every_hard_constraint(
    scenario: tuple[Resources, list[PlanRequest]],
) -> None:
    res, requests = scenario
    taken: list[Booking] = []
    plans: list[tuple[PlanRequest, Plan]] = []
    for req in requests:
        outcome = plan_course(req, res, taken)
        if isinstance(outcome, Unschedulable):
            event(f"unschedulable: {outcome.code}")
            assert outcome.code in CODES
            assert outcome.reason and outcome.reason_en
            continue
        event("planned")
        plans.append((req, outcome))
        taken += bookings_of(outcome, req)
    assert violations(plans, res) == []


@settings(max_examples=100, deadline=None)
@given(scenarios())
def test_the_same_input_gives_the_same_plan(scenario: tuple[Resources, list[PlanRequest]]) -> None:
    res, requests = scenario
    taken: list[Booking] = []
    for req in requests:
        first = plan_course(req, res, taken)
        assert plan_course(req, res, list(reversed(taken))) == first
        if isinstance(first, Plan):
            taken += bookings_of(first, req)


def test_the_checker_finds_a_double_booked_teacher() -> None:
    # The property is only as good as its checker: the same plan twice must be caught.
    res = resources()
    req = request()
    plan = planned(plan_course(req, res, []))
    problems = violations([(req, plan), (request("c2"), plan)], res)
    assert any("double-booked" in p for p in problems)
    assert any("room" in p for p in problems)


# --- why a group cannot be planned ------------------------------------------------------------------


def test_no_qualified_teacher_when_the_only_one_has_no_time() -> None:
    res = resources(teachers=[teacher("anna", DIGI), teacher("bart", KLIK, days=[])])
    outcome = plan_course(request(), res, [])
    assert isinstance(outcome, Unschedulable)
    assert outcome.code == "no-qualified-teacher"
    assert "docent" in outcome.reason and "Klik & Tik" in outcome.reason


def test_no_qualified_teacher_when_the_only_one_is_booked_full() -> None:
    res = resources(teachers=[teacher("bart", KLIK)], horizon_weeks=2)
    full = [
        booking(f"other-{n}", MONDAY + timedelta(days=n), "08:00", "18:00", teacher_id="bart")
        for n in range(7 * 8)
    ]
    outcome = plan_course(request(), res, full)
    assert isinstance(outcome, Unschedulable)
    assert outcome.code == "no-qualified-teacher"
    # And free again, the same group is planned: the bookings were what stood in the way.
    assert isinstance(plan_course(request(), res, []), Plan)


def test_no_qualified_teacher_when_nobody_may_give_the_course() -> None:
    outcome = plan_course(request(course_type=DIGI), resources(teachers=[teacher("bart", KLIK)]), [])
    assert isinstance(outcome, Unschedulable)
    assert outcome.code == "no-qualified-teacher"
    assert "Digisterker" in outcome.reason


def test_no_ipads_when_the_pool_is_too_small_for_the_group() -> None:
    res = resources(places=[CENTRE], ipads=4)
    outcome = plan_course(request(participants=5), res, [])
    assert isinstance(outcome, Unschedulable)
    assert outcome.code == "no-ipads"
    assert "iPads" in outcome.reason and "5 deelnemers" in outcome.reason
    assert isinstance(plan_course(request(participants=4), res, []), Plan)


def test_no_ipads_when_they_are_in_use_elsewhere() -> None:
    res = resources(places=[CENTRE], ipads=8, horizon_weeks=2)
    elsewhere = [
        booking(f"o{n}", MONDAY + timedelta(days=n), "07:00", "19:00", ipads=4) for n in range(7 * 8)
    ]
    outcome = plan_course(request(participants=5), res, elsewhere)
    assert isinstance(outcome, Unschedulable)
    assert outcome.code == "no-ipads"
    assert isinstance(plan_course(request(participants=4), res, elsewhere), Plan)


def test_ipads_packed_up_elsewhere_can_be_set_up_here_from_that_minute() -> None:
    res = resources(places=[CENTRE], ipads=5)
    packed_up_at_nine = [booking("o", MONDAY, "07:00", "09:00", ipads=5)]
    plan = planned(plan_course(request(), res, packed_up_at_nine))
    assert local(plan.sessions[0].busy_from) == datetime.combine(MONDAY, time(9, 0), tzinfo=AMSTERDAM)
    overlapping = [booking("o", MONDAY, "07:00", "09:01", ipads=1)]
    later = planned(plan_course(request(), res, overlapping))
    assert local(later.sessions[0].busy_from) == datetime.combine(MONDAY, time(9, 30), tzinfo=AMSTERDAM)


def test_ipads_handed_on_within_a_session_count_once() -> None:
    # 3 iPads until ten, 3 others from ten: never more than 3 in use, so 5 more fit in 8.
    res = resources(places=[CENTRE], ipads=8)
    handed_on = [
        booking("a", MONDAY, "09:00", "10:00", ipads=3),
        booking("b", MONDAY, "10:00", "12:30", ipads=3),
    ]
    plan = planned(plan_course(request(), res, handed_on))
    assert local(plan.sessions[0].busy_from) == datetime.combine(MONDAY, time(9, 0), tzinfo=AMSTERDAM)


def test_ipads_are_out_of_the_library_while_they_are_carried() -> None:
    # Packed up elsewhere at nine, back at the library at 9:20, at the centre 15 minutes later.
    res = resources(
        places=[CENTRE],
        ipads=5,
        ipads_kept_at="bieb",
        travel_minutes={frozenset({"bieb", "elders"}): 20, frozenset({"bieb", "wijk"}): 15},
    )
    packed_up_at_nine = [booking("o", MONDAY, "07:00", "09:00", ipads=5)]
    plan = planned(plan_course(request(), res, packed_up_at_nine))
    # Set-up from 9:35 at the earliest; start times are every half hour from 9:45.
    assert local(plan.sessions[0].busy_from) == datetime.combine(MONDAY, time(10, 0), tzinfo=AMSTERDAM)
    assert violations([(request(), plan)], res, packed_up_at_nine) == []
    # The checker counts the journeys too: the plan without them breaks the pool.
    without = planned(plan_course(request(), replace(res, ipads_kept_at=None), packed_up_at_nine))
    assert any("iPads in use" in v for v in violations([(request(), without)], res, packed_up_at_nine))


def at_the_centre_after(ending_at: str, place_id: str, **travel: object) -> datetime:
    """When Anna, busy until `ending_at` at `place_id`, can set up at the centre."""
    res = replace(resources(places=[CENTRE]), **travel)  # type: ignore[arg-type]
    before = [booking("o", MONDAY, "07:00", ending_at, teacher_id="anna", place_id=place_id)]
    plan = planned(plan_course(request(), res, before))
    assert violations([(request(), plan)], res, before) == []
    return local(plan.sessions[0].busy_from)


def test_a_teacher_travels_between_places_before_setting_up() -> None:
    ten = datetime.combine(MONDAY, time(10, 0), tzinfo=AMSTERDAM)
    assert at_the_centre_after("10:00", "elders") == ten  # no travel time in the file
    assert at_the_centre_after("10:00", "elders", travel_default_minutes=30) == ten + timedelta(minutes=30)
    pair = {frozenset({"elders", "wijk"}): 60}
    assert at_the_centre_after(
        "10:00", "elders", travel_default_minutes=30, travel_minutes=pair
    ) == ten + timedelta(hours=1)
    assert at_the_centre_after("10:00", "wijk", travel_default_minutes=30) == ten  # the same place


def test_the_checker_finds_a_teacher_with_no_time_to_travel() -> None:
    res = resources(places=[CENTRE], travel_default_minutes=30)
    before = [booking("o", MONDAY, "07:00", "10:00", teacher_id="anna")]
    plan = planned(plan_course(request(), replace(res, travel_default_minutes=0), before))
    assert any("cannot travel in time" in v for v in violations([(request(), plan)], res, before))


def test_a_library_session_needs_no_ipads_from_the_pool() -> None:
    plan = planned(plan_course(request(), resources(places=[LIBRARY], ipads=0), []))
    assert {s.ipads for s in plan.sessions} == {0}


def test_weekly_limit_when_the_partner_has_its_courses_every_week() -> None:
    res = resources(horizon_weeks=2)
    # Two Klik & Tik courses for Promen in each of the weeks the group could have.
    others = [
        booking(course, MONDAY + timedelta(weeks=n), "09:00", "10:00", teacher_id="x", partners=["promen"])
        for n in range(10)
        for course in ("k1", "k2")
    ]
    outcome = plan_course(request(), res, others)
    assert isinstance(outcome, Unschedulable)
    assert outcome.code == "weekly-limit"
    assert "2 Klik & Tik-cursussen per week" in outcome.reason
    # Other partners and the other course type have their own limits.
    assert isinstance(plan_course(request(partner_ids=frozenset({"gemeente"})), res, others), Plan)
    assert isinstance(plan_course(request(course_type=DIGI), res, others), Plan)


def test_the_weekly_limit_counts_courses_not_sessions() -> None:
    res = resources(weekly_limits={KLIK: 2})
    # One other course, with a catch-up session in the same week as a regular one.
    one_other = [
        booking(
            "k1",
            MONDAY + timedelta(weeks=n, days=extra),
            "09:00",
            "10:00",
            teacher_id="x",
            partners=["promen"],
        )
        for n in range(10)
        for extra in (0, 2)
    ]
    plan = planned(plan_course(request(), res, one_other))
    assert local(plan.sessions[0].start).date() == MONDAY


def test_no_volunteer_when_none_has_time() -> None:
    res = resources(volunteers=[volunteer("vera", days=[6])])
    outcome = plan_course(request(), res, [])
    assert isinstance(outcome, Unschedulable)
    assert outcome.code == "no-volunteer"
    assert "vrijwilliger" in outcome.reason


def test_no_free_slot_when_the_rooms_are_taken() -> None:
    res = resources(horizon_weeks=2)
    rooms_full = [
        booking(f"o{n}", MONDAY + timedelta(days=n), "07:00", "19:00", place_id="bieb", room_id="bieb-r1")
        for n in range(7 * 8)
    ]
    outcome = plan_course(request(), res, rooms_full)
    assert isinstance(outcome, Unschedulable)
    assert outcome.code == "no-free-slot"


# --- preferences ------------------------------------------------------------------------------------


def test_the_preferred_place_is_chosen_when_free() -> None:
    res = resources(places=[LIBRARY, CENTRE])
    assert {s.place_id for s in planned(plan_course(request(), res, [])).sessions} == {"bieb"}
    chosen = planned(plan_course(request(preferred_places=("wijk",)), res, []))
    assert {s.place_id for s in chosen.sessions} == {"wijk"}
    # By name too, and unknown wishes are passed over.
    by_name = planned(plan_course(request(preferred_places=("Nergens", "plaats WIJK")), res, []))
    assert {s.place_id for s in by_name.sessions} == {"wijk"}


def test_a_place_is_found_by_part_of_its_name_when_nothing_matches_exactly() -> None:
    library = replace(LIBRARY, id="chocoladefabriek", name="Bibliotheek Gouda, De Chocoladefabriek")
    centre = replace(CENTRE, name="Wijkgebouw Goverwelle")
    res = resources(places=[centre, library])
    plan = planned(plan_course(request(preferred_places=("De Chocoladefabriek",)), res, []))
    assert {s.place_id for s in plan.sessions} == {"chocoladefabriek"}
    # An exact id wins over a part of another name, even of a place listed first.
    other = replace(LIBRARY, id="bibliotheek", name="Bibliotheek Waddinxveen")
    exact = planned(
        plan_course(request(preferred_places=("Bibliotheek",)), resources(places=[library, other]), [])
    )
    assert {s.place_id for s in exact.sessions} == {"bibliotheek"}


def test_a_busy_preferred_place_gives_way_to_another_in_the_same_week() -> None:
    res = resources(places=[LIBRARY, CENTRE], horizon_weeks=4)
    centre_full = [
        booking(f"o{n}", MONDAY + timedelta(days=n), "07:00", "19:00", place_id="wijk", room_id="wijk-r1")
        for n in range(7 * 10)
    ]
    plan = planned(plan_course(request(preferred_places=("wijk",)), res, centre_full))
    assert {s.place_id for s in plan.sessions} == {"bieb"}
    assert local(plan.sessions[0].start).date() == MONDAY


def test_a_preferred_place_later_in_the_week_beats_another_place_today() -> None:
    centre = place("wijk", bring_ipads=True, days=[3])
    plan = planned(plan_course(request(preferred_places=("wijk",)), resources(places=[LIBRARY, centre]), []))
    assert local(plan.sessions[0].start).date() == MONDAY + timedelta(days=2)
    assert plan.sessions[0].place_id == "wijk"


def test_only_allowed_places_are_used() -> None:
    res = resources(places=[LIBRARY, CENTRE])
    plan = planned(plan_course(request(allowed_places=("wijk",)), res, []))
    assert {s.place_id for s in plan.sessions} == {"wijk"}


def test_the_same_teacher_and_time_every_week_when_possible() -> None:
    res = resources(teachers=[teacher("anna"), teacher("bart")])
    # Anna, first by id, is busy on the third Monday morning only.
    busy = [booking("o", MONDAY + timedelta(weeks=2), "09:00", "12:00", teacher_id="anna")]
    plan = planned(plan_course(request(), res, busy))
    assert [s.teacher_id for s in plan.sessions] == ["bart"] * 5
    assert {(local(s.start).isoweekday(), local(s.start).time()) for s in plan.sessions} == {(1, time(9, 0))}
    assert len({s.room_id for s in plan.sessions}) == 1
    assert [local(s.start).date() for s in plan.sessions] == [MONDAY + timedelta(weeks=n) for n in range(5)]


def test_a_stand_in_covers_a_week_when_nobody_is_free_every_week() -> None:
    # One possible time a week; each volunteer misses a different week.
    res = resources(
        places=[place("bieb", days=[1])],
        volunteers=[volunteer("vera", days=[1], periods=["09:00-11:00"]), volunteer("wim", days=[1])],
        teachers=[teacher("anna", days=[1], periods=["09:00-11:00"])],
    )
    busy = [
        booking("o", MONDAY + timedelta(weeks=1), "08:00", "12:00", teacher_id="x", volunteer_ids=["vera"])
    ]
    busy += [
        booking("p", MONDAY + timedelta(weeks=3), "08:00", "12:00", teacher_id="y", volunteer_ids=["wim"])
    ]
    plan = planned(plan_course(request(), res, busy))
    assert [s.volunteer_ids for s in plan.sessions] == [("vera",), ("wim",), ("vera",), ("vera",), ("vera",)]
    assert {s.teacher_id for s in plan.sessions} == {"anna"}


def test_the_preferred_teacher_is_kept() -> None:
    res = resources(teachers=[teacher("anna"), teacher("bart")])
    assert {s.teacher_id for s in planned(plan_course(request(), res, [])).sessions} == {"anna"}
    kept = planned(plan_course(request(preferred_teacher_id="bart"), res, []))
    assert {s.teacher_id for s in kept.sessions} == {"bart"}


def test_a_digisterker_course_gets_a_certified_teacher() -> None:
    res = resources(teachers=[teacher("anna", KLIK), teacher("bart", DIGI)])
    plan = planned(plan_course(request(course_type=DIGI), res, []))
    assert {s.teacher_id for s in plan.sessions} == {"bart"}


def test_the_earliest_start_wins() -> None:
    wednesday = MONDAY + timedelta(days=2)
    plan = planned(plan_course(request(earliest=wednesday), resources(), []))
    assert local(plan.sessions[0].start) == datetime.combine(wednesday, time(9, 0), tzinfo=AMSTERDAM)


def test_set_up_and_packing_up_surround_a_session_outside_the_library() -> None:
    plan = planned(plan_course(request(), resources(places=[CENTRE]), []))
    first = plan.sessions[0]
    assert local(first.busy_from).time() == time(9, 0)
    assert local(first.start).time() == time(9, 45)
    assert local(first.end).time() == time(11, 45)
    assert local(first.busy_until).time() == time(12, 30)
    assert first.ipads == 5


# --- the calendar -----------------------------------------------------------------------------------


def test_a_holiday_week_is_skipped_and_the_course_spans_six_weeks() -> None:
    kings_day = date(2026, 4, 27)  # a Monday
    res = resources(places=[place("bieb", days=[1])], closed_days=frozenset({kings_day}))
    plan = planned(plan_course(request(earliest=date(2026, 4, 20)), res, []))
    days = [local(s.start).date() for s in plan.sessions]
    assert days == [
        date(2026, 4, 20),
        date(2026, 5, 4),
        date(2026, 5, 11),
        date(2026, 5, 18),
        date(2026, 5, 25),
    ]
    assert {local(s.start).time() for s in plan.sessions} == {time(9, 0)}


def test_a_closed_first_day_is_not_a_start() -> None:
    res = resources(closed_days=frozenset({MONDAY}))
    plan = planned(plan_course(request(), res, []))
    assert local(plan.sessions[0].start).date() == MONDAY + timedelta(days=1)


def test_a_closure_of_one_place_sends_the_course_elsewhere_or_later() -> None:
    res = resources(places=[CENTRE, LIBRARY], closures=(Closure(MONDAY, None, frozenset({"wijk"})),))
    plan = planned(plan_course(request(), res, []))
    assert {s.place_id for s in plan.sessions} == {"bieb"}
    ended = replace(res, closures=(Closure(MONDAY, MONDAY + timedelta(days=6)),), places=(CENTRE,))
    later = planned(plan_course(request(), ended, []))
    assert local(later.sessions[0].start).date() == MONDAY + timedelta(weeks=1)


def test_sessions_keep_their_local_time_across_the_change_to_summer_time() -> None:
    plan = planned(plan_course(request(earliest=date(2026, 3, 23)), resources(), []))
    assert [local(s.start).time() for s in plan.sessions] == [time(9, 0)] * 5
    assert all(s.end.astimezone(UTC) - s.start.astimezone(UTC) == timedelta(hours=2) for s in plan.sessions)


def test_resuming_plans_the_remaining_sessions_with_their_numbers() -> None:
    held = [booking("c1", MONDAY - timedelta(weeks=n), "09:00", "11:00", teacher_id="anna") for n in (1, 2)]
    plan = planned(
        plan_course(
            request(sessions=3, first_number=3, earliest=MONDAY - timedelta(days=3)), resources(), held
        )
    )
    assert [s.number for s in plan.sessions] == [3, 4, 5]
    # Not in the week the course already had its second session.
    assert local(plan.sessions[0].start).date() == MONDAY


def test_no_session_is_planned_before_earliest() -> None:
    friday = MONDAY + timedelta(days=4)
    plan = planned(plan_course(request(earliest=friday), resources(), []))
    assert local(plan.sessions[0].start).date() == friday
    assert all(local(s.start).date() >= friday for s in plan.sessions)


def test_nothing_to_plan_gives_an_empty_plan() -> None:
    assert plan_course(request(sessions=0), resources(), []) == Plan(())


def test_planned_sessions_have_the_types_the_service_stores() -> None:
    session = planned(plan_course(request(), resources(), [])).sessions[0]
    assert isinstance(session, PlannedSession)
    assert session.start.tzinfo is not None and session.busy_from.tzinfo is not None
