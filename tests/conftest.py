"""Fixtures shared by every floor of tests: the real broker and database, per test run.

RabbitMQ and PostgreSQL come from `AMQP_URL` and `DATABASE_URL` when set (the database URL
names the server; each test makes databases of its own). Without them, and with a Docker
engine present, the compose file's `rabbitmq` and `postgres` services are started with
testcontainers, connecting as the RabbitMQ admin that compose creates from the environment.
Otherwise the defaults are the local servers on 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from urllib.parse import quote

import aio_pika
import pytest
from aio_pika.abc import AbstractRobustConnection
from dotenv import dotenv_values

from tests.support.broker import Namespace, delete_namespace
from tests.support.databases import Databases
from tests.support.users import ensure_users, url_as

ROOT = Path(__file__).resolve().parent.parent
RUN_ID = f"t{secrets.token_hex(4)}"
SERVICES = ["enrolment", "scheduling", "notifications", "console"]

# The tests' services and commands all connect as `guest`: guest holds every role (partners come
# from tests/support/enrolment.yaml). Set here so that service processes inherit it too.
os.environ.setdefault(
    "PUBLISHERS",
    json.dumps(
        {role: ["guest"] for role in ("coordinator", "enrolment", "scheduling", "notifications", "console")}
    ),
)


def _docker_engine_present() -> bool:
    if shutil.which("docker") is None:
        return False
    return subprocess.run(["docker", "info"], capture_output=True, check=False).returncode == 0


def _rabbitmq_admin() -> tuple[str, str]:
    """The compose RabbitMQ's admin, as the compose file takes it: RABBITMQ_ADMIN_USER and
    RABBITMQ_ADMIN_PASSWORD from the environment, else from the operator's `.env`; without a
    password there, one made up for this run (the repository holds none)."""
    dotenv = {key: value for key, value in dotenv_values(ROOT / ".env").items() if value}
    user = os.environ.get("RABBITMQ_ADMIN_USER") or dotenv.get("RABBITMQ_ADMIN_USER") or "admin"
    password = os.environ.get("RABBITMQ_ADMIN_PASSWORD") or dotenv.get("RABBITMQ_ADMIN_PASSWORD")
    return user, password or secrets.token_urlsafe(24)


@pytest.fixture(scope="session")
def servers() -> Iterator[tuple[str, str]]:
    """(AMQP URL, PostgreSQL server URL) of the servers this run uses."""
    amqp = os.environ.get("AMQP_URL")
    database = os.environ.get("DATABASE_URL")
    if amqp is None and database is None and _docker_engine_present():
        from testcontainers.compose import DockerCompose

        admin, password = _rabbitmq_admin()
        # Compose takes the admin from the environment before `.env`: the same value both ways.
        saved = {key: os.environ.get(key) for key in ("RABBITMQ_ADMIN_USER", "RABBITMQ_ADMIN_PASSWORD")}
        os.environ.update(RABBITMQ_ADMIN_USER=admin, RABBITMQ_ADMIN_PASSWORD=password)
        try:
            with DockerCompose(ROOT, services=["rabbitmq", "postgres"], wait=True) as compose:
                rabbit_port = compose.get_service_port("rabbitmq", 5672)
                pg_port = compose.get_service_port("postgres", 5432)
                yield (
                    f"amqp://{admin}:{quote(password, safe='')}@127.0.0.1:{rabbit_port}/",
                    f"postgresql+asyncpg://postgres:postgres-demo@127.0.0.1:{pg_port}/postgres",
                )
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
        return
    yield (
        amqp or "amqp://guest:guest@127.0.0.1:5672/",
        database or "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres",
    )


@pytest.fixture(scope="session")
def amqp_url(servers: tuple[str, str]) -> str:
    return servers[0]


@pytest.fixture(scope="session")
async def databases(servers: tuple[str, str]) -> AsyncIterator[Databases]:
    created = Databases(servers[1], RUN_ID)
    yield created
    await created.drop_all()


@pytest.fixture(scope="session")
async def rabbit(amqp_url: str) -> AsyncIterator[AbstractRobustConnection]:
    connection = await aio_pika.connect_robust(amqp_url)
    yield connection
    await connection.close()


@pytest.fixture
async def namespace(rabbit: AbstractRobustConnection) -> AsyncIterator[Namespace]:
    """An exchange and queue names of this test's own; deleted afterwards."""
    space = Namespace.new(RUN_ID)
    yield space
    await delete_namespace(rabbit, space, SERVICES)


@pytest.fixture(scope="session")
def users() -> None:
    """The tests' own RabbitMQ users beside guest (see tests/support/users.py)."""
    ensure_users()


@pytest.fixture
async def rabbit_as(
    amqp_url: str, users: None
) -> AsyncIterator[Callable[[str], Awaitable[AbstractRobustConnection]]]:
    """`await rabbit_as(user)`: a connection as another RabbitMQ user, closed after the test."""
    opened: list[AbstractRobustConnection] = []

    async def connect(user: str) -> AbstractRobustConnection:
        connection = await aio_pika.connect_robust(url_as(amqp_url, user))
        opened.append(connection)
        return connection

    yield connect
    for connection in opened:
        await connection.close()
