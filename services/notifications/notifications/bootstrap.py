"""Wires notifications together: the one place that builds engine, broker, mail sender and handlers."""

from __future__ import annotations

import functools
from pathlib import Path
from zoneinfo import ZoneInfo

from faststream import FastStream
from sqlalchemy.ext.asyncio import AsyncEngine

from taalhuis_shared.db import make_engine
from taalhuis_shared.events import CourseScheduledV1
from taalhuis_shared.messaging.broker import service_broker
from taalhuis_shared.messaging.topology import Topology
from taalhuis_shared.messaging.unit_of_work import UnitOfWork
from taalhuis_shared.runtime import service_app

from .adapters.mail_sender import MailSender, MailServer
from .adapters.repository import MailRepository
from .domain.mails import domain_of
from .entrypoints.messaging import CONSUMES, build_router
from .service_layer import handlers
from .settings import Settings

SERVICE = "notifications"
MIGRATIONS = Path(__file__).parent / "migrations"


def topology(settings: Settings) -> Topology:
    return Topology.of(settings, SERVICE)


def mail_sender(settings: Settings, engine: AsyncEngine) -> MailSender:
    server = MailServer(
        settings.smtp_host,
        settings.smtp_port,
        settings.smtp_username,
        settings.smtp_password,
        settings.smtp_starttls,
    )
    return MailSender(engine, server, mail_from=settings.mail_from, poll_interval=settings.mail_poll_interval)


def mail_style(settings: Settings) -> handlers.MailStyle:
    return handlers.MailStyle(ZoneInfo(settings.timezone), domain_of(settings.mail_from))


def build_app(settings: Settings) -> FastStream:
    """Build the whole service without connecting to anything; connecting happens on start."""
    queues = topology(settings)
    engine = make_engine(settings.database_url)
    broker = service_broker(settings, queues, CONSUMES)
    sender = mail_sender(settings, engine)
    style = mail_style(settings)
    uow = functools.partial(UnitOfWork, engine, MailRepository)

    async def announce_course(event: CourseScheduledV1) -> None:
        await handlers.announce_course(event, uow(), style)
        # Woken here, after the commit: UnitOfWork's on_events_committed fires only for outbox events.
        sender.wake()

    broker.include_router(build_router(queues, announce_course))
    return service_app(
        broker=broker,
        topology=queues,
        routing_keys=["CourseScheduled"],
        engine=engine,
        workers=[sender],
        heartbeat_file=settings.heartbeat_file,
    )
