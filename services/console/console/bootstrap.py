"""Wires the console together: the one place that builds engine, broker, relay, web app and handlers."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from faststream import FastStream

from taalhuis_shared import erasure
from taalhuis_shared.clock import Clock
from taalhuis_shared.db import make_engine
from taalhuis_shared.messaging.broker import service_broker
from taalhuis_shared.messaging.relay import OutboxRelay
from taalhuis_shared.messaging.topology import Topology
from taalhuis_shared.messaging.unit_of_work import UnitOfWork
from taalhuis_shared.runtime import Worker, consuming_service
from taalhuis_shared.web import WebServer

from .adapters import erasure as erasing
from .adapters.repository import ConsoleRepository
from .domain.model import Role, User
from .entrypoints.messaging import build_router
from .entrypoints.web import build_web
from .service_layer.actions import SOURCE, Actions, hash_password
from .service_layer.projection import HANDLERS
from .settings import Settings

SERVICE = "console"
log = logging.getLogger(__name__)

# Created at start when DEMO_PASSWORD is set (compose's demo): one of each role.
DEMO_USERS = (
    User("coordinator", Role.COORDINATOR),
    User("promen", Role.PARTNER, "promen"),
    User("docent", Role.VIEWER),
)


@dataclass(frozen=True)
class Console:
    app: FastStream  # consumer, relay and (unless left out) the web server, in one process
    web: FastAPI


class DemoUsers:
    """Creates the demo users once at start (a user that exists keeps its password)."""

    name = "demo-users"

    def __init__(self, unit_of_work: Callable[[], UnitOfWork[ConsoleRepository]], password: str) -> None:
        self._unit_of_work = unit_of_work
        self._password = password
        self._task: asyncio.Task[None] | None = None

    @property
    def alive(self) -> bool:
        return self._task is None or not self._task.done() or self._task.exception() is None

    def start(self) -> None:
        self._task = asyncio.create_task(self._create())

    async def stop(self) -> None:
        if self._task is not None:
            with contextlib.suppress(Exception):
                await self._task

    async def _create(self) -> None:
        async with self._unit_of_work() as uow:
            for user in DEMO_USERS:
                if await uow.repository.add_user(user, hash_password(self._password)):
                    log.info("demo user %s created (role %s)", user.name, user.role.value)


def topology(settings: Settings) -> Topology:
    return Topology.of(settings, SERVICE)


def build(settings: Settings, *, serve_http: bool = True) -> Console:
    """Build the whole service without connecting to anything; connecting happens on start.

    Without `serve_http` the pages are not served on a port (tests drive `web` over ASGI).
    """
    queues = topology(settings)
    clock = Clock.of(settings)
    engine = make_engine(settings.database_url, pre_ping=True)
    broker = service_broker(settings)
    relay = OutboxRelay.of(settings, engine, broker, queues, clock)
    unit_of_work = functools.partial(UnitOfWork, engine, ConsoleRepository, relay.wake, clock=clock)
    actions = Actions(unit_of_work, clock, settings.login_max_failures, settings.login_failure_window)
    web = build_web(settings, actions, unit_of_work)
    # Scheduling's last messages about an erased person (a withdrawal) come before its answer.
    eraser = erasure.eraser(
        settings, engine, queues, erasure.ErasureSteps(SERVICE, SOURCE, erasing.erase), relay.wake, clock
    )
    workers: list[Worker] = [relay, eraser]
    if serve_http:
        workers.append(WebServer(web, settings.http_host, settings.http_port))

    if settings.demo_password:
        workers.append(DemoUsers(unit_of_work, settings.demo_password))
    app = consuming_service(
        settings=settings,
        broker=broker,
        topology=queues,
        engine=engine,
        handlers={**HANDLERS, **erasure.handlers_for(eraser, ["scheduling"])},
        unit_of_work=unit_of_work,
        build_router=build_router,
        workers=workers,
    )
    return Console(app, web)


def build_app(settings: Any) -> FastStream:
    return build(settings).app
