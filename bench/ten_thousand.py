"""Ten thousand referrals at once through all three services: answered, grouped, planned and mailed.

Not a test. Run from the repository root against the running RabbitMQ and PostgreSQL:

    .venv/bin/python bench/ten_thousand.py                    # 10,000 referrals, room for 2,000 groups
    .venv/bin/python bench/ten_thousand.py --small            # 2,000 referrals
    .venv/bin/python bench/ten_thousand.py --help             # --referrals, --processes, --timeout

Issue 11's target: 10,000 referrals with room for 2,000 groups, everything answered, grouped,
planned and mailed in under 2 minutes. The run starts enrolment, scheduling and notifications
(`BATCH_WINDOW` 1 s, as in the sustained benchmark; `--batch-window`) in a namespace and
databases of their own. Scheduling gets a generated resources file with room for every course
(`system.resources_yaml`: 50 places of 2 rooms open six days 08:00-22:00, a teacher and a
volunteer per 25 groups, all free whenever a place is open, no iPads to bring, no weekly limit
within reach), so that groups are planned, not refused for want of people or rooms; a group that
is refused anyway is counted with its reason. Room for every group is opened first (intakes of
50 groups), then all referrals are published as fast as the partner's confirms allow. It prints
the time from the first publish until every referral is answered, every group formed, every
group planned or refused, and every mail handed to SMTP (nothing left in any outbox or in the
mail queue), the bare broker hop measured in the same run, and the peak memory per process.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ingest import intakes
from system import (
    BenchSystem,
    load_average,
    measure_hop,
    resources_yaml,
    start_whole_system,
    wait_until,
)

from tests.support.referrals import referral_event

TAPPED = ["ReferralAccepted", "ReferralRejected", "GroupFilled", "CourseScheduled", "GroupUnschedulable"]


async def main(args: argparse.Namespace) -> None:
    print(f"load average (1, 5, 15 min) at start: {load_average()}")
    hop = await measure_hop(args.hop_messages)
    print(f"bare broker hop: {hop:.0f} messages/s ({args.hop_messages} messages)", flush=True)
    groups = -(-args.referrals // 5)
    async with BenchSystem({"BATCH_WINDOW": str(args.batch_window)}) as system:
        staff = max(20, groups // 25)
        await start_whole_system(system, args.processes, resources_yaml(50, 2, staff, staff))
        tap = await system.open_tap(TAPPED)
        assert system.publisher is not None
        room = intakes(args.referrals)
        await system.publisher.publish_all(room)

        async def room_open() -> bool:
            return await system.scalar("enrolment", "SELECT count(*) FROM intakes") == len(room)

        if not await wait_until(room_open, within=60):
            raise SystemExit("enrolment did not record the intakes within a minute")
        print(f"{args.processes} process(es) of each service; {args.referrals} referrals; room for "
              f"{groups} groups; {staff} teachers and {staff} volunteers", flush=True)  # fmt: skip
        events = [referral_event(n) for n in range(args.referrals)]
        started = time.perf_counter()
        await system.publisher.publish_all(events)
        print(f"published in {time.perf_counter() - started:.1f} s", flush=True)
        milestones: dict[str, float] = {}

        def answered() -> int:
            return tap.count("ReferralAccepted") + tap.count("ReferralRejected")

        def decided() -> int:
            return tap.count("CourseScheduled") + tap.count("GroupUnschedulable")

        async def progress() -> bool:
            now = time.perf_counter() - started
            if "answered" not in milestones and answered() >= args.referrals:
                milestones["answered"] = tap.last("ReferralAccepted", "ReferralRejected") - started
            if "grouped" not in milestones and tap.count("GroupFilled") >= groups:
                milestones["grouped"] = tap.last("GroupFilled") - started
            if "planned" not in milestones and "grouped" in milestones and decided() >= groups:
                milestones["planned"] = tap.last("CourseScheduled", "GroupUnschedulable") - started
            if "planned" in milestones and "mailed" not in milestones and await system.all_told(*TAPPED):
                last_mail = max((m.at for m in system.sink.mails), default=started)
                milestones["mailed"] = last_mail - started
            if int(now) // 15 != int(now - 1) // 15:  # a line every 15 s or so
                print(f"{now:5.0f} s: answered {answered()}, groups {tap.count('GroupFilled')}, "
                      f"planned {tap.count('CourseScheduled')}, unschedulable "
                      f"{tap.count('GroupUnschedulable')}, mails {system.sink.count()}")  # fmt: skip
            return "mailed" in milestones

        done = await wait_until(progress, within=args.timeout, interval=1.0)
        system.print_memory()
        reasons = Counter(e["data"]["reason_code"] for _, e in tap.events("GroupUnschedulable"))
        print(f"answered {answered()} of {args.referrals} ({tap.count('ReferralRejected')} rejected); "
              f"groups {tap.count('GroupFilled')} of {groups}; planned {tap.count('CourseScheduled')}, "
              f"unschedulable {tap.count('GroupUnschedulable')} {dict(reasons) or ''}; "
              f"mails handed to SMTP {system.sink.count()}")  # fmt: skip
        for milestone in ("answered", "grouped", "planned", "mailed"):
            at = milestones.get(milestone)
            print(
                f"all {milestone}: "
                + (f"{at:.1f} s" if at is not None else f"not within {args.timeout:.0f} s")
            )
        verdict = f"{milestones['mailed']:.1f} s" if done else f"more than {args.timeout:.0f} s"
        rate = args.referrals / milestones["answered"] if "answered" in milestones else 0.0
        print(f"everything answered, grouped, planned and mailed: {verdict} (target < 120 s); "
              f"bare hop {hop:.0f} messages/s; referrals answered per second {rate:.1f}, "
              f"ratio to the hop {rate / hop:.3f}")  # fmt: skip
    print(f"load average (1, 5, 15 min) at end: {load_average()}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--referrals", type=int, default=10000, help="referrals (10000): room for a fifth as groups"
    )
    parser.add_argument("--small", action="store_true", help="2,000 referrals")
    parser.add_argument("--processes", type=int, default=1, help="processes of each service (1)")
    parser.add_argument("--batch-window", type=float, default=1.0, help="notifications' BATCH_WINDOW (1 s)")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds before giving up (900)")
    parser.add_argument("--hop-messages", type=int, default=5000, help="messages for the bare hop (5000)")
    arguments = parser.parse_args()
    if arguments.small:
        arguments.referrals = 2000
    asyncio.run(main(arguments))
