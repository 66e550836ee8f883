"""Enrolment ingest benchmark: referrals answered per second by one and by two enrolment processes.

Not a test. Run from the repository root against the running RabbitMQ and PostgreSQL:

    .venv/bin/python bench/ingest.py                 # 5,000 referrals, 1 then 2 processes
    .venv/bin/python bench/ingest.py --small         # 1,000 referrals
    .venv/bin/python bench/ingest.py --help          # --referrals, --processes, --hop-messages

Issue 11's target: with one process at least 35% of the bare broker hop measured in the same
run (the aim is 50%: a referral is two hops, in and the answer out), and two processes at least
1.6 times one. For each process count the run gets a namespace and database of its own, starts
that many `python -m enrolment`, opens room for every group (intakes of 50 groups, so groups form
as the referrals come), and then publishes the referrals as the partner does (persistent,
confirmed, 100 awaiting their confirm); the time runs from the first publish to the last answer
(ReferralAccepted or ReferralRejected) seen on a tap. It prints referrals/s, the ratios, the
bare hop measured first in the same run, the peak memory of each process and the load average.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from hop_and_relay import framework_hop
from system import BenchSystem, load_average, measure_hop, wait_until

from tests.support.referrals import intake_event, referral_event

ANSWERS = ["ReferralAccepted", "ReferralRejected"]
GROUPS_PER_INTAKE = 50  # the most an IntakeOpened may hold


def intakes(referrals: int) -> list[dict[str, object]]:
    """Room for every group the referrals make (five to a group)."""
    groups = -(-referrals // 5)
    return [
        intake_event(groups=min(GROUPS_PER_INTAKE, groups - start), intake_id=f"bench-intake-{n}")
        for n, start in enumerate(range(0, groups, GROUPS_PER_INTAKE))
    ]


async def ingest(referrals: int, processes: int, patience: float) -> float:
    """Referrals answered per second by `processes` enrolment processes."""
    async with BenchSystem() as system:
        await system.start("enrolment", processes)
        tap = await system.open_tap(ANSWERS)
        assert system.publisher is not None
        room = intakes(referrals)
        await system.publisher.publish_all(room)

        async def room_open() -> bool:
            return await system.scalar("enrolment", "SELECT count(*) FROM intakes") == len(room)

        if not await wait_until(room_open, within=60):
            raise SystemExit("enrolment did not record the intakes within a minute")
        events = [referral_event(n) for n in range(referrals)]
        started = time.perf_counter()
        await system.publisher.publish_all(events)
        published = time.perf_counter() - started

        async def answered() -> bool:
            return sum(tap.count(t) for t in ANSWERS) >= referrals

        done = await wait_until(answered, within=patience, interval=0.2)
        took = tap.last(*ANSWERS) - started
        got = sum(tap.count(t) for t in ANSWERS)
        print(f"{processes} process(es): {referrals} referrals published in {published:.1f} s; "
              f"{got} answered ({tap.count('ReferralRejected')} rejected) in {took:.1f} s"
              + ("" if done else f" (gave up after {patience:.0f} s)"))  # fmt: skip
        system.print_memory()
        print(f"load average (1, 5, 15 min) after {processes} process(es): {load_average()}")
        return got / took if took > 0 else 0.0


async def main(args: argparse.Namespace) -> None:
    print(f"load average (1, 5, 15 min) at start: {load_average()}")
    hop = await measure_hop(args.hop_messages)
    print(f"bare broker hop: {hop:.0f} messages/s ({args.hop_messages} messages)")
    # The services' floor: FastStream consuming the same hop and doing nothing else.
    for validate in (False, True):
        floor = await framework_hop(args.hop_messages, 100, validate=validate)
        what = "validating each CloudEvent" if validate else "taking the JSON body"
        print(f"FastStream subscriber {what}: {floor:.0f} messages/s; ratio to the hop: {floor / hop:.3f}")
    rates = {}
    for processes in args.processes:
        rates[processes] = await ingest(args.referrals, processes, args.timeout)
    for processes, rate in rates.items():
        print(f"enrolment ingest, {processes} process(es): {rate:.1f} referrals/s; "
              f"ratio to the hop: {rate / hop:.3f} (target ≥ 0.35 with 1 process)")  # fmt: skip
    if 1 in rates and 2 in rates and rates[1] > 0:
        print(f"2 processes / 1 process: {rates[2] / rates[1]:.2f} (target ≥ 1.6)")
    print(f"load average (1, 5, 15 min) at end: {load_average()}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--referrals", type=int, default=5000, help="referrals per run (5000)")
    parser.add_argument("--small", action="store_true", help="1,000 referrals")
    parser.add_argument("--processes", default="1,2", help="enrolment process counts, one run each (1,2)")
    parser.add_argument("--hop-messages", type=int, default=5000, help="messages for the bare hop (5000)")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds to wait for the answers")
    arguments = parser.parse_args()
    if arguments.small:
        arguments.referrals = 1000
    arguments.processes = [int(n) for n in arguments.processes.split(",")]
    asyncio.run(main(arguments))
