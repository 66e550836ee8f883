"""Harness of the whole-system benchmarks: the services as real processes in a namespace of their own.

Used by `ingest.py`, `sustained.py`, `ten_thousand.py` and `lockdown.py`. Like the end-to-end
tests (`tests/e2e/conftest.py`), a `BenchSystem` makes databases, an events exchange and queue
names of its own on the running RabbitMQ and PostgreSQL (`AMQP_URL`, `DATABASE_URL`: the server,
or the local defaults), starts `python -m enrolment|scheduling|notifications` processes there,
runs an aiosmtpd sink for their mail, and removes all of it at the end. It also gives what every
benchmark prints: the bare broker hop measured in the same run (`hop_and_relay.bare_hop`), the
load average, and the peak memory of each service process.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import os
import re
import secrets
import shutil
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import aio_pika
from aio_pika.abc import AbstractIncomingMessage, AbstractRobustConnection
from aiosmtpd.controller import Controller
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from hop_and_relay import bare_hop  # noqa: E402

from taalhuis_shared.events import CONTENT_TYPE  # noqa: E402
from tests.support.broker import Namespace, delete_namespace  # noqa: E402
from tests.support.databases import Databases  # noqa: E402
from tests.support.processes import ServiceProcess  # noqa: E402
from tests.support.referrals import ENROLMENT_FILE  # noqa: E402
from tests.support.smtp import free_port  # noqa: E402

AMQP_URL = os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
SERVER_URL = os.environ.get("DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres")
SERVICES = ("enrolment", "scheduling", "notifications")
# The benchmark connects as `guest` and publishes for every role, as the tests do.
PUBLISHERS = json.dumps(
    {role: ["guest"] for role in ("coordinator", "enrolment", "scheduling", "notifications", "console")}
)
# A staff invitation's UID: the course id, a digest of the attendee's address (`calendar.series_uid`).
CALENDAR_UID = re.compile(r"^UID:(?P<course>\S+)-[0-9a-f]{12}@taalhuis", re.MULTILINE)


def load_average() -> str:
    return ", ".join(f"{value:.2f}" for value in os.getloadavg())


def memory_of(pid: int) -> tuple[float, float]:
    """(peak, current) resident memory of a process in MB, from /proc/<pid>/status."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmHWM", "VmRSS"):
            fields[name] = int(value.split()[0]) / 1024  # kB
    return fields.get("VmHWM", 0.0), fields.get("VmRSS", 0.0)


async def measure_hop(messages: int = 5000, window: int = 100) -> float:
    """The bare broker hop (messages/s) on this machine now, as `hop_and_relay.py` measures it."""
    connection = await aio_pika.connect(AMQP_URL)
    try:
        return await bare_hop(connection, f"bench.hop.{uuid.uuid4().hex[:8]}", messages, window)
    finally:
        await connection.close()


def percentiles(values: list[float]) -> str:
    """p50 / p95 / p99 / max of latencies in seconds, as one line."""
    if not values:
        return "none measured"
    ordered = sorted(values)

    def at(share: float) -> float:
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))]

    return (
        f"p50 {at(0.50):.3f} s, p95 {at(0.95):.3f} s, p99 {at(0.99):.3f} s, max {ordered[-1]:.3f} s "
        f"(n={len(ordered)})"
    )


@dataclass
class Mail:
    at: float
    recipients: list[str]
    courses: list[str]  # course ids of the calendar invitations in it


class Sink:
    """An SMTP server that keeps, per mail, when it came, to whom, and which courses it invites to."""

    def __init__(self) -> None:
        self.mails: list[Mail] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd's name)
        at = time.perf_counter()
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        courses = []
        for part in message.walk():
            if part.get_content_type() == "text/calendar":
                courses += CALENDAR_UID.findall(str(part.get_content()))  # type: ignore[attr-defined]
        with self._lock:
            self.mails.append(Mail(at, list(envelope.rcpt_tos), courses))
        return "250 OK"

    def per_recipient(self) -> Counter[str]:
        with self._lock:
            return Counter(address for mail in self.mails for address in mail.recipients)

    def count(self) -> int:
        with self._lock:
            return len(self.mails)


