"""Crowded planner benchmark: many groups that all want the same weeks, planned one after another.

Not a test. Run from the repository root:

    .venv/bin/python bench/planner_crowded.py [--groups 2000] [--check-every 100]

The planner alone, in the shape of `ten_thousand.py`: the resources scheduling gets there
(`system.resources_yaml`: 50 places of 2 rooms open six days 08:00-22:00, a teacher and a
volunteer per 25 groups, at least 20), and every group filling on the same day, so that each
later group searches past the places and times the earlier ones took. Groups are planned with a
`BookingIndex` kept up to date, as the scheduling service does; every `--check-every`th group is
also planned from the list of bookings, and the benchmark stops if the plans differ. It prints the
time per group for each tenth of the groups, the total, a digest of all plans (the same digest
before and after a change to the planner: the same plans) and the load average.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import sys
import time as clock
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent))

from system import resources_yaml

from scheduling.adapters.resources import parse_resources
from scheduling.domain.planner import Booking, BookingIndex, Plan, PlanRequest, plan_course

ZONE = ZoneInfo("Europe/Amsterdam")
FILLED = date(2026, 12, 9)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--groups", type=int, default=2000)
    parser.add_argument("--check-every", type=int, default=100, help="plan every nth group from the list too")
    args = parser.parse_args()
    staff = max(20, args.groups // 25)
    resources = parse_resources(resources_yaml(50, 2, staff, staff), ZONE, FILLED)
    print(f"load average at start: {' '.join(f'{n:.2f}' for n in os.getloadavg())}")
    print(f"groups: {args.groups}, all filling on {FILLED}; {staff} teachers, {staff} volunteers")
    index = BookingIndex(ZONE)
    bookings: list[Booking] = []
    times: list[float] = []
    plans: list[Plan] = []
    for n in range(args.groups):
        request = PlanRequest(
            course_id=f"course-{n}",
            course_type=("klik-en-tik", "digisterker")[n % 2],
            participants=5,
            partner_ids=frozenset({"promen"}),
            earliest=FILLED,
            sessions=resources.sessions_per_course,
        )
        started = clock.perf_counter()
        outcome = plan_course(request, resources, index)
        times.append(clock.perf_counter() - started)
        if n % args.check_every == 0 and plan_course(request, resources, bookings) != outcome:
            raise SystemExit(f"{request.course_id}: the indexed plan differs from the list's")
        if not isinstance(outcome, Plan):
            raise SystemExit(f"{request.course_id}: not planned ({outcome.code})")
        plans.append(outcome)
        for session in outcome.sessions:
            booking = Booking.of(request.course_id, request.course_type, request.partner_ids, session)
            bookings.append(booking)
            index.add(booking)
    tenth = max(1, args.groups // 10)
    print("groups | per group (median / mean)")
    for first in range(0, args.groups, tenth):
        part = [t * 1000 for t in times[first : first + tenth]]
        median, mean = statistics.median(part), statistics.mean(part)
        print(f"{first:>5}-{first + len(part):<5} | {median:6.1f} / {mean:6.1f} ms")
    print(f"total planning time: {sum(times):.1f} s")
    digest = hashlib.sha256(repr([plan.sessions for plan in plans]).encode()).hexdigest()[:16]
    print(f"digest of the plans: {digest}")
    print(f"load average at end: {' '.join(f'{n:.2f}' for n in os.getloadavg())}")


if __name__ == "__main__":
    main()
