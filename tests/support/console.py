"""The console's read model compared with a replay of the events it consumed, into a fresh database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import func, select

import console
from console.adapters.repository import ConsoleRepository
from console.adapters.tables import READ_MODEL
from console.service_layer.projection import HANDLERS
from taalhuis_shared.db import make_engine, upgrade_schema
from taalhuis_shared.events import CATALOGUE
from taalhuis_shared.messaging import store
from taalhuis_shared.messaging.unit_of_work import UnitOfWork

from .broker import Tap
from .databases import Databases
from .waiting import eventually

MIGRATIONS = Path(console.__file__).parent / "migrations"


def consumed(tap: Tap) -> list[dict[str, Any]]:
    """What the tap saw of the event types the console consumes, in the order they came."""
    types = {envelope.__name__ for envelope in HANDLERS}
    return [r.event for r in tap.received if f"{r.event['type']}V{r.event.get('dataversion', '1')}" in types]


async def read_model(database_url: str) -> dict[str, list[dict[str, Any]]]:
    engine = make_engine(database_url)
    try:
        async with engine.connect() as connection:
            return {
                table.name: [
                    dict(row._mapping)
                    for row in await connection.execute(select(table).order_by(*table.primary_key.columns))
                ]
                for table in READ_MODEL
            }
    finally:
        await engine.dispose()


async def replayed(events: list[dict[str, Any]], live_url: str, databases: Databases) -> str:
    """Once the live console handled them all: the events replayed into a fresh database (its URL)."""

    async def all_handled() -> bool:
        engine = make_engine(live_url)
        try:
            async with engine.connect() as connection:
                handled = await connection.scalar(select(func.count()).select_from(store.inbox))
        finally:
            await engine.dispose()
        return int(handled or 0) >= len({e["id"] for e in events})

    await eventually(all_handled, timeout=30, what="the console handled every event the tap saw")
    fresh = await databases.create("console_replay")
    await upgrade_schema(fresh, MIGRATIONS)
    engine = make_engine(fresh)
    try:
        for raw in events:
            event = CATALOGUE[f"{raw['type']}.v{raw.get('dataversion', '1')}"].model_validate(raw)
            async with UnitOfWork(engine, ConsoleRepository) as uow:
                if await uow.first_time(event):
                    await HANDLERS[type(event)](event, "guest", uow)
    finally:
        await engine.dispose()
    return fresh