@dataclass
class Tap:
    """Every event of the given types published in the namespace, with the time it came."""

    arrived: dict[str, dict[str, tuple[float, dict[str, Any]]]] = field(
        default_factory=lambda: defaultdict(dict)
    )

    async def on_message(self, message: AbstractIncomingMessage) -> None:
        at = time.perf_counter()
        event = json.loads(message.body)
        # A redelivered duplicate keeps the first arrival.
        self.arrived[message.routing_key or ""].setdefault(event["id"], (at, event))
        await message.ack()

    def count(self, event_type: str) -> int:
        return len(self.arrived[event_type])

    def events(self, event_type: str) -> list[tuple[float, dict[str, Any]]]:
        return list(self.arrived[event_type].values())

    def last(self, *event_types: str) -> float:
        return max((at for t in event_types for at, _ in self.arrived[t].values()), default=0.0)


class Publisher:
    """Publishes events as a partner or the coordinator does: persistent, confirmed, as `guest`."""

    def __init__(self, connection: AbstractRobustConnection, namespace: Namespace, window: int = 100) -> None:
        self._connection = connection
        self._namespace = namespace
        self._slots = asyncio.Semaphore(window)
        self._exchange: aio_pika.abc.AbstractExchange | None = None

    async def open(self) -> None:
        channel = await self._connection.channel(publisher_confirms=True)
        self._exchange = await channel.declare_exchange(
            self._namespace.events_exchange, aio_pika.ExchangeType.TOPIC, durable=True
        )

    async def publish(self, event: dict[str, Any]) -> None:
        assert self._exchange is not None
        async with self._slots:
            await self._exchange.publish(
                aio_pika.Message(
                    json.dumps(event).encode(),
                    message_id=event["id"],
                    content_type=CONTENT_TYPE,
                    delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                    user_id="guest",
                ),
                routing_key=event["type"],
            )

    async def publish_all(self, events: list[dict[str, Any]]) -> None:
        """As fast as the confirm window allows."""
        await asyncio.gather(*(self.publish(event) for event in events))


