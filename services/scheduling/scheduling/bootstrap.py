"""Wires scheduling together: the one place that builds engine, broker, relay and handlers."""

from __future__ import annotations

import functools
from zoneinfo import ZoneInfo

from faststream import FastStream

from taalhuis_shared.db import make_engine
from taalhuis_shared.events import GroupFilledV1
from taalhuis_shared.messaging.broker import service_broker
from taalhuis_shared.messaging.relay import OutboxRelay
from taalhuis_shared.messaging.topology import Topology
from taalhuis_shared.messaging.unit_of_work import UnitOfWork
from taalhuis_shared.runtime import service_app

from .adapters.repository import SchedulingRepository
from .adapters.slots import load_slots
from .domain.model import Policy
from .entrypoints.messaging import CONSUMES, build_router
from .service_layer import handlers
from .settings import Settings

SERVICE = "scheduling"


def topology(settings: Settings) -> Topology:
    return Topology.of(settings, SERVICE)


def planning_policy(settings: Settings) -> Policy:
    """The timetable and planning rules; a bad slots file or time zone fails here, at start."""
    return Policy(
        slots=load_slots(settings.slots_path),
        zone=ZoneInfo(settings.timezone),
        sessions_per_course=settings.sessions_per_course,
        horizon_weeks=settings.planning_horizon_weeks,
        lead_days=settings.planning_lead_days,
    )


def build_app(settings: Settings) -> FastStream:
    """Build the whole service without connecting to anything; connecting happens on start."""
    queues = topology(settings)
    policy = planning_policy(settings)
    engine = make_engine(settings.database_url)
    broker = service_broker(settings, queues, CONSUMES)
    relay = OutboxRelay(engine, broker, queues.exchange(), poll_interval=settings.outbox_poll_interval)
    uow = functools.partial(UnitOfWork, engine, SchedulingRepository, relay.wake)

    async def schedule_group(event: GroupFilledV1) -> None:
        await handlers.schedule_group(event, uow(), policy)

    broker.include_router(build_router(queues, schedule_group))
    return service_app(
        broker=broker,
        topology=queues,
        routing_keys=["GroupFilled"],
        engine=engine,
        workers=[relay],
        heartbeat_file=settings.heartbeat_file,
    )
