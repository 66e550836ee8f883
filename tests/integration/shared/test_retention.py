"""The shared shredders on each service's real, migrated database, with the clock moved forward.

Rows are written with their real times; the retention worker then runs with a clock moved past
the period for the old rows only. What has expired by the moved clock is gone, what has not
stays, and each run leaves a record with its count.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

import enrolment
import notifications
import scheduling
from taalhuis_shared.clock import Clock
from taalhuis_shared.db import upgrade_schema
from taalhuis_shared.messaging.store import inbox, outbox
from taalhuis_shared.retention import RetentionWorker, inbox_rows, published_outbox_rows, retention_runs
from tests.support.databases import Databases
from tests.support.waiting import eventually

SERVICES = {
    "enrolment": Path(enrolment.__file__).parent / "migrations",
    "scheduling": Path(scheduling.__file__).parent / "migrations",
    "notifications": Path(notifications.__file__).parent / "migrations",
}
DAY = timedelta(days=1)


@pytest.fixture(params=sorted(SERVICES))
async def engine(request: pytest.FixtureRequest, databases: Databases) -> AsyncIterator[AsyncEngine]:
    """A database migrated by the service's own revisions."""
    url = await databases.create(f"retention_{request.param}")
    await upgrade_schema(url, SERVICES[request.param])
    engine = create_async_engine(url)
    yield engine
    await engine.dispose()


async def database_now(engine: AsyncEngine) -> datetime:
    async with engine.connect() as connection:
        moment = await connection.scalar(select(func.now()))
    assert isinstance(moment, datetime)
    return moment


async def runs(engine: AsyncEngine) -> list[tuple[str, int]]:
    async with engine.connect() as connection:
        rows = await connection.execute(
            select(retention_runs.c.shredder, retention_runs.c.rows_affected).order_by(retention_runs.c.id)
        )
        return [(row.shredder, row.rows_affected) for row in rows]


async def test_published_outbox_rows_older_than_the_period_are_deleted(engine: AsyncEngine) -> None:
    now = await database_now(engine)
    async with engine.begin() as connection:
        for event_id, created, published in [
            ("published-5-days-ago", now - 5 * DAY, now - 5 * DAY),
            ("published-now", now, now),
            ("never-published", now - 100 * DAY, None),
        ]:
            await connection.execute(
                insert(outbox).values(
                    event_id=event_id,
                    event_type="Test",
                    body=b"{}",
                    created_at=created,
                    published_at=published,
                )
            )

    # 27 days on, the row published 5 days ago is 32 days old; the one published now only 27.
    clock = Clock(offset=27 * DAY)
    await RetentionWorker(engine, [published_outbox_rows(30)], clock, interval=3600).run_once()

    async with engine.connect() as connection:
        left = set(await connection.scalars(select(outbox.c.event_id)))
    assert left == {"published-now", "never-published"}, "unpublished events are never removed"
    assert await runs(engine) == [("outbox", 1)]


async def test_inbox_rows_older_than_the_period_are_deleted(engine: AsyncEngine) -> None:
    now = await database_now(engine)
    async with engine.begin() as connection:
        for event_id, handled in [("handled-long-ago", now - 10 * DAY), ("handled-now", now)]:
            await connection.execute(
                insert(inbox).values(
                    source="urn:test", event_id=event_id, event_type="Test", handled_at=handled
                )
            )
    worker = RetentionWorker(engine, [inbox_rows(90)], Clock(offset=85 * DAY), interval=3600)

    await worker.run_once()

    async with engine.connect() as connection:
        left = set(await connection.scalars(select(inbox.c.event_id)))
    assert left == {"handled-now"}
    assert await runs(engine) == [("inbox", 1)]


async def test_the_running_worker_records_a_run_of_each_shredder_at_start(engine: AsyncEngine) -> None:
    worker = RetentionWorker(engine, [published_outbox_rows(30), inbox_rows(90)], Clock(), interval=3600)
    worker.start()
    try:

        async def both_recorded() -> bool:
            return len(await runs(engine)) >= 2

        await eventually(both_recorded, what="the first run's records")
        assert await runs(engine) == [("outbox", 0), ("inbox", 0)]
    finally:
        await worker.stop()
    assert await runs(engine) == [("outbox", 0), ("inbox", 0)], "the last round came before the interval"