class BenchSystem:
    """Databases, a namespace, an SMTP sink and service processes of one benchmark run."""

    def __init__(self, env: dict[str, str] | None = None) -> None:
        self.run_id = f"bench{secrets.token_hex(3)}"
        self.namespace = Namespace.new(self.run_id)
        self.databases = Databases(SERVER_URL, self.run_id)
        self.database_urls: dict[str, str] = {}
        self.workdir = Path(tempfile.mkdtemp(prefix=f"{self.run_id}-"))
        self.sink = Sink()
        self.smtp_port = free_port()
        self._controller = Controller(self.sink, hostname="127.0.0.1", port=self.smtp_port)
        self.env = env or {}
        self.processes: list[ServiceProcess] = []
        self.tap = Tap()
        self.connection: AbstractRobustConnection | None = None
        self.publisher: Publisher | None = None
        self._engines: dict[str, AsyncEngine] = {}

    async def __aenter__(self) -> BenchSystem:
        self._controller.start()
        for service in SERVICES:
            self.database_urls[service] = await self.databases.create(service)
        self.connection = await aio_pika.connect_robust(AMQP_URL)
        self.publisher = Publisher(self.connection, self.namespace)
        await self.publisher.open()
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        for process in self.processes:
            try:
                process.stop(timeout=60)
            except Exception as problem:  # cleaning up goes on
                print(f"{process.package} did not stop: {problem}", file=sys.stderr)
        if kind is not None:  # what the services said, for the one who has to find out why
            for process in self.processes:
                print(f"--- {process.package} log (end):\n{process.log()[-2000:]}", file=sys.stderr)
        for engine in self._engines.values():
            await engine.dispose()
        assert self.connection is not None
        await delete_namespace(self.connection, self.namespace, list(SERVICES))
        await self.connection.close()
        await self.databases.drop_all()
        self._controller.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def engine(self, service: str) -> AsyncEngine:
        if service not in self._engines:
            self._engines[service] = create_async_engine(self.database_urls[service], pool_size=2)
        return self._engines[service]

    async def scalar(self, service: str, query: str) -> int:
        async with self.engine(service).connect() as connection:
            return int(await connection.scalar(text(query)) or 0)

    async def start(self, service: str, count: int = 1, **env: str) -> list[ServiceProcess]:
        """`count` processes of a service, each healthy (its queue declared) before this returns."""
        started = []
        for _ in range(count):
            process = ServiceProcess(
                service,
                {
                    **self.namespace.env(),
                    "AMQP_URL": AMQP_URL,
                    "DATABASE_URL": self.database_urls[service],
                    "PUBLISHERS": PUBLISHERS,
                    "ENROLMENT_FILE": str(ENROLMENT_FILE),
                    "SMTP_HOST": "127.0.0.1",
                    "SMTP_PORT": str(self.smtp_port),
                    "SMTP_TLS": "off",
                    "LOG_LEVEL": "WARNING",  # a line per event would cost the services time
                    **self.env,
                    **env,
                },
                self.workdir,
            )
            await process.start(timeout=60)
            self.processes.append(process)
            started.append(process)
        return started

    async def open_tap(self, event_types: list[str]) -> Tap:
        assert self.connection is not None
        channel = await self.connection.channel()
        await channel.set_qos(prefetch_count=500)
        exchange = await channel.declare_exchange(
            self.namespace.events_exchange, aio_pika.ExchangeType.TOPIC, durable=True
        )
        queue = await channel.declare_queue(f"{self.namespace.queue_prefix}tap", exclusive=True)
        for event_type in event_types:
            await queue.bind(exchange, routing_key=event_type)
        await queue.consume(self.tap.on_message)
        return self.tap

    async def queue_depths(self) -> dict[str, int]:
        """Messages ready in each service's queue now (what waits to be handled)."""
        assert self.connection is not None
        depths = {}
        channel = await self.connection.channel()
        try:
            for service in SERVICES:
                name = self.namespace.topology(service).queue_name
                try:
                    queue = await channel.declare_queue(name, passive=True)
                except aio_pika.exceptions.ChannelClosed:  # not declared: that service does not run
                    channel = await self.connection.channel()
                    continue
                depths[service] = queue.declaration_result.message_count or 0
        finally:
            await channel.close()
        return depths

    def running(self) -> list[str]:
        """The services started in this run (the others have no schema in their database)."""
        return [service for service in SERVICES if any(p.package == service for p in self.processes)]

    async def unpublished(self, service: str) -> int:
        return await self.scalar(service, "SELECT count(*) FROM outbox WHERE published_at IS NULL")

    async def mail_pending(self) -> int:
        """Notices not yet in a mail, and mails not yet handed to SMTP."""
        return await self.scalar(
            "notifications",
            "SELECT (SELECT count(*) FROM notices WHERE mail_id IS NULL AND compose_error IS NULL)"
            " + (SELECT count(*) FROM mails WHERE sent_at IS NULL AND failed_at IS NULL)",
        )

    async def all_told(self, *event_types: str) -> bool:
        """Every event of these types the tap saw is handled by notifications, and every mail sent.

        Notifications records each event it handles in its inbox; with every outbox empty, what
        the tap saw is all there is.
        """
        if any([await self.unpublished(service) for service in self.running()]):
            return False
        seen = sum(self.tap.count(event_type) for event_type in event_types)
        if await self.scalar("notifications", "SELECT count(*) FROM inbox") < seen:
            return False
        return await self.mail_pending() == 0

    def memory(self) -> list[tuple[str, int, float, float]]:
        """(service, pid, peak MB, current MB) of every running process; read before they stop."""
        found = []
        for process in self.processes:
            if process.process is not None and process.process.poll() is None:
                peak, now = memory_of(process.process.pid)
                found.append((process.package, process.process.pid, peak, now))
        return found

    def print_memory(self) -> None:
        for service, pid, peak, now in self.memory():
            print(f"memory {service} (pid {pid}): peak {peak:.0f} MB, at the end {now:.0f} MB (target < 150)")


