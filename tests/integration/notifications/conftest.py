"""Notifications against the real PostgreSQL, a real SMTP server and (for the app) RabbitMQ."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from notifications.bootstrap import MIGRATIONS
from taalhuis_shared.db import upgrade_schema
from tests.support.databases import Databases
from tests.support.smtp import SmtpServer


@pytest.fixture
async def database_url(databases: Databases) -> str:
    url = await databases.create("notifications")
    await upgrade_schema(url, MIGRATIONS)
    return url


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    """A running SMTP server that keeps what it receives."""
    server = SmtpServer()
    server.start()
    yield server
    server.stop()
