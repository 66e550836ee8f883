"""Enrolment running in this process against the real RabbitMQ and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from aio_pika.abc import AbstractRobustConnection

import enrolment
from enrolment.bootstrap import build_app
from enrolment.settings import Settings
from taalhuis_shared.db import upgrade_schema
from tests.support.broker import Namespace
from tests.support.databases import Databases
from tests.support.referrals import ENROLMENT_FILE

MIGRATIONS = Path(enrolment.__file__).parent / "migrations"


@pytest.fixture
async def enrolment_settings(databases: Databases, namespace: Namespace, amqp_url: str) -> Settings:
    database_url = await databases.create("enrolment")
    await upgrade_schema(database_url, MIGRATIONS)
    return Settings(
        amqp_url=amqp_url,
        database_url=database_url,
        events_exchange=namespace.events_exchange,
        queue_prefix=namespace.queue_prefix,
        outbox_poll_interval=0.2,
        enrolment_file=str(ENROLMENT_FILE),
    )


RunningEnrolment = Callable[..., Any]
ConnectAs = Callable[[str], Awaitable[AbstractRobustConnection]]


@pytest.fixture
def running_enrolment(enrolment_settings: Settings) -> RunningEnrolment:
    """`async with running_enrolment(**overrides):` runs the service app until the block ends."""

    @asynccontextmanager
    async def run(**overrides: Any) -> AsyncIterator[Settings]:
        settings = enrolment_settings.model_copy(update=overrides)
        app = build_app(settings)
        await app.start()
        try:
            yield settings
        finally:
            await app.stop()

    return run