async def wait_until(check: Any, within: float, interval: float = 0.5) -> bool:
    """Ask `check` (async) until it is true or the time is up; whether it became true."""
    deadline = time.perf_counter() + within
    while True:
        if await check():
            return True
        if time.perf_counter() > deadline:
            return False
        await asyncio.sleep(interval)


def resources_yaml(places: int, rooms: int, teachers: int, volunteers: int) -> str:
    """A resources file for scheduling with room for many courses at once.

    Every place keeps its own iPads (no set-up, no pool to share) and opens Monday to Saturday
    08:00-22:00; every teacher is qualified for both courses and, like every volunteer, free
    whenever a place is open; the weekly limit per partner is out of reach, since all referrals
    come from one partner. So what is measured is the service, not a shortage of resources.
    """
    week = {
        day: ["08:00-22:00"] for day in ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday")
    }
    document = {
        "ipads": 0,
        "weekly_limits": {"klik-en-tik": 100000, "digisterker": 100000},
        "places": [
            {
                "id": f"plek-{n}",
                "name": f"Bibliotheek Plek {n}",
                "address": f"Voorbeeldstraat {n + 1}, 2800 AA Gouda",
                "bring_ipads": False,
                "rooms": [{"id": f"zaal-{m}", "name": f"Zaal {m}"} for m in range(1, rooms + 1)],
                "opening_hours": week,
            }
            for n in range(places)
        ],
        "teachers": [
            {
                "id": f"docent-{n}",
                "name": f"Docent {n}",
                "email": f"docent{n}@bibliotheek.example",
                "qualifications": ["klik-en-tik", "digisterker"],
                "availability": week,
            }
            for n in range(teachers)
        ],
        "volunteers": [
            {
                "id": f"vrijwilliger-{n}",
                "name": f"Vrijwilliger {n}",
                "email": f"vrijwilliger{n}@bibliotheek.example",
                "availability": week,
            }
            for n in range(volunteers)
        ],
    }
    return json.dumps(document, indent=1)  # JSON is YAML


async def start_whole_system(system: BenchSystem, processes: int, resources: str) -> None:
    """Scheduling with `resources` (YAML), notifications and enrolment: `processes` of each."""
    resources_file = system.workdir / "resources.yaml"
    resources_file.write_text(resources)
    await system.start("scheduling", processes, RESOURCES_FILE=str(resources_file))
    await system.start("notifications", processes)
    await system.start("enrolment", processes)


def teacher_mail_latencies(system: BenchSystem) -> dict[str, float]:
    """Per group: when the first mail to its course's teacher with the course's invitations came.

    The staff mail of a CourseScheduled carries the course's calendar invitation, whose UID
    starts with the course id; the tap's CourseScheduled says which group and teacher it has.
    """
    course_of: dict[str, tuple[str, str]] = {}  # course id -> (group id, teacher address)
    for _, event in system.tap.events("CourseScheduled"):
        data = event["data"]
        course_of[data["course_id"]] = (data["group_id"], data["teacher"]["email"].casefold())
    first: dict[str, float] = {}
    for mail in sorted(system.sink.mails, key=lambda m: m.at):
        recipients = {address.casefold() for address in mail.recipients}
        for course in mail.courses:
            if course in course_of and course_of[course][1] in recipients:
                first.setdefault(course_of[course][0], mail.at)
    return first
