"""The retention worker with a fake clock and a fake database, and the shredders each service runs.

What the shredders remove is tested against the real PostgreSQL (tests/integration/shared and
tests/integration/notifications); here only the worker's timing and its handling of failures.
"""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from taalhuis_shared.clock import Clock
from taalhuis_shared.retention import RetentionWorker, Shredder

START = datetime(2027, 1, 4, 9, 0, tzinfo=UTC)
HOUR = 3600.0


class FakeClock(Clock):
    """A clock the test moves by hand."""

    def __init__(self, moment: datetime) -> None:
        super().__init__()
        self.moment = moment

    def now(self) -> datetime:
        return self.moment

    def move(self, by: timedelta) -> None:
        self.moment += by


class FakeConnection:
    def __init__(self) -> None:
        self.statements: list[Any] = []

    async def execute(self, statement: Any) -> None:
        self.statements.append(statement)


class FakeEngine:
    """Hands out a connection per transaction; remembers which transactions were committed."""

    def __init__(self) -> None:
        self.committed: list[FakeConnection] = []

    @contextlib.asynccontextmanager
    async def begin(self) -> AsyncIterator[FakeConnection]:
        connection = FakeConnection()
        yield connection  # an exception here leaves the transaction uncommitted
        self.committed.append(connection)


class Recording:
    """A shredder function that notes the `now` it was given and reports `rows` rows."""

    def __init__(self, rows: int = 0, fails: bool = False) -> None:
        self.rows = rows
        self.fails = fails
        self.calls: list[datetime] = []

    async def __call__(self, connection: AsyncConnection, now: datetime) -> int:
        self.calls.append(now)
        if self.fails:
            raise ConnectionRefusedError("database away")
        return self.rows


def worker(engine: FakeEngine, clock: Clock, *shredders: tuple[str, Recording]) -> RetentionWorker:
    return RetentionWorker(
        cast(AsyncEngine, engine),
        [Shredder(name, f"test shredder {name}", shred) for name, shred in shredders],
        clock,
        interval=HOUR,
    )


def recorded(connection: FakeConnection) -> dict[str, Any]:
    """The values of the retention_runs row written in that transaction."""
    [statement] = [s for s in connection.statements if getattr(s, "table", None) is not None]
    assert statement.table.name == "retention_runs"
    return dict(statement.compile().params)


async def test_the_first_round_runs_every_shredder_with_the_clocks_time_and_records_each() -> None:
    engine, clock = FakeEngine(), FakeClock(START)
    outbox, inbox = Recording(rows=3), Recording(rows=0)

    await worker(engine, clock, ("outbox", outbox), ("inbox", inbox)).run_once()

    assert outbox.calls == [START] and inbox.calls == [START]
    records = [recorded(connection) for connection in engine.committed]
    assert records == [
        {"shredder": "outbox", "ran_at": START, "rows_affected": 3},
        {"shredder": "inbox", "ran_at": START, "rows_affected": 0},
    ]


async def test_the_next_run_waits_for_the_interval_on_the_clock() -> None:
    engine, clock = FakeEngine(), FakeClock(START)
    outbox = Recording()
    retention = worker(engine, clock, ("outbox", outbox))

    await retention.run_once()
    clock.move(timedelta(minutes=59))
    await retention.run_once()
    assert outbox.calls == [START]

    clock.move(timedelta(minutes=1))
    await retention.run_once()
    assert outbox.calls == [START, START + timedelta(hours=1)]
    assert len(engine.committed) == 2


async def test_a_failing_shredder_does_not_stop_the_others_and_the_run_is_repeated() -> None:
    engine, clock = FakeEngine(), FakeClock(START)
    broken, inbox = Recording(fails=True), Recording(rows=1)
    retention = worker(engine, clock, ("outbox", broken), ("inbox", inbox))

    done, failed = await retention.run_once()

    assert (done, failed) == (0, True)
    assert [recorded(connection)["shredder"] for connection in engine.committed] == ["inbox"]
    # Not waiting for the interval: the next round (after the polling worker's pause) tries again.
    clock.move(timedelta(seconds=30))
    broken.fails = False
    assert await retention.run_once() == (0, False)
    assert len(broken.calls) == 2 and len(inbox.calls) == 2


def test_a_moved_clock_is_ahead_of_the_machines_by_its_offset() -> None:
    moved = Clock.moved_by(40 * 86400)
    difference = moved.now() - Clock().now()
    assert timedelta(days=40) - timedelta(seconds=5) < difference <= timedelta(days=40)


def test_today_is_the_date_in_the_given_zone() -> None:
    # 23:30 UTC on 4 January is already 5 January in Amsterdam, still 4 January in UTC.
    late = FakeClock(datetime(2027, 1, 4, 23, 30, tzinfo=UTC))
    assert late.today(ZoneInfo("Europe/Amsterdam")) == date(2027, 1, 5)
    assert late.today(UTC) == date(2027, 1, 4)


@pytest.mark.parametrize(
    ("package", "names"),
    [
        (
            "enrolment",
            [
                "outbox",
                "inbox",
                "retention-runs",
                "answered-referrals",
                "completed-referrals",
                "expired-completions",
            ],
        ),
        ("scheduling", ["outbox", "inbox", "retention-runs", "finished-courses"]),
        ("notifications", ["outbox", "inbox", "retention-runs", "mail-bodies", "old-notices"]),
    ],
)
def test_each_service_runs_the_retention_job_with_its_shredders(
    package: str, names: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    bootstrap = importlib.import_module(f"{package}.bootstrap")
    settings = importlib.import_module(f"{package}.settings").Settings(
        database_url="postgresql+asyncpg://nobody@127.0.0.1:1/none",
        clock_offset=60.0,
        allow_clock_offset=True,
    )
    seen: dict[str, Any] = {}
    monkeypatch.setattr(bootstrap, "consuming_service", lambda **wiring: seen.update(wiring))

    bootstrap.build_app(settings)  # builds only; nothing connects

    [retention] = [w for w in seen["workers"] if isinstance(w, RetentionWorker)]
    assert [shredder.name for shredder in retention.shredders] == names
    assert retention.clock.offset == timedelta(seconds=60)
