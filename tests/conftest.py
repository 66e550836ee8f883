"""Fixtures shared by every floor of tests: the real broker and database, per test run.

RabbitMQ and PostgreSQL come from `AMQP_URL` and `DATABASE_URL` when set (the database URL
names the server; each test makes databases of its own). Without them, and with a Docker
engine present, the compose file's `rabbitmq` and `postgres` services are started with
testcontainers. Otherwise the defaults are the local servers on 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import aio_pika
import pytest
from aio_pika.abc import AbstractRobustConnection

from tests.support.broker import Namespace, delete_namespace
from tests.support.databases import Databases
from tests.support.users import ensure_users, url_as

ROOT = Path(__file__).resolve().parent.parent
RUN_ID = f"t{secrets.token_hex(4)}"
SERVICES = ["enrolment", "scheduling", "notifications"]

# The tests' services and commands all connect as `guest`: guest holds every role (partners come
# from tests/support/enrolment.yaml). Set here so that service processes inherit it too.
os.environ.setdefault(
    "PUBLISHERS", json.dumps({"coordinator": ["guest"], "enrolment": ["guest"], "scheduling": ["guest"]})
)


def _docker_engine_present() -> bool:
    if shutil.which("docker") is None:
        return False
    return subprocess.run(["docker", "info"], capture_output=True, check=False).returncode == 0


@pytest.fixture(scope="session")
def servers() -> Iterator[tuple[str, str]]:
    """(AMQP URL, PostgreSQL server URL) of the servers this run uses."""
    amqp = os.environ.get("AMQP_URL")
    database = os.environ.get("DATABASE_URL")
    if amqp is None and database is None and _docker_engine_present():
        from testcontainers.compose import DockerCompose

        with DockerCompose(ROOT, services=["rabbitmq", "postgres"], wait=True) as compose:
            rabbit_port = compose.get_service_port("rabbitmq", 5672)
            pg_port = compose.get_service_port("postgres", 5432)
            yield (
                f"amqp://admin:taalhuis-admin-demo@127.0.0.1:{rabbit_port}/",
                f"postgresql+asyncpg://postgres:postgres-demo@127.0.0.1:{pg_port}/postgres",
            )
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
