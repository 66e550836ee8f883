"""The console in this process (consumer, relay, web app over ASGI), enrolment beside it when needed."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

import console
from console.adapters.repository import ConsoleRepository
from console.bootstrap import Console, build
from console.domain.model import Role, User
from console.service_layer.actions import hash_password
from console.settings import Settings
from taalhuis_shared.db import make_engine, upgrade_schema
from taalhuis_shared.messaging import store
from taalhuis_shared.messaging.unit_of_work import UnitOfWork
from tests.integration.enrolment.conftest import enrolment_settings, running_enrolment  # noqa: F401
from tests.support.broker import Namespace
from tests.support.databases import Databases

MIGRATIONS = Path(console.__file__).parent / "migrations"
PASSWORD = "een-goed-wachtwoord"
USERS = [
    User("coordinator", Role.COORDINATOR),
    User("promen", Role.PARTNER, "promen"),
    User("gouwe", Role.PARTNER, "gouwe"),
    User("docent", Role.VIEWER),
]


@pytest.fixture
async def console_settings(databases: Databases, namespace: Namespace, amqp_url: str) -> Settings:
    database_url = await databases.create("console")
    await upgrade_schema(database_url, MIGRATIONS)
    settings = Settings(
        amqp_url=amqp_url,
        database_url=database_url,
        events_exchange=namespace.events_exchange,
        queue_prefix=namespace.queue_prefix,
        outbox_poll_interval=0.2,
        session_cookie_secure=False,  # the test client speaks http
    )
    engine = make_engine(database_url)
    try:
        async with UnitOfWork(engine, ConsoleRepository) as uow:
            for user in USERS:
                await uow.repository.add_user(user, hash_password(PASSWORD))
    finally:
        await engine.dispose()
    return settings


@pytest.fixture
async def running_console(console_settings: Settings) -> AsyncIterator[Console]:
    running = build(console_settings, serve_http=False)
    await running.app.start()
    try:
        yield running
    finally:
        await running.app.stop()


Browser = Callable[[], Any]


@pytest.fixture
async def browser(running_console: Console) -> AsyncIterator[Browser]:
    """`browser()`: a fresh client with its own cookies, talking to the console's web app."""
    clients: list[httpx.AsyncClient] = []

    def new() -> httpx.AsyncClient:
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=running_console.web), base_url="http://test"
        )
        clients.append(client)
        return client

    yield new
    for client in clients:
        await client.aclose()


def csrf_of(page: httpx.Response) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found, "every form carries a CSRF token"
    return found.group(1)


async def log_in(client: httpx.AsyncClient, name: str, password: str = PASSWORD) -> httpx.Response:
    token = csrf_of(await client.get("/inloggen"))
    return await client.post("/inloggen", data={"naam": name, "wachtwoord": password, "csrf_token": token})


async def post_form(
    client: httpx.AsyncClient, page_url: str, action: str, data: dict[str, Any]
) -> httpx.Response:
    """Submit a form as a browser would: the token from the page it is on."""
    token = csrf_of(await client.get(page_url))
    return await client.post(action, data={**data, "csrf_token": token})


@asynccontextmanager
async def connected(settings: Settings) -> AsyncIterator[Any]:
    engine = make_engine(settings.database_url)
    try:
        async with engine.connect() as connection:
            yield connection
    finally:
        await engine.dispose()


async def outbox_count(settings: Settings) -> int:
    async with connected(settings) as connection:
        return int((await connection.execute(select(func.count()).select_from(store.outbox))).scalar_one())
