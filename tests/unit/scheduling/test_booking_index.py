"""The booking index: planning with an index kept up to date gives the same plans as from a list."""

from __future__ import annotations

import hashlib
import random
from dataclasses import replace
from datetime import timedelta

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from scheduling.domain.planner import (
    Booking,
    BookingIndex,
    Plan,
    PlanRequest,
    Resources,
    Unschedulable,
    days_searched,
    plan_course,
)
from tests.unit.scheduling.test_planner import (
    AMSTERDAM,
    DIGI,
    KLIK,
    MONDAY,
    bookings_of,
    place,
    request,
    resources,
    scenarios,
    teacher,
    volunteer,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_an_index_kept_up_to_date_plans_as_the_list_does(
    scenario: tuple[Resources, list[PlanRequest]],
) -> None:
    res, requests = scenario
    taken: list[Booking] = []
    index = BookingIndex(res.zone)
    for req in requests:
        outcome = plan_course(req, res, index)
        assert outcome == plan_course(req, res, taken)
        if isinstance(outcome, Plan):
            for booking in bookings_of(outcome, req):
                taken.append(booking)
                index.add(booking)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_bookings_outside_the_days_searched_change_nothing(
    scenario: tuple[Resources, list[PlanRequest]],
) -> None:
    res, requests = scenario
    res = replace(res, horizon_weeks=2)  # a short horizon, so that bookings fall outside
    taken: list[Booking] = []
    for req in requests:
        first, last = days_searched(req, res)
        near = [
            b
            for b in taken
            if first <= b.busy_until.astimezone(res.zone).date()
            and b.busy_from.astimezone(res.zone).date() <= last
        ]
        event("bookings left out" if len(near) < len(taken) else "none left out")
        outcome = plan_course(req, res, taken)
        assert plan_course(req, res, near) == outcome
        if isinstance(outcome, Plan):
            assert all(first <= s.start.date() <= last for s in outcome.sessions)
            taken += bookings_of(outcome, req)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(), st.randoms(use_true_random=False))
def test_the_rooms_taken_stay_right_as_courses_are_planned_and_cancelled(
    scenario: tuple[Resources, list[PlanRequest]], rng: random.Random
) -> None:
    """What the index keeps of the rooms taken per place, date and interval is what a new index of
    the same bookings answers, after sessions were cancelled (one) or stopped (a whole course)."""
    res, requests = scenario
    index = BookingIndex(res.zone)
    courses: list[list[Booking]] = []
    for n, req in enumerate(requests):
        outcome = plan_course(req, res, index)
        assert outcome == plan_course(req, res, [b for course in courses for b in course])
        if isinstance(outcome, Plan):
            courses.append(bookings_of(outcome, req))
            for booking in courses[-1]:
                index.add(booking)
        courses = [course for course in courses if course]
        if courses and n % 3 == 2:
            course = courses[rng.randrange(len(courses))]
            gone = [course.pop(rng.randrange(len(course)))] if rng.random() < 0.5 else course[:]
            event("one session cancelled" if len(gone) == 1 else "a course stopped")
            for booking in gone:
                index.remove(booking)
                if booking in course:
                    course.remove(booking)
    fresh = BookingIndex(res.zone, [b for course in courses for b in course])
    asked = [
        (key, interval, taken)
        for key, known in index._rooms_taken.items()
        for interval, taken in known.items()
    ]
    event("rooms asked for" if asked else "no rooms asked for")
    for (place_id, day), interval, taken in asked:
        assert taken == fresh.rooms_taken(place_id, day, interval)


def test_a_booking_of_a_planned_session_holds_what_the_session_holds() -> None:
    req = request("c1")
    plan = plan_course(req, resources(places=[place("wijk", bring_ipads=True)]), [])
    assert isinstance(plan, Plan)
    made = [Booking.of(req.course_id, req.course_type, req.partner_ids, s) for s in plan.sessions]
    assert made == bookings_of(plan, req)


