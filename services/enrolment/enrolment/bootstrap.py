"""Wires enrolment together: the one place that builds engine, broker, relay and handlers."""

from __future__ import annotations

import functools
from datetime import date, datetime
from zoneinfo import ZoneInfo

from faststream import FastStream

from taalhuis_shared.db import make_engine
from taalhuis_shared.events import (
    CourseCompletedV1,
    CourseResumedV1,
    CourseScheduledV1,
    EarlyClosureRequestedV1,
    IntakeOpenedV1,
    ReferralSubmittedV1,
    ReferralWithdrawnV1,
    SessionRescheduledV1,
)
from taalhuis_shared.messaging.broker import service_broker
from taalhuis_shared.messaging.relay import OutboxRelay
from taalhuis_shared.messaging.topology import Topology
from taalhuis_shared.messaging.unit_of_work import UnitOfWork
from taalhuis_shared.runtime import service_app

from .adapters.config import load_policy
from .adapters.repository import EnrolmentRepository
from .entrypoints.messaging import CONSUMES, ROUTING_KEYS, EnrolmentEvent, build_router
from .service_layer import handlers
from .settings import Settings

SERVICE = "enrolment"
LIBRARY_TIME = ZoneInfo("Europe/Amsterdam")


def topology(settings: Settings) -> Topology:
    return Topology.of(settings, SERVICE)


def today() -> date:
    return datetime.now(LIBRARY_TIME).date()


def build_app(settings: Settings) -> FastStream:
    """Build the whole service without connecting to anything; connecting happens on start."""
    queues = topology(settings)
    policy = load_policy(settings.enrolment_path)
    engine = make_engine(settings.database_url)
    broker = service_broker(settings, queues, CONSUMES)
    relay = OutboxRelay(engine, broker, queues.exchange(), poll_interval=settings.outbox_poll_interval)
    uow = functools.partial(UnitOfWork, engine, EnrolmentRepository, relay.wake)

    async def dispatch(event: EnrolmentEvent, publisher: str | None) -> None:
        match event:
            case ReferralSubmittedV1():
                await handlers.submit_referral(event, uow(), policy, publisher, today())
            case ReferralWithdrawnV1():
                await handlers.withdraw(event, uow(), policy, publisher, today())
            case IntakeOpenedV1():
                await handlers.open_intake(event, uow(), policy)
            case EarlyClosureRequestedV1():
                await handlers.close_early(event, uow(), policy)
            case CourseScheduledV1():
                await handlers.record_schedule(event, uow())
            case SessionRescheduledV1() | CourseResumedV1():
                await handlers.record_new_dates(event, uow())
            case CourseCompletedV1():
                await handlers.record_completion(event, uow())

    broker.include_router(build_router(queues, dispatch))
    return service_app(
        broker=broker,
        topology=queues,
        routing_keys=ROUTING_KEYS,
        engine=engine,
        workers=[relay],
        heartbeat_file=settings.heartbeat_file,
    )
