"""The life of a service process: declare topology, start background workers, stop gracefully.

Workers are background loops such as the outbox relay. A heartbeat file, touched while the
broker answers and every worker runs, is what the container health check looks at.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, Protocol

from faststream import FastStream
from faststream.rabbit import RabbitBroker, RabbitRouter
from sqlalchemy.ext.asyncio import AsyncEngine

from .db import database_answers, upgrade_schema
from .events.envelope import CloudEvent
from .logs import configure_logging
from .messaging.consumer import Answer, BatchKey, Consumer, Handler, Prepare
from .messaging.settings import ServiceSettings
from .messaging.topology import Topology
from .messaging.trust import Publishers
from .messaging.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

HEARTBEAT_EVERY = 5.0


class Worker(Protocol):
    @property
    def alive(self) -> bool: ...

    def start(self) -> None: ...

    async def stop(self) -> None: ...


def consuming_service(
    *,
    settings: ServiceSettings,
    broker: RabbitBroker,
    topology: Topology,
    engine: AsyncEngine,
    handlers: Mapping[type[CloudEvent], Handler],
    unit_of_work: Callable[[], UnitOfWork[Any]],
    build_router: Callable[[Consumer], RabbitRouter],
    workers: list[Worker],
    answer: Answer | None = None,
    partner_users: Iterable[str] = (),
    batch_key: BatchKey | None = None,
    prepare: Prepare | None = None,
) -> FastStream:
    """A service from its handler table: the shared gate and handling step in front of it.

    With `batch_key`, events that get a key are handled in batches per key (`Consumer`), and
    `prepare` loads what a batch needs before its events are handled.
    """

    async def healthy() -> bool:
        return await database_answers(engine)

    consumer = Consumer(
        broker,
        topology,
        handlers,
        unit_of_work,
        Publishers.of(settings.publishers, partner_users),
        healthy,
        answer,
        settings.outage_patience,
        batch_key=batch_key,
        prepare=prepare,
        batch_size=settings.batch_size,
    )
    broker.include_router(build_router(consumer))
    return service_app(
        broker=broker,
        topology=topology,
        routing_keys=consumer.routing_keys,
        engine=engine,
        workers=workers,
        heartbeat_file=settings.heartbeat_file,
    )


def service_app(
    *,
    broker: RabbitBroker,
    topology: Topology,
    routing_keys: list[str],
    engine: AsyncEngine,
    workers: list[Worker],
    heartbeat_file: str | None,
) -> FastStream:
    heartbeat: list[asyncio.Task[None]] = []

    async def declare_topology() -> None:
        await broker.connect()
        await topology.declare(broker, routing_keys)

    async def start_workers() -> None:
        for worker in workers:
            worker.start()
        if heartbeat_file:
            heartbeat.append(asyncio.create_task(_beat(Path(heartbeat_file), broker, workers)))

    async def stop_workers() -> None:
        # Consuming stops first (each subscriber finishes the messages in hand, up to the
        # graceful timeout); then the workers publish and send what those handlers committed.
        for subscriber in broker.subscribers:
            await subscriber.stop()
        for task in heartbeat:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for worker in workers:
            await worker.stop()

    async def release_database() -> None:
        await engine.dispose()

    return FastStream(
        broker,
        on_startup=[declare_topology],
        after_startup=[start_workers],
        on_shutdown=[stop_workers],
        after_shutdown=[release_database],
    )


async def _beat(path: Path, broker: RabbitBroker, workers: list[Worker]) -> None:
    while True:
        healthy = all(w.alive for w in workers) and await broker.ping(timeout=3.0)
        if healthy:
            path.write_text(str(time.time()))  # noqa: ASYNC240 (a few bytes on local disk)
        else:
            log.warning("unhealthy: broker or a background worker is down")
        await asyncio.sleep(HEARTBEAT_EVERY)


def is_healthy(path: Path, max_age: float = 3 * HEARTBEAT_EVERY) -> bool:
    try:
        return time.time() - float(path.read_text()) < max_age
    except (OSError, ValueError):
        return False


def run_service(
    settings_class: Callable[[], ServiceSettings],
    build_app: Callable[[Any], FastStream],
    migrations: Path,
) -> None:
    """The `python -m <service>` of every service: settings, logging, schema to head, consume.

    Runs until SIGTERM; a mistake in the settings or the service's files stops it here, at start.
    """

    async def main() -> None:
        settings = settings_class()
        configure_logging(settings.log_level)
        await upgrade_schema(settings.database_url, migrations)
        await build_app(settings).run()

    asyncio.run(main())
