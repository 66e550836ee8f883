"""Inbox and outbox tables: written in the same transaction as the change they belong to.

The inbox records every handled event (by source and id), so that a redelivered or republished
event is recognised and changes nothing. The outbox holds the events a change causes until the
relay has published them; published rows stay, with their time, for operations to look at.

These definitions are what the code expects; each service's migrations create the tables with
their own explicit operations, so a change here needs a new revision in every service.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    func,
    insert,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from ..events.envelope import CloudEvent

metadata = MetaData()

inbox = Table(
    "inbox",
    metadata,
    Column("source", String(500), primary_key=True),
    Column("event_id", String(200), primary_key=True),
    Column("event_type", String(200), nullable=False),
    Column("handled_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

outbox = Table(
    "outbox",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=True),
    Column("event_id", String(200), nullable=False, unique=True),
    Column("event_type", String(200), nullable=False),
    Column("body", LargeBinary, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("published_at", DateTime(timezone=True), nullable=True, index=True),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("last_error", Text, nullable=True),
)
# The relay's round: the oldest rows not yet published, in order. Without it each round sorted
# the whole backlog (a sort that grows with it, so a relay once behind fell further behind).
Index("ix_outbox_unpublished", outbox.c.seq, postgresql_where=outbox.c.published_at.is_(None))


async def first_time(
    connection: AsyncConnection, event: CloudEvent, handled_at: datetime | None = None
) -> bool:
    """Record `event` as handled; False if it was handled before (then change nothing).

    A concurrent transaction holding the same event waits here until it commits or rolls back,
    so two deliveries of one event cannot both go on. `handled_at` is the service's clock (the
    inbox period counts from it); without it the database's.
    """
    when = {} if handled_at is None else {"handled_at": handled_at}
    claimed = await connection.execute(
        pg_insert(inbox)
        .values(source=event.source, event_id=event.id, event_type=event.type, **when)
        .on_conflict_do_nothing()
        .returning(inbox.c.event_id)
    )
    return claimed.first() is not None


async def add_to_outbox(connection: AsyncConnection, event: dict[str, Any]) -> None:
    """Keep an event (a CloudEvent as built by `new_event`) for the relay to publish."""
    await add_many_to_outbox(connection, [event])


async def add_many_to_outbox(connection: AsyncConnection, events: list[dict[str, Any]]) -> None:
    """Keep events for the relay; the relay publishes them in this order.

    One executemany of a statement compiled once (SQLAlchemy caches it): an INSERT carrying every
    row's values would be compiled anew for each batch.
    """
    await connection.execute(
        insert(outbox),
        [
            {
                "event_id": event["id"],
                "event_type": event["type"],
                "body": json.dumps(event, ensure_ascii=False).encode(),
            }
            for event in events
        ],
    )


CLAIM = text(
    "INSERT INTO inbox (source, event_id, event_type, handled_at) "
    "SELECT source, event_id, event_type, :handled_at "
    "FROM unnest(CAST(:sources AS varchar[]), CAST(:ids AS varchar[]), CAST(:types AS varchar[])) "
    "AS claimed(source, event_id, event_type) "
    "ON CONFLICT DO NOTHING RETURNING source, event_id"
)


async def claim(
    connection: AsyncConnection, events: Sequence[CloudEvent], handled_at: datetime
) -> set[tuple[str, str]]:
    """Record a batch's events as handled in one statement; returns (source, id) of those new.

    An event twice in the batch is new once. As with `first_time`, a concurrent transaction
    holding one of these events makes this one wait until it ends.
    """
    rows = await connection.execute(
        CLAIM,
        {
            "sources": [event.source for event in events],
            "ids": [event.id for event in events],
            "types": [event.type for event in events],
            "handled_at": handled_at,
        },
    )
    return {(row.source, row.event_id) for row in rows}


async def pending_count(connection: AsyncConnection) -> int:
    result = await connection.execute(
        select(func.count()).select_from(outbox).where(outbox.c.published_at.is_(None))
    )
    return int(result.scalar_one())
