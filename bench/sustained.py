"""Sustained load benchmark: referrals at a steady rate through all three services, with latencies.

Not a test. Run from the repository root against the running RabbitMQ and PostgreSQL:

    .venv/bin/python bench/sustained.py                          # 50 referrals/s for 5 minutes
    .venv/bin/python bench/sustained.py --small                  # 50 referrals/s for 1 minute
    .venv/bin/python bench/sustained.py --rate 20 --minutes 2    # --processes, --batch-window, ...

Issue 11's target: 50 referrals/s sustained for 5 minutes with all three services: referral →
answer p99 < 1 s, group complete → course planned p99 < 2 s, → staff mail p99 < 5 s (with a 1 s
batch window); no backlog growth; under 150 MB per process. The run starts enrolment, scheduling
(with a generated resources file that has room for every course, see `system.resources_yaml`)
and notifications (`BATCH_WINDOW` 1 s) in a namespace and databases of their own, opens room
for every group, and publishes the referrals at the rate as the partner does. Latencies, all
seen from one tap and one SMTP sink in this process:

- referral → answer: from publishing a referral to its ReferralAccepted/ReferralRejected;
- group complete → course planned: from a GroupFilled to the CourseScheduled of that group;
- group complete → staff mail: from a GroupFilled to the first mail handed to SMTP for the
  course's teacher that carries the course's calendar invitations.

Every 10 s it prints the messages waiting in each service's queue and the events waiting in each
outbox (the backlog). What has not arrived when the drain time is up counts as infinitely late.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ingest import intakes
from system import (
    SERVICES,
    BenchSystem,
    load_average,
    measure_hop,
    percentiles,
    resources_yaml,
    start_whole_system,
    teacher_mail_latencies,
    wait_until,
)

from tests.support.referrals import referral_event

TAPPED = ["ReferralAccepted", "ReferralRejected", "GroupFilled", "CourseScheduled", "GroupUnschedulable"]
LATE = float("inf")  # what never arrived


async def sample_backlog(
    system: BenchSystem, started: float, every: float, samples: list[dict[str, int]]
) -> None:
    """Queue depths and unpublished outbox rows, every `every` seconds, until cancelled."""
    while True:
        depths = await system.queue_depths()
        outboxes = {service: await system.unpublished(service) for service in SERVICES}
        mail = await system.mail_pending()
        line = (
            f"{time.perf_counter() - started:6.0f} s  queues "
            + " ".join(f"{s} {depths.get(s, '-'):>5}" for s in SERVICES)
            + "  outboxes "
            + " ".join(f"{s} {outboxes[s]:>5}" for s in SERVICES)
            + f"  mail pending {mail:>5}"
        )
        print(line, flush=True)
        samples.append({service: depths.get(service, 0) + outboxes[service] for service in SERVICES})
        await asyncio.sleep(every)


async def publish_steadily(
    system: BenchSystem, events: list[dict[str, Any]], rate: float
) -> dict[str, float]:
    """Publish at `rate` a second; when each referral was sent, by its partner referral id."""
    assert system.publisher is not None
    sent: dict[str, float] = {}
    pending: set[asyncio.Task[None]] = set()
    started = time.perf_counter()
    for number, event in enumerate(events):
        delay = started + number / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        sent[event["data"]["partner_referral_id"]] = time.perf_counter()
        task = asyncio.create_task(system.publisher.publish(event))
        pending.add(task)
        task.add_done_callback(pending.discard)
    await asyncio.gather(*pending)
    achieved = len(events) / (time.perf_counter() - started)
    print(f"published {len(events)} referrals at {achieved:.1f}/s (asked {rate:.1f}/s)", flush=True)
    return sent


def latencies(system: BenchSystem, sent: dict[str, float], hop: float) -> None:
    tap = system.tap
    answered = {
        event["data"]["partner_referral_id"]: at
        for event_type in ("ReferralAccepted", "ReferralRejected")
        for at, event in tap.events(event_type)
    }
    to_answer = [answered.get(ref, LATE) - at for ref, at in sent.items()]
    if answered:  # the pace enrolment kept, against the broker's
        pace = len(answered) / (max(answered.values()) - min(sent.values()))
        print(f"answers per second from the first publish to the last answer: {pace:.1f}; "
              f"ratio to the hop: {pace / hop:.3f}")  # fmt: skip
    filled = {event["data"]["group_id"]: at for at, event in tap.events("GroupFilled")}
    planned = {event["data"]["group_id"]: at for at, event in tap.events("CourseScheduled")}
    refused = {event["data"]["group_id"] for _, event in tap.events("GroupUnschedulable")}
    to_plan = [planned.get(group, LATE) - at for group, at in filled.items() if group not in refused]
    mailed = teacher_mail_latencies(system)
    to_mail = [mailed.get(group, LATE) - at for group, at in filled.items() if group not in refused]
    print(f"referrals {len(sent)}, answered {len(answered)} ({tap.count('ReferralRejected')} rejected); "
          f"groups filled {len(filled)}, planned {len(planned)}, unschedulable {len(refused)}; "
          f"mails handed to SMTP {system.sink.count()}")  # fmt: skip
    print(f"referral → answer: {percentiles(to_answer)} (target p99 < 1 s)")
    print(f"group complete → course planned: {percentiles(to_plan)} (target p99 < 2 s)")
    print(f"group complete → teacher's mail: {percentiles(to_mail)} (target p99 < 5 s)")


async def main(args: argparse.Namespace) -> None:
    print(f"load average (1, 5, 15 min) at start: {load_average()}")
    hop = await measure_hop(args.hop_messages)
    print(f"bare broker hop: {hop:.0f} messages/s ({args.hop_messages} messages)", flush=True)
    referrals = int(args.rate * args.minutes * 60)
    groups = -(-referrals // 5)
    async with BenchSystem({"BATCH_WINDOW": str(args.batch_window)}) as system:
        resources = resources_yaml(
            places=50, rooms=2, teachers=max(20, groups // 25), volunteers=max(20, groups // 25)
        )
        await start_whole_system(system, args.processes, resources)
        await system.open_tap(TAPPED)
        assert system.publisher is not None
        room = intakes(referrals)
        await system.publisher.publish_all(room)

        async def room_open() -> bool:
            return await system.scalar("enrolment", "SELECT count(*) FROM intakes") == len(room)

        if not await wait_until(room_open, within=60):
            raise SystemExit("enrolment did not record the intakes within a minute")
        print(
            f"{args.processes} process(es) of each service; {referrals} referrals at {args.rate}/s "
            f"for {args.minutes} min; room for {groups} groups; batch window {args.batch_window} s"
        )
        events = [referral_event(n) for n in range(referrals)]
        started = time.perf_counter()
        backlog: list[dict[str, int]] = []
        sampler = asyncio.create_task(sample_backlog(system, started, 10.0, backlog))
        sent = await publish_steadily(system, events, args.rate)
        print(f"load average (1, 5, 15 min) at the end of publishing: {load_average()}", flush=True)
        if backlog:  # growth: what waits when publishing ends, against the most it was before
            print(
                "backlog (queue + outbox) at the end of publishing: "
                + ", ".join(f"{s} {backlog[-1][s]}" for s in SERVICES)
                + "; largest while publishing: "
                + ", ".join(f"{s} {max(sample[s] for sample in backlog)}" for s in SERVICES)
            )
        system.print_memory()

        async def everything_done() -> bool:
            tap = system.tap
            if tap.count("ReferralAccepted") + tap.count("ReferralRejected") < referrals:
                return False
            filled = tap.count("GroupFilled")
            if tap.count("CourseScheduled") + tap.count("GroupUnschedulable") < filled:
                return False
            return await system.all_told(*TAPPED)

        drained = await wait_until(everything_done, within=args.drain, interval=1.0)
        sampler.cancel()
        took = time.perf_counter() - started
        print(f"{'everything done' if drained else f'not done after the drain time ({args.drain:.0f} s)'}: "
              f"{took:.0f} s after the first publish")  # fmt: skip
        latencies(system, sent, hop)
        system.print_memory()
    print(f"load average (1, 5, 15 min) at end: {load_average()}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=50.0, help="referrals a second (50)")
    parser.add_argument("--minutes", type=float, default=5.0, help="minutes of publishing (5)")
    parser.add_argument("--small", action="store_true", help="1 minute")
    parser.add_argument("--processes", type=int, default=1, help="processes of each service (1)")
    parser.add_argument("--batch-window", type=float, default=1.0, help="notifications' BATCH_WINDOW (1 s)")
    parser.add_argument(
        "--drain", type=float, default=600.0, help="seconds to wait for the rest after publishing"
    )
    parser.add_argument("--hop-messages", type=int, default=5000, help="messages for the bare hop (5000)")
    arguments = parser.parse_args()
    if arguments.small:
        arguments.minutes = 1.0
    asyncio.run(main(arguments))
