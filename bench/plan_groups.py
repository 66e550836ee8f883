"""Planning benchmark: 200 groups over 20 locations, 30 teachers and a 50-iPad pool, one at a time.

Not a test: it prints how long planning takes and how well it does. Run from the repository root:

    .venv/bin/python bench/plan_groups.py [--groups 200] [--seed 2026]

Everything is generated from the seed, so a run is repeatable. Groups fill over 20 weeks (their
`earliest` day is the day they fill) and are planned in that order, each plan's sessions booked
before the next group is planned, as the scheduling service does.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time as clock
from collections import Counter
from dataclasses import dataclass
from datetime import date, time, timedelta
from zoneinfo import ZoneInfo

from scheduling.adapters.resources import public_holidays
from scheduling.domain.planner import (
    Booking,
    Hours,
    Person,
    Place,
    Plan,
    PlanRequest,
    Resources,
    Room,
    Unschedulable,
    plan_course,
)

ZONE = ZoneInfo("Europe/Amsterdam")
FIRST_FILL = date(2026, 3, 2)
COURSE_TYPES = ("klik-en-tik", "digisterker")
MORNING: Hours = (time(9, 0), time(12, 30))
AFTERNOON: Hours = (time(13, 0), time(17, 0))
DAY: Hours = (time(9, 0), time(17, 0))


def opening(rng: random.Random, days: range, hours: tuple[Hours, ...]) -> dict[int, tuple[Hours, ...]]:
    return {day: hours for day in days if rng.random() < 0.9}


def places(rng: random.Random) -> tuple[Place, ...]:
    """2 library buildings, 12 neighbourhood centres, 6 partner sites."""
    made: list[Place] = []
    for n in range(2):
        rooms = tuple(Room(f"bieb{n}-lokaal{m}", f"Lokaal {m}") for m in range(1, 3))
        made.append(
            Place(
                f"bieb-{n}",
                f"Bibliotheek {n}",
                "Voorbeeldstraat 1, Gouda",
                rooms,
                opening(rng, range(1, 7), (DAY,)),
                False,
            )
        )
    for n in range(12):
        rooms = tuple(Room(f"wijk{n}-zaal{m}", f"Zaal {m}") for m in range(1, rng.choice((1, 1, 2)) + 1))
        hours: tuple[Hours, ...] = rng.choice(((DAY,), (MORNING, AFTERNOON), ((time(8, 30), time(17, 30)),)))
        made.append(
            Place(
                f"wijk-{n}",
                f"Wijkgebouw {n}",
                "Voorbeeldplein 2, Gouda",
                rooms,
                opening(rng, range(1, 6), hours),
                True,
            )
        )
    for n in range(6):
        rooms = (Room(f"partner{n}-kantine", "Kantine"),)
        site_hours = opening(rng, range(1, 6), ((time(8, 0), time(16, 30)),))
        made.append(
            Place(f"partner-{n}", f"Werklocatie {n}", "Voorbeeldweg 3, Gouda", rooms, site_hours, True)
        )
    return tuple(made)


def availability(rng: random.Random, half_days: int) -> dict[int, tuple[Hours, ...]]:
    slots = [(day, part) for day in range(1, 6) for part in (MORNING, AFTERNOON)]
    chosen: dict[int, list[Hours]] = {}
    for day, part in sorted(rng.sample(slots, half_days)):
        chosen.setdefault(day, []).append(part)
    return {day: tuple(parts) for day, parts in chosen.items()}


def people(rng: random.Random) -> tuple[tuple[Person, ...], tuple[Person, ...]]:
    teachers = tuple(
        Person(
            f"docent-{n:02}",
            f"Docent {n}",
            f"docent{n}@bibliotheekgouda.example",
            availability(rng, rng.randint(3, 6)),
            frozenset(rng.choice((COURSE_TYPES, COURSE_TYPES, ("klik-en-tik",), ("digisterker",)))),
        )
        for n in range(30)
    )
    volunteers = tuple(
        Person(
            f"vrijwilliger-{n:02}",
            f"Vrijwilliger {n}",
            f"vw{n}@bibliotheekgouda.example",
            availability(rng, rng.randint(2, 4)),
        )
        for n in range(40)
    )
    return teachers, volunteers


@dataclass(frozen=True)
class Group:
    request: PlanRequest
    filled: date


def groups(
    rng: random.Random, count: int, all_places: tuple[Place, ...], partner_count: int, fill_weeks: int
) -> list[Group]:
    partners = [f"partner-{n}" for n in range(partner_count)]
    centres = [p.id for p in all_places if p.id.startswith("wijk")]
    made = []
    for n in range(count):
        partner = rng.choice(partners)
        filled = FIRST_FILL + timedelta(days=rng.randrange(fill_weeks * 7))
        site = f"partner-{partners.index(partner)}" if partners.index(partner) < 6 else None
        wishes = [site] if site and rng.random() < 0.6 else []
        wishes += rng.sample(centres, rng.randint(0, 2))
        request = PlanRequest(
            course_id=f"course-{n:03}",
            course_type=rng.choice(COURSE_TYPES),
            participants=rng.randint(3, 5),
            partner_ids=frozenset({partner}),
            earliest=filled,
            sessions=5,
            preferred_places=tuple(wishes),
        )
        made.append(Group(request, filled))
    return sorted(made, key=lambda g: (g.filled, g.request.course_id))


def booked(plan: Plan, request: PlanRequest) -> list[Booking]:
    return [
        Booking(
            request.course_id,
            request.course_type,
            request.partner_ids,
            s.place_id,
            s.room_id,
            s.teacher_id,
            frozenset(s.volunteer_ids),
            s.ipads,
            s.start,
            s.end,
            s.busy_from,
            s.busy_until,
        )
        for s in plan.sessions
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", type=int, default=200)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--partners", type=int, default=10, help="partners the groups come from (6 have a site)"
    )
    parser.add_argument("--fill-weeks", type=int, default=20, help="weeks over which the groups fill")
    parser.add_argument("--no-limits", action="store_true", help="leave out the weekly limits per partner")
    args = parser.parse_args()

    rng = random.Random(args.seed)  # noqa: S311 - repeatable test data, not a secret
    all_places = places(rng)
    teachers, volunteers = people(rng)
    resources = Resources(
        places=all_places,
        teachers=teachers,
        volunteers=volunteers,
        ipads=50,
        zone=ZONE,
        weekly_limits={} if args.no_limits else {"klik-en-tik": 2, "digisterker": 2},
        closed_days=public_holidays([2026, 2027]),
    )
    to_plan = groups(rng, args.groups, all_places, args.partners, args.fill_weeks)

    bookings: list[Booking] = []
    timings: list[float] = []
    timings_unschedulable: list[float] = []
    within_two_weeks = 0
    waits: list[int] = []
    preferred = same_teacher = 0
    reasons: Counter[str] = Counter()
    started = clock.perf_counter()
    for group in to_plan:
        t0 = clock.perf_counter()
        outcome = plan_course(group.request, resources, bookings)
        elapsed = clock.perf_counter() - t0
        timings.append(elapsed)
        if isinstance(outcome, Unschedulable):
            reasons[outcome.code] += 1
            timings_unschedulable.append(elapsed)
            continue
        bookings += booked(outcome, group.request)
        wait = (outcome.sessions[0].start.date() - group.filled).days
        waits.append(wait)
        within_two_weeks += wait < 14
        preferred += outcome.sessions[0].place_id in group.request.preferred_places
        same_teacher += len({s.teacher_id for s in outcome.sessions}) == 1
    total = clock.perf_counter() - started

    planned = len(waits)
    with_wishes = sum(bool(g.request.preferred_places) for g in to_plan)
    print(
        f"groups: {len(to_plan)}, places: {len(all_places)}, teachers: {len(teachers)}, "
        f"volunteers: {len(volunteers)}, iPads: {resources.ipads}, seed: {args.seed}"
    )
    print(f"partners: {args.partners}, filling over {args.fill_weeks} weeks, "
          f"weekly limits: {dict(resources.weekly_limits) or 'none'}")  # fmt: skip
    print(f"total time: {total:.2f} s; per group: mean {statistics.mean(timings) * 1000:.1f} ms, "
          f"max {max(timings) * 1000:.1f} ms")  # fmt: skip
    if timings_unschedulable:
        mean_unschedulable = statistics.mean(timings_unschedulable) * 1000
        print(f"  unschedulable groups (the reason search included): mean {mean_unschedulable:.1f} ms")
    print(f"planned: {planned}; first session within two weeks (14 days) of filling: {within_two_weeks}")
    if waits:
        print(
            f"  days from filling to first session: median {statistics.median(waits):.0f}, max {max(waits)}"
        )
    print(f"  at a preferred place: {preferred} (of {with_wishes} groups with a wish); ", end="")
    print(f"same teacher all weeks: {same_teacher}")
    print("unschedulable: " + (", ".join(f"{code} {n}" for code, n in sorted(reasons.items())) or "none"))


if __name__ == "__main__":
    main()