def test_a_removed_booking_frees_what_it_took() -> None:
    res = resources(places=[place("wijk", bring_ipads=True)])
    index = BookingIndex(AMSTERDAM)
    alone = plan_course(request("c1"), res, index)
    assert isinstance(alone, Plan)
    first = bookings_of(alone, request("c1"))
    for booking in first:
        index.add(booking)
    later = plan_course(request("c2"), res, index)
    assert isinstance(later, Plan) and later.sessions[0].start > alone.sessions[0].start
    for booking in first:
        index.remove(booking)
    # The same slot is free again for the next group, and no week or course is left behind.
    again = plan_course(request("c2"), res, index)
    assert isinstance(again, Plan) and again.sessions[0].start == alone.sessions[0].start
    assert not index.weeks["c1"] and not any(index.courses.values())


def test_a_course_in_the_index_is_not_its_own_weekly_limit() -> None:
    res = resources(weekly_limits={KLIK: 1})
    half = plan_course(request("c1", sessions=2), res, [])
    assert isinstance(half, Plan)
    index = BookingIndex(AMSTERDAM, bookings_of(half, request("c1")))
    # Resuming course c1: its own sessions neither count towards the limit nor share a week.
    rest = plan_course(request("c1", sessions=3, first_number=3), res, index)
    assert isinstance(rest, Plan)
    own_weeks = {s.start.isocalendar()[:2] for s in half.sessions}
    assert not own_weeks & {s.start.isocalendar()[:2] for s in rest.sessions}
    from_list = plan_course(request("c1", sessions=3, first_number=3), res, bookings_of(half, request("c1")))
    assert rest == from_list


def generated_outcomes() -> list[Plan | Unschedulable]:
    """120 groups from 4 partners over 10 weeks on 4 places, planned one after another."""
    rng = random.Random(11)  # repeatable test data
    places = [
        place("bieb", rooms=2),
        place("wijk-a", bring_ipads=True),
        place("wijk-b", bring_ipads=True, days=(1, 3, 5)),
        place("partner-0", bring_ipads=True, days=(2, 4)),
    ]
    teachers = [
        teacher(f"docent-{n}", *rng.choice(((KLIK,), (DIGI,), (KLIK, DIGI))),
                days=sorted(rng.sample(range(1, 6), rng.randint(2, 4))),
                periods=rng.choice((("09:00-12:30",), ("13:00-17:00",), ())))
        for n in range(6)
    ]  # fmt: skip
    volunteers = [
        volunteer(f"vw-{n}", days=sorted(rng.sample(range(1, 6), rng.randint(2, 4)))) for n in range(6)
    ]
    res = resources(places=places, teachers=teachers, volunteers=volunteers, ipads=12)
    taken: list[Booking] = []
    outcomes: list[Plan | Unschedulable] = []
    for n in range(120):
        req = request(
            f"c{n:03}",
            course_type=rng.choice((KLIK, DIGI)),
            participants=rng.randint(3, 6),
            partner_ids=frozenset({f"partner-{rng.randrange(4)}"}),
            earliest=MONDAY + timedelta(days=n * 70 // 120),
            preferred_places=tuple(rng.sample([p.id for p in places], rng.randint(0, 2))),
        )
        outcome = plan_course(req, res, taken)
        outcomes.append(outcome)
        if isinstance(outcome, Plan):
            taken += bookings_of(outcome, req)
    return outcomes


# The digest of `generated_outcomes()` with the planner before it had the index (commit f9f941a).
BEFORE_THE_INDEX = "45ca4aea33aa929ff6d82530f4a9670a4010289d6ee98432a8209357ca6af08d"


def test_the_plans_for_a_generated_scenario_are_those_from_before_the_index() -> None:
    outcomes = generated_outcomes()
    assert sum(isinstance(o, Plan) for o in outcomes) > 60  # a scenario that plans most groups
    assert hashlib.sha256(repr(outcomes).encode()).hexdigest() == BEFORE_THE_INDEX
