"""Measures as closures for the planner, the iPad check for a changed group, and a plan as it was
for the planner to check again, without I/O."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from scheduling.domain.model import (
    CourseSession,
    Measure,
    as_planned,
    cancellation_refusal,
    ipads_fit,
    with_measures,
)
from scheduling.domain.planner import Booking, Person, Place, Resources, Room
from taalhuis_shared.events import Session

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
OPEN = {day: ((time(9), time(17)),) for day in range(1, 6)}
LIBRARY = Place("bieb", "Bibliotheek Gouda", "Klein Amerika 20", (Room("1", "Lokaal 1"),), OPEN, False)
CENTRE = Place("wijk", "Wijkgebouw Korte Akkeren", "Voorbeeldstraat 10", (Room("z", "Zaal"),), OPEN, True)
RESOURCES = Resources(places=(LIBRARY, CENTRE), teachers=(), volunteers=(), ipads=10, zone=AMSTERDAM)


def measure(**changes: object) -> Measure:
    fields: dict[str, object] = {
        "id": "m",
        "from_date": date(2027, 3, 1),
        "until_date": None,
        "locations": (),
        "reason": "x",
    }
    fields.update(changes)
    return Measure(**fields)  # type: ignore[arg-type]


def test_a_measure_stops_sessions_until_its_end_or_the_day_before_it_is_lifted() -> None:
    assert measure().last_day is None
    assert measure(until_date=date(2027, 3, 31)).last_day == date(2027, 3, 31)
    assert measure(lifted_from=date(2027, 3, 15)).last_day == date(2027, 3, 14)
    assert measure(until_date=date(2027, 3, 10), lifted_from=date(2027, 3, 15)).last_day == date(2027, 3, 10)


def test_a_measure_closes_its_places_named_by_id_or_name_and_all_when_none_are_named() -> None:
    [closure] = with_measures(RESOURCES, [measure(locations=("Wijkgebouw Korte Akkeren",))]).closures
    assert closure.closes("wijk", date(2027, 3, 1)) and not closure.closes("bieb", date(2027, 3, 1))
    [closure] = with_measures(RESOURCES, [measure()]).closures
    assert closure.closes("bieb", date(2030, 1, 1))
    # Lifted on the day it began: it closes nothing.
    assert with_measures(RESOURCES, [measure(lifted_from=date(2027, 3, 1))]).closures == ()


def at(hour: int) -> datetime:
    return datetime(2027, 3, 8, hour, tzinfo=AMSTERDAM)


def booking(start: int, end: int, ipads: int) -> Booking:
    return Booking(
        "other",
        "klik-en-tik",
        frozenset(),
        "p",
        "r",
        "t",
        frozenset(),
        ipads,
        at(start),
        at(end),
        at(start),
        at(end),
    )


def session(start: int, end: int) -> CourseSession:
    announced = Session(number=1, start=at(start), end=at(end))
    return CourseSession(
        "s",
        "c",
        1,
        "planned",
        "wijk",
        "z",
        "t",
        frozenset(),
        4,
        at(start),
        at(end),
        at(start),
        at(end),
        0,
        None,
        None,
        announced,
    )


def test_ipads_fit_beside_what_others_hold_at_the_busiest_moment() -> None:
    others = [booking(9, 11, 3), booking(10, 12, 3), booking(12, 14, 9)]
    # 9-12 overlaps the first two, which hold 6 together from 10; the third starts when it ends.
    assert ipads_fit(session(9, 12), 4, others, pool=10)
    assert not ipads_fit(session(9, 12), 5, others, pool=10)
    assert not ipads_fit(session(11, 13), 2, others, pool=10)  # 9 in use from noon
    assert ipads_fit(session(14, 16), 10, others, pool=10)


def test_a_cancellation_is_refused_for_an_unknown_cancelled_or_begun_session_and_says_why_in_dutch() -> None:
    planned = session(10, 12)
    assert cancellation_refusal(planned, at(9)) is None
    refusals = {
        "unknown-session": cancellation_refusal(None, at(9)),
        "already-cancelled": cancellation_refusal(replace(planned, status="cancelled"), at(9)),
        "in-the-past": cancellation_refusal(planned, at(10)),
    }
    for code, refusal in refusals.items():
        assert refusal is not None and refusal.code == code
        assert refusal.reason and refusal.reason_en and refusal.reason != refusal.reason_en
    held = cancellation_refusal(replace(planned, status="held"), at(9))
    assert held is not None and held.code == "in-the-past"


def test_ipads_on_their_way_to_and_from_the_library_are_out_of_the_pool() -> None:
    others = [replace(booking(7, 10, 6), place_id="wijk")]  # back at the library at 10:30
    assert ipads_fit(session(10, 12), 4, others, pool=10)  # 6 + 4
    assert ipads_fit(session(11, 13), 10, others, pool=10, journey=lambda place_id: 30)
    assert not ipads_fit(session(10, 12), 5, others, pool=10, journey=lambda place_id: 30)


def test_the_resources_of_a_plan_as_it_was_are_its_place_room_time_and_people() -> None:
    teacher = Person("t", "T", "t@x.example", {1: ((time(9), time(17)),)}, frozenset({"klik-en-tik"}))
    resources = replace(RESOURCES, teachers=(teacher,), setup_minutes=45, session_minutes=120)
    weekly = [replace(session(10, 12), busy_from=at(10)) for _ in range(2)]
    weekly[1] = replace(weekly[1], start=weekly[0].start + timedelta(weeks=1))
    narrowed = as_planned(resources, weekly)
    assert narrowed is not None
    [centre] = narrowed.places
    # Open on Mondays only from set-up to packing up: the one start time is the old one.
    assert (centre.id, centre.rooms, dict(centre.opening_hours)) == (
        "wijk",
        CENTRE.rooms,
        {1: ((time(9, 15), time(12, 45)),)},
    )
    assert narrowed.teachers == (teacher,)
    # Another time in one week, or the old time no longer within the opening hours: no such plan.
    assert (
        as_planned(resources, [weekly[0], replace(weekly[1], start=weekly[1].start + timedelta(hours=1))])
        is None
    )
    late = replace(weekly[0], start=at(15))
    assert as_planned(resources, [late]) is None  # 14:15-17:45 runs past closing
