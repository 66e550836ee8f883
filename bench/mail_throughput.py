"""Mail throughput benchmark: a lockdown's cancellation notices composed and handed to SMTP.

Not a test. Run from the repository root (PostgreSQL must run; DATABASE_URL names the server):

    .venv/bin/python bench/mail_throughput.py [--courses 5000] [--places 50] [--seed 2026] [--planned]

Issue 11's target: 5,000 planned courses (25,000 sessions) at 50 places, one measure for all →
every cancellation mail composed and handed to SMTP within 5 minutes, one mail per person. The
benchmark makes a database of its own, writes the notices that the measure's SessionCancelled
events give (the service's own `notices_for`: one per session for its teacher, volunteer, the
partners' contact persons and the coordinator) with their batch window already passed, starts
an aiosmtpd sink in this process and runs the MailSender until every mail is handed over. It
prints notices/s, mails/s, the time to the last mail, the load average, and checks that each
person got exactly one mail.

`--planned` writes instead the notices of one `CourseScheduled` per course (the mail of issue 11's
sustained load: the teacher, the volunteer, both contact persons and the coordinator each get a
small mail per course, with the course's invitations for the staff), and checks that each batch
became exactly one mail.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from sqlalchemy import func, insert, make_url, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from notifications.adapters.mail_sender import MailSender, MailServer  # noqa: E402
from notifications.adapters.tables import mails, notices  # noqa: E402
from notifications.bootstrap import MIGRATIONS  # noqa: E402
from notifications.domain.notices import Audience, notices_for  # noqa: E402
from taalhuis_shared.db import make_engine, upgrade_schema  # noqa: E402
from taalhuis_shared.events import CourseScheduled, SessionCancelled  # noqa: E402
from tests.support.smtp import free_port  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
from system import measure_hop  # noqa: E402

COORDINATOR = "coordinator@bibliotheek.example"
MAIL_FROM = "taalhuis@bibliotheek.example"
FIRST_START = datetime(2027, 3, 2, 12, 30, tzinfo=UTC)
INSERT_CHUNK = 2000
MESSAGE_ID = re.compile(rb"^Message-ID: (\S+)", re.MULTILINE | re.IGNORECASE)


class Sink:
    """An SMTP server that only counts what it receives, per envelope recipient."""

    def __init__(self) -> None:
        self.received: Counter[str] = Counter()
        self.message_ids: Counter[bytes] = Counter()
        self.last_at = 0.0
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd's name)
        with self._lock:
            self.received.update(envelope.rcpt_tos)
            self.message_ids[MESSAGE_ID.search(envelope.content)[1]] += 1  # type: ignore[index]
            self.last_at = time.perf_counter()
        return "250 OK"


def measure(
    courses: int, places: int, rng: random.Random, *, planned: bool = False
) -> list[SessionCancelled | CourseScheduled]:
    """One SessionCancelled per session: `courses` courses of five weekly sessions at `places` places.

    `planned`: one CourseScheduled per course instead, its five sessions planned.
    """
    teachers = max(1, courses // 5)
    volunteers = max(1, courses // 5)
    partners = max(2, courses // 25)
    events: list[SessionCancelled | CourseScheduled] = []
    for n in range(courses):
        place = n % places
        teacher = rng.randrange(teachers)
        volunteer = rng.randrange(volunteers)
        pair = rng.sample(range(partners), 2)
        start = FIRST_START + timedelta(days=n % 5, hours=3 * (n // 5 % 3))
        common = {
            "course_id": f"course-{n}",
            "group_id": f"group-{n}",
            "course": {"type": rng.choice(["klik-en-tik", "digisterker"]), "level": 1},
            "location": {"name": f"Wijkcentrum {place}", "address": f"Straat {place}, 2800 AA Gouda"},
            "teacher": {"name": f"Docent {teacher}", "email": f"docent{teacher}@bibliotheek.example"},
            "participants": [
                {
                    "referral_id": f"ref-{n}-{k}",
                    "partner_id": f"partner-{pair[k % 2]}",
                    "partner_referral_id": f"p-{n}-{k}",
                    "display_name": f"Deelnemer {k} van {n}",
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
        sessions = []
        for week in range(5):
            session_start = start + timedelta(weeks=week)
            session = {
                "number": week + 1,
                "session_id": f"course-{n}-s{week + 1}",
                "revision": 1,
                "start": session_start.isoformat(),
                "end": (session_start + timedelta(hours=2)).isoformat(),
                "room": "Zaal 1",
                "volunteers": [
                    {
                        "name": f"Vrijwilliger {volunteer}",
                        "email": f"vrijwilliger{volunteer}@bibliotheek.example",
                    }
                ],
                "ipads": 6,
                "setup_start": None,
            }
            sessions.append(session)
            if planned:
                continue
            events.append(
                SessionCancelled.model_validate(
                    {
                        **common,
                        "session": session,
                        "reason_code": "measures",
                        "reason": "De maatregelen gelden voor alle cursussen.",
                        "measure_id": "lockdown",
                    }
                )
            )
        if planned:
            events.append(CourseScheduled.model_validate({**common, "sessions": sessions}))
    return events


async def write_notices(
    engine: AsyncEngine, events: list[SessionCancelled | CourseScheduled], audience: Audience
) -> int:
    """The measure's notices, as the handler would write them, due a minute ago."""
    created = datetime.now(UTC) - timedelta(minutes=2)
    rows = [
        {
            "origin": f"event-{i}",
            "notice_key": notice.key,
            "batch_key": notice.batch_key,
            "kind": notice.kind,
            "recipient_role": notice.role,
            "language": notice.language,
            "recipient": notice.recipient,
            "recipient_name": notice.recipient_name,
            "payload": notice.payload,
            "created_at": created,
            "due_at": created + timedelta(minutes=1),
            "deadline": created + timedelta(minutes=1),
        }
        for i, event in enumerate(events)
        for notice in notices_for(f"event-{i}", event, audience)
    ]
    async with engine.begin() as connection:
        for start in range(0, len(rows), INSERT_CHUNK):
            await connection.execute(insert(notices), rows[start : start + INSERT_CHUNK])
    return len(rows)


