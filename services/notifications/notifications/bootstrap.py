"""Wires notifications together: the one place that builds engine, broker, mail sender and handlers."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from zoneinfo import ZoneInfo

from faststream import FastStream
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from taalhuis_shared import erasure
from taalhuis_shared.clock import Clock
from taalhuis_shared.db import make_engine
from taalhuis_shared.events import CloudEvent
from taalhuis_shared.messaging.broker import service_broker
from taalhuis_shared.messaging.relay import OutboxRelay
from taalhuis_shared.messaging.topology import Topology
from taalhuis_shared.messaging.unit_of_work import UnitOfWork
from taalhuis_shared.retention import retention_worker
from taalhuis_shared.runtime import Worker, consuming_service
from taalhuis_shared.web import WebServer

from .adapters import erasure as erasing
from .adapters.mail_sender import MailSender, MailServer
from .adapters.repository import NoticeRepository
from .adapters.retention import mail_bodies, old_notices
from .domain.calendar import FeedLinks
from .domain.notices import Audience, Window
from .entrypoints.feed import feed_app
from .entrypoints.messaging import NOTIFIED, build_router
from .service_layer import handlers
from .service_layer.unit_of_work import NoticeUnitOfWork
from .settings import Settings

SERVICE = "notifications"
SOURCE = "urn:taalhuis:notifications"
MIGRATIONS = Path(__file__).parent / "migrations"


def topology(settings: Settings) -> Topology:
    return Topology.of(settings, SERVICE)


def audience(settings: Settings) -> Audience:
    return Audience(
        settings.coordinator_email, dict(settings.partner_contacts), dict(settings.recipient_languages)
    )


def windows(settings: Settings) -> Mapping[Window, float]:
    return {"now": 0.0, "batch": settings.batch_window, "digest": settings.digest_window}


def max_waits(settings: Settings) -> Mapping[Window, float]:
    """How long a batch may wait at most after its first notice; `windows` for the kinds not here.

    The batch window is a quiet period (it counts from a person's latest notice), bounded by this.
    """
    return {"batch": max(settings.batch_max_wait, settings.batch_window)}


def feed_links(settings: Settings) -> FeedLinks | None:
    if settings.feed_secret is None:
        return None
    return FeedLinks(settings.feed_base_url, settings.feed_secret.get_secret_value())


def mail_sender(settings: Settings, engine: AsyncEngine, clock: Clock) -> MailSender:
    server = MailServer(
        settings.smtp_host,
        settings.smtp_port,
        settings.smtp_username,
        settings.smtp_password,
        settings.smtp_tls,
    )
    return MailSender(
        engine,
        server,
        mail_from=settings.mail_from,
        audience=audience(settings),
        timezone=ZoneInfo(settings.timezone),
        poll_interval=settings.mail_poll_interval,
        connections=settings.smtp_connections,
        clock=clock,
        feed=feed_links(settings),
    )


def unit_of_work(
    settings: Settings, engine: AsyncEngine, clock: Clock, relay: OutboxRelay
) -> UnitOfWork[NoticeRepository]:
    batching, bounds = windows(settings), max_waits(settings)

    def repository(connection: AsyncConnection) -> NoticeRepository:
        return NoticeRepository(connection, batching, clock, bounds, settings.measure_max_wait)

    return NoticeUnitOfWork(engine, repository, relay.wake, clock=clock)


def build_app(settings: Settings) -> FastStream:
    """Build the whole service without connecting to anything; connecting happens on start."""
    queues = topology(settings)
    clock = Clock.of(settings)  # everything below that decides by time follows this one
    engine = make_engine(settings.database_url)
    broker = service_broker(settings)
    sender = mail_sender(settings, engine, clock)
    readers = audience(settings)
    relay = OutboxRelay.of(settings, engine, broker, queues, clock)
    # Scheduling's last messages about the person (a withdrawal) come before its answer.
    steps = erasure.ErasureSteps(SERVICE, SOURCE, erasing.erase, erasing.in_flight)
    eraser = erasure.eraser(settings, engine, queues, steps, relay.wake, clock)

    async def notify(event: CloudEvent, publisher: str, uow: UnitOfWork[NoticeRepository]) -> None:
        if await handlers.notify(event, uow, readers):
            uow.after_commit(sender.wake)  # the sender sees the notices once they are committed

    workers: list[Worker] = [
        sender,
        relay,
        eraser,
        retention_worker(
            settings,
            engine,
            clock,
            [mail_bodies(settings.mail_body_retention_days), old_notices(settings.mail_body_retention_days)],
        ),
    ]
    if (links := feed_links(settings)) is not None:
        feeds = feed_app(
            engine,
            links,
            audience=readers,
            mail_from=settings.mail_from,
            timezone=ZoneInfo(settings.timezone),
            clock=clock,
        )
        workers.append(WebServer(feeds, settings.http_host, settings.http_port))

    return consuming_service(
        settings=settings,
        broker=broker,
        topology=queues,
        engine=engine,
        handlers={**dict.fromkeys(NOTIFIED, notify), **erasure.handlers_for(eraser, ["scheduling"])},
        unit_of_work=lambda: unit_of_work(settings, engine, clock, relay),
        build_router=build_router,
        batch_key=handlers.batch_key,
        prepare=handlers.prepare,
        workers=workers,
    )
