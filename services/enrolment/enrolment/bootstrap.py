"""Wires enrolment together: the one place that builds engine, broker, relay and handlers."""

from __future__ import annotations

import functools

from faststream import FastStream

from taalhuis_shared.db import make_engine
from taalhuis_shared.events import ReferralSubmittedV1
from taalhuis_shared.messaging.broker import service_broker
from taalhuis_shared.messaging.relay import OutboxRelay
from taalhuis_shared.messaging.topology import Topology
from taalhuis_shared.messaging.unit_of_work import UnitOfWork
from taalhuis_shared.runtime import service_app

from .adapters.repository import EnrolmentRepository
from .domain.model import Policy
from .entrypoints.messaging import CONSUMES, build_router
from .service_layer import handlers
from .settings import Settings

SERVICE = "enrolment"


def topology(settings: Settings) -> Topology:
    return Topology.of(settings, SERVICE)


def build_app(settings: Settings) -> FastStream:
    """Build the whole service without connecting to anything; connecting happens on start."""
    queues = topology(settings)
    engine = make_engine(settings.database_url)
    broker = service_broker(settings, queues, CONSUMES)
    relay = OutboxRelay(engine, broker, queues.exchange(), poll_interval=settings.outbox_poll_interval)
    policy = Policy.from_settings(settings.courses, settings.served_municipalities, settings.group_capacity)
    uow = functools.partial(UnitOfWork, engine, EnrolmentRepository, relay.wake)

    async def submit_referral(event: ReferralSubmittedV1) -> None:
        await handlers.submit_referral(event, uow(), policy)

    broker.include_router(build_router(queues, submit_referral))
    return service_app(
        broker=broker,
        topology=queues,
        routing_keys=["ReferralSubmitted"],
        engine=engine,
        workers=[relay],
        heartbeat_file=settings.heartbeat_file,
    )
