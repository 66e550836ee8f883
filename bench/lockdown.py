"""Lockdown benchmark: one measure for every place stops 5,000 planned courses; every mail sent, once.

Not a test. Run from the repository root against the running RabbitMQ and PostgreSQL:

    .venv/bin/python bench/lockdown.py                      # 5,000 courses (25,000 sessions), 50 places
    .venv/bin/python bench/lockdown.py --small              # 1,000 courses
    .venv/bin/python bench/lockdown.py --help               # --courses, --places, --batch-window, ...

Issue 11's target: 5,000 planned courses (25,000 sessions) at 50 places, one measure for all →
every cancellation mail composed and handed to SMTP within 5 minutes, one mail per person.
Planning 5,000 courses through the whole system would take long and is measured elsewhere, so
the run starts scheduling and notifications as processes (which create their schemas), then
seeds their databases directly with their own code: scheduling's repository `add_course` with
sessions announced by the service's `model.announce` from a generated resources file (50
places, a teacher and a volunteer per five courses, the same file scheduling loads), and
notifications' `group_staff` as its handler would have kept it after each CourseScheduled
(`groups.learn`, `group_staff_of`). Each course has five participants from two of
`courses / 25` partners. What is timed starts when the coordinator's MeasuresAnnounced is
published: scheduling cancels every session (SessionCancelled each) and pauses every course
(CoursePaused each), notifications writes the notices, composes one mail per person and hands
it to the SMTP sink in this process. The batch window is the service's default (60 s,
`--batch-window`): the mails of a person are gathered within it, so one mail per person holds
only when all their notices are written within a window of the first. It prints when scheduling
answered (MeasuresApplied), when its events were all out, when notifications had handled them
all, the time to the last mail, the bare broker hop measured in the same run, the peak memory of
each process, and fails unless every person got exactly one mail.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sqlalchemy import insert
from system import BenchSystem, load_average, measure_hop, resources_yaml, wait_until

from notifications.adapters.tables import group_staff
from notifications.domain import groups as known_groups
from notifications.domain.notices import group_staff_of
from scheduling.adapters.repository import SchedulingRepository
from scheduling.adapters.resources import parse_resources
from scheduling.domain import model
from scheduling.domain.planner import PlannedSession, Resources
from taalhuis_shared.events import CourseScheduled, GroupFilled, MeasuresAnnounced, Session, new_event

ZONE = ZoneInfo("Europe/Amsterdam")
COORDINATOR = "coordinator@bibliotheek.example"
FIRST_START = datetime(2027, 3, 1, 9, 30, tzinfo=ZONE)  # a Monday
MEASURE_FROM = date(2027, 3, 1)
CHUNK = 250  # courses per seeding transaction
TAPPED = ["MeasuresApplied", "SessionCancelled", "CoursePaused"]


def course_groups(courses: int, rng: random.Random) -> Iterator[tuple[int, GroupFilled]]:
    """The groups of the planned courses, as enrolment announced them."""
    partners = max(2, courses // 25)
    for n in range(courses):
        pair = rng.sample(range(partners), 2)
        yield (
            n,
            GroupFilled.model_validate(
                {
                    "group_id": f"bench-group-{n}",
                    "course": {"type": rng.choice(["klik-en-tik", "digisterker"]), "level": 1},
                    "language_group": "NT1",
                    "capacity": 5,
                    "participants": [
                        {
                            "referral_id": f"ref-{n}-{k}",
                            "partner_id": f"partner-{pair[k % 2]}",
                            "partner_referral_id": f"p-{n}-{k}",
                            "display_name": f"Deelnemer{k} B.",
                        }
                        for k in range(5)
                    ],
                    "contacts": [
                        {
                            "partner_id": f"partner-{p}",
                            "contact": {"name": f"Contact {p}", "email": f"contact{p}@partner{p}.example"},
                        }
                        for p in pair
                    ],
                }
            ),
        )


def plan(n: int, courses: int, places: int, rng: random.Random) -> list[PlannedSession]:
    """Five weekly sessions: place by number, a random teacher and volunteer, spread over the week."""
    teacher = rng.randrange(max(1, courses // 5))
    volunteer = rng.randrange(max(1, courses // 5))
    start = FIRST_START + timedelta(days=n % 5, hours=2.5 * (n // 5 % 4))
    sessions = []
    for week in range(5):
        begins = start + timedelta(weeks=week)
        sessions.append(
            PlannedSession(
                number=week + 1,
                place_id=f"plek-{n % places}",
                room_id="zaal-1",
                teacher_id=f"docent-{teacher}",
                volunteer_ids=(f"vrijwilliger-{volunteer}",),
                ipads=0,
                start=begins,
                end=begins + timedelta(hours=2),
                busy_from=begins,
                busy_until=begins + timedelta(hours=2),
            )
        )
    return sessions


async def seed(system: BenchSystem, args: argparse.Namespace, resources: Resources) -> set[str]:
    """Planned courses in scheduling's database and their groups in notifications'; who will hear."""
    rng = random.Random(args.seed)  # noqa: S311 - repeatable test data, not a secret
    people = {COORDINATOR}
    courses: list[tuple[str, GroupFilled, list[tuple[PlannedSession, Session]]]] = []
    known_rows: list[dict[str, Any]] = []
    for n, group in course_groups(args.courses, rng):
        course_id = str(uuid.uuid4())
        planned = [(s, model.announce(s, resources, str(uuid.uuid4()), revision=0)) for s in plan(
            n, args.courses, args.places, rng)]  # fmt: skip
        courses.append((course_id, group, planned))
        sessions = [announced for _, announced in planned]
        scheduled = CourseScheduled(
            course_id=course_id,
            group_id=group.group_id,
            course=group.course,
            location=sessions[0].location,
            teacher=sessions[0].teacher,
            sessions=sessions,
            participants=group.participants,
            contacts=group.contacts,
        )
        known = known_groups.learn(known_groups.learn(None, group), scheduled)
        known_rows.append({"group_id": group.group_id, "staff": group_staff_of(scheduled), "known": known})
        people |= {str(p["email"]).casefold() for p in group_staff_of(scheduled)}
        people |= {str(c.contact.email).casefold() for c in group.contacts}
    for start in range(0, len(courses), CHUNK):
        async with system.engine("scheduling").begin() as connection:
            repository = SchedulingRepository(connection)
            for course_id, group, planned in courses[start : start + CHUNK]:
                await repository.add_course(course_id, group, planned, datetime.now(UTC))
        async with system.engine("notifications").begin() as connection:
            await connection.execute(insert(group_staff), known_rows[start : start + CHUNK])
    return people


async def main(args: argparse.Namespace) -> int:
    print(f"load average (1, 5, 15 min) at start: {load_average()}")
    hop = await measure_hop(args.hop_messages)
    print(f"bare broker hop: {hop:.0f} messages/s ({args.hop_messages} messages)", flush=True)
    staff = max(1, args.courses // 5)
    resources_text = resources_yaml(args.places, 1, staff, staff)
    resources = parse_resources(resources_text, ZONE, date.today())
    env = {"BATCH_WINDOW": str(args.batch_window), "COORDINATOR_EMAIL": COORDINATOR}
    async with BenchSystem(env) as system:
        resources_file = system.workdir / "resources.yaml"
        resources_file.write_text(resources_text)
        await system.start("scheduling", args.processes, RESOURCES_FILE=str(resources_file))
        await system.start("notifications", args.processes)
        tap = await system.open_tap(TAPPED)
        seeding = time.perf_counter()
        people = await seed(system, args, resources)
        sessions = await system.scalar("scheduling", "SELECT count(*) FROM sessions WHERE status = 'planned'")
        print(f"seeded {args.courses} courses ({sessions} sessions) at {args.places} places in "
              f"{time.perf_counter() - seeding:.0f} s; {len(people)} people to tell; batch window "
              f"{args.batch_window:.0f} s; {args.processes} process(es) of each service")  # fmt: skip
        print(f"load average (1, 5, 15 min) before the measure: {load_average()}", flush=True)

        assert system.publisher is not None
        measure = new_event(
            MeasuresAnnounced(measure_id="bench-lockdown", from_date=MEASURE_FROM,
                              reason="Coronamaatregelen: alle cursussen stoppen."),
            source="urn:taalhuis:coordinator",
        )  # fmt: skip
        started = time.perf_counter()
        await system.publisher.publish(measure)
        marks: dict[str, float] = {}

        async def progress() -> bool:
            now = time.perf_counter() - started
            if "applied" not in marks and tap.count("MeasuresApplied"):
                marks["applied"] = tap.last("MeasuresApplied") - started
            if "out" not in marks and "applied" in marks and await system.unpublished("scheduling") == 0:
                marks["out"] = tap.last("SessionCancelled", "CoursePaused") - started
            if "handled" not in marks and "out" in marks:
                seen = tap.count("SessionCancelled") + tap.count("CoursePaused")
                if await system.scalar("notifications", "SELECT count(*) FROM inbox") >= seen:
                    marks["handled"] = now
            if int(now) // 15 != int(now - 1) // 15:
                print(f"{now:5.0f} s: SessionCancelled {tap.count('SessionCancelled')}, CoursePaused "
                      f"{tap.count('CoursePaused')}, mails {system.sink.count()}", flush=True)  # fmt: skip
            return "handled" in marks and await system.all_told(*TAPPED[1:])

        done = await wait_until(progress, within=args.timeout, interval=1.0)
        system.print_memory()
        mailed = system.sink.per_recipient()
        last = max((m.at for m in system.sink.mails), default=started) - started
        print(f"SessionCancelled {tap.count('SessionCancelled')}, CoursePaused {tap.count('CoursePaused')}")
        first = min((at for at, _ in tap.events("SessionCancelled")), default=None)
        if first is not None:  # scheduling commits every cancellation at once; then its relay publishes
            print(f"first SessionCancelled on the tap (scheduling committed): {first - started:.1f} s")
        for mark, what in (("applied", "scheduling's answer (MeasuresApplied, published last) on the tap"),
                           ("out", "scheduling's events all on the tap"),
                           ("handled", "notifications handled every event")):  # fmt: skip
            print(f"{what}: " + (f"{marks[mark]:.1f} s" if mark in marks else "not within the time"))
        print(f"mails handed to SMTP: {sum(mailed.values())} to {len(mailed)} people; time to the last mail: "
              f"{last:.1f} s" + ("" if done else f" (not done after {args.timeout:.0f} s)")
              + " (target < 300 s)")  # fmt: skip
        more = sum(1 for count in mailed.values() if count > 1)
        missing = people - set(mailed)
        strangers = set(mailed) - people
        print(f"one mail per person: {'yes' if not (more or missing or strangers) else 'no'} "
              f"({len(people)} people; {more} got more than one, {len(missing)} got none, "
              f"{len(strangers)} not expected)")  # fmt: skip
        events = tap.count("SessionCancelled") + tap.count("CoursePaused")
        handled = events / marks["handled"] if "handled" in marks else 0.0
        print(f"bare hop {hop:.0f} messages/s; events handled by notifications per second {handled:.1f}, "
              f"ratio to the hop {handled / hop:.3f}")  # fmt: skip
    print(f"load average (1, 5, 15 min) at end: {load_average()}")
    return 0 if done and not (more or missing or strangers) else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--courses", type=int, default=5000, help="planned courses of five sessions (5000)")
    parser.add_argument("--small", action="store_true", help="1,000 courses")
    parser.add_argument("--places", type=int, default=50)
    parser.add_argument("--processes", type=int, default=1, help="processes of each service (1)")
    parser.add_argument("--batch-window", type=float, default=60.0, help="notifications' BATCH_WINDOW (60 s)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--timeout", type=float, default=1200.0, help="seconds before giving up (1200)")
    parser.add_argument("--hop-messages", type=int, default=5000, help="messages for the bare hop (5000)")
    arguments = parser.parse_args()
    if arguments.small:
        arguments.courses = 1000
    sys.exit(asyncio.run(main(arguments)))