async def unsent(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        open_notices = await connection.scalar(
            select(func.count()).select_from(notices).where(notices.c.mail_id.is_(None))
        )
        open_mails = await connection.scalar(
            select(func.count())
            .select_from(mails)
            .where(mails.c.sent_at.is_(None), mails.c.failed_at.is_(None))
        )
    return int(open_notices or 0) + int(open_mails or 0)


async def run(args: argparse.Namespace) -> None:
    server_url = make_url(
        os.environ.get("DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres")
    )
    database = f"bench_mail_{os.getpid()}"
    url = server_url.set(database=database).render_as_string(hide_password=False)
    admin = create_async_engine(server_url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    engine = make_engine(url)  # the service's engine
    try:
        await upgrade_schema(url, MIGRATIONS)
        print(f"load average at start: {' '.join(f'{n:.2f}' for n in os.getloadavg())}")
        events = measure(args.courses, args.places, random.Random(args.seed), planned=args.planned)  # noqa: S311
        audience = Audience(COORDINATOR)
        written = await write_notices(engine, events, audience)
        async with engine.connect() as connection:
            people = await connection.scalar(select(func.count(func.distinct(notices.c.batch_key))))
        print(f"courses {args.courses}, events {len(events)}, places {args.places}: "
              f"{written} notices in {people} batches")  # fmt: skip
        sender = MailSender(
            engine,
            MailServer("127.0.0.1", port, tls="off"),
            mail_from=MAIL_FROM,
            audience=audience,
            poll_interval=0.2,
        )
        started = time.perf_counter()
        sender.start()
        deadline = started + args.timeout
        while await unsent(engine) and time.perf_counter() < deadline:  # noqa: ASYNC110 - the database is asked
            await asyncio.sleep(0.2)
        await sender.stop()
        took = (sink.last_at or time.perf_counter()) - started
        mailed = sum(sink.received.values())
        print(f"mails handed to SMTP: {mailed} in {took:.1f} s (time to the last mail)")
        print(f"notices/s: {written / took:.0f}, mails/s: {mailed / took:.1f}")
        hop = await measure_hop(args.hop_messages)
        print(f"bare broker hop: {hop:.0f} messages/s; mails per second / hop: {mailed / took / hop:.3f}")
        print(f"load average at end: {' '.join(f'{n:.2f}' for n in os.getloadavg())}")
        # A lockdown: one mail per person. Planned courses: one per batch (per course and person).
        twice = [address for address, count in sink.received.items() if count > 1 and not args.planned]
        twice += [key.decode() for key, count in sink.message_ids.items() if count > 1]
        if mailed != people or twice:
            sys.exit(f"not one mail per batch: {people} batches, {mailed} mails, {len(twice)} more than once")
    finally:
        await engine.dispose()
        controller.stop()
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        await admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--courses", type=int, default=5000, help="planned courses of five sessions each")
    parser.add_argument("--hop-messages", type=int, default=5000, help="messages for the bare hop (5000)")
    parser.add_argument("--places", type=int, default=50)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--planned", action="store_true", help="CourseScheduled mails instead of a lockdown")
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds before giving up")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
