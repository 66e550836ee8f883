"""The retention job every service runs: "shredders" remove what is kept too long, and each run is recorded.

As pretix's data shredders: each shredder has a name, says what it removes, and is an async
function (connection, now) -> rows affected. Every `RETENTION_INTERVAL` seconds the worker runs
each shredder in a transaction of its own and, in that same transaction, writes a row in
`retention_runs`: which shredder, when, how many rows. The record holds counts only, never what
was removed. The time comes from the `Clock`, so a test that moves `CLOCK_OFFSET` past a period
sees the job remove what has expired by then.

The record itself is kept `RETENTION_RUNS_DAYS` (400): a year's runs and a month more, so that
a yearly look back (the privacy officer's, an audit) always sees a whole year; older runs are
deleted by the `retention-runs` shredder, like everything else.

`retention_runs` is defined here once for all services, as the inbox and outbox are in
`messaging.store`; each service's migrations create it with their own explicit operations.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import BigInteger, Column, DateTime, Integer, MetaData, String, Table, delete, insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from .clock import Clock
from .messaging.polling import PollingWorker
from .messaging.settings import ServiceSettings
from .messaging.store import inbox, outbox

log = logging.getLogger(__name__)

# Days a run's record is kept (see the module's docstring); a constant, since nothing personal is in it.
RETENTION_RUNS_DAYS = 400

metadata = MetaData()

retention_runs = Table(
    "retention_runs",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("shredder", String(100), nullable=False),
    Column("ran_at", DateTime(timezone=True), nullable=False),
    Column("rows_affected", Integer, nullable=False),
)


@dataclass(frozen=True)
class Shredder:
    name: str
    description: str
    shred: Callable[[AsyncConnection, datetime], Awaitable[int]]


def published_outbox_rows(days: int) -> Shredder:
    """Events published more than `days` ago: the relay is done with them, operations rarely look back."""

    async def shred(connection: AsyncConnection, now: datetime) -> int:
        removed = await connection.execute(
            delete(outbox).where(outbox.c.published_at < now - timedelta(days=days))
        )
        return removed.rowcount

    return Shredder(
        "outbox", f"events published more than {days} days ago (their bodies hold personal data)", shred
    )


def inbox_rows(days: int) -> Shredder:
    """Handled-event records older than `days`: by then that event cannot come again.

    The inbox only has to recognise a repeat, and every way an event comes again is bounded in
    time. A message in hand goes back to the queue after at most OUTAGE_PATIENCE (20 minutes) and
    is parked by RabbitMQ after DELIVERY_LIMIT (10) deliveries: a few hours at most. A publisher's
    relay republishes an event whose confirm it missed within seconds. A parked message, which
    an operator might move back, expires in its parking queue after 30 days (the policy in
    deploy/rabbitmq/definitions.json). So after 30 days and some hours no copy of a handled event
    is left anywhere; the 90-day default is well past that. (A partner re-sending the same event
    id after that long would be handled again; enrolment still refuses it as a duplicate
    referral by the partner's referral id.)
    """

    async def shred(connection: AsyncConnection, now: datetime) -> int:
        removed = await connection.execute(
            delete(inbox).where(inbox.c.handled_at < now - timedelta(days=days))
        )
        return removed.rowcount

    return Shredder("inbox", f"records of events handled more than {days} days ago", shred)


def old_runs(days: int = RETENTION_RUNS_DAYS) -> Shredder:
    """The job's own record, `days` after a run: counts only, but not kept for ever either."""

    async def shred(connection: AsyncConnection, now: datetime) -> int:
        removed = await connection.execute(
            delete(retention_runs).where(retention_runs.c.ran_at < now - timedelta(days=days))
        )
        return removed.rowcount

    return Shredder("retention-runs", f"records of retention runs more than {days} days ago", shred)


def every_service_shredders(settings: ServiceSettings) -> list[Shredder]:
    """What every service removes: published outbox rows, old inbox records, old runs' records."""
    return [
        published_outbox_rows(settings.outbox_retention_days),
        inbox_rows(settings.inbox_retention_days),
        old_runs(),
    ]


async def record_run(connection: AsyncConnection, shredder: str, ran_at: datetime, rows: int) -> None:
    await connection.execute(
        insert(retention_runs).values(shredder=shredder, ran_at=ran_at, rows_affected=rows)
    )


class RetentionWorker(PollingWorker):
    """Runs the shredders at start and then every `interval` seconds, as the clock tells.

    The polling worker looks every half minute at most; a round before the next run is due does
    nothing. A shredder that fails (database away) is logged and the others still run; the whole
    run is then repeated at the next round (shredding twice removes nothing twice).
    """

    name = "retention"

    def __init__(
        self, engine: AsyncEngine, shredders: Sequence[Shredder], clock: Clock, *, interval: float
    ) -> None:
        # batch_size 1 and rounds that report 0 rows: a run is never "more may be waiting".
        super().__init__(poll_interval=interval, batch_size=1)
        self._engine = engine
        self.shredders = list(shredders)
        self.clock = clock
        self._interval = timedelta(seconds=interval)
        self._next_run: datetime | None = None

    async def run_once(self) -> tuple[int, bool]:
        now = self.clock.now()
        if self._next_run is not None and now < self._next_run:
            return 0, False
        failed = False
        for shredder in self.shredders:
            try:
                async with self._engine.begin() as connection:
                    rows = await shredder.shred(connection, now)
                    await record_run(connection, shredder.name, now, rows)
            except Exception:
                log.exception("retention: shredder %s failed; the run is repeated", shredder.name)
                failed = True
                continue
            if rows:
                log.info("retention: shredder %s removed or blanked %d rows", shredder.name, rows)
        if not failed:
            self._next_run = now + self._interval
        return 0, failed


def retention_worker(
    settings: ServiceSettings, engine: AsyncEngine, clock: Clock, own: Sequence[Shredder] = ()
) -> RetentionWorker:
    """A service's retention job, on the service's clock: the shredders every service has, then its own."""
    return RetentionWorker(
        engine,
        [*every_service_shredders(settings), *own],
        clock,
        interval=settings.retention_interval,
    )
