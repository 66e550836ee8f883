"""Wires scheduling together: the one place that builds engine, broker, relay, workers and handlers."""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from faststream import FastStream

from taalhuis_shared.db import make_engine
from taalhuis_shared.events import (
    GroupChangedV1,
    GroupFilledV1,
    MeasuresAnnouncedV1,
    MeasuresLiftedV1,
    SessionCancellationRequestedV1,
)
from taalhuis_shared.messaging.broker import service_broker
from taalhuis_shared.messaging.relay import OutboxRelay
from taalhuis_shared.messaging.topology import Topology
from taalhuis_shared.messaging.unit_of_work import UnitOfWork
from taalhuis_shared.runtime import service_app

from .adapters.repository import SchedulingRepository
from .adapters.resources import load_resources
from .domain.planner import Resources
from .entrypoints.completion import CourseCompletion
from .entrypoints.messaging import CONSUMES, ROUTING_KEYS, SchedulingEvent, build_router
from .service_layer import handlers
from .settings import Settings

SERVICE = "scheduling"


def topology(settings: Settings) -> Topology:
    return Topology.of(settings, SERVICE)


def resources_of(settings: Settings) -> Resources:
    """What the library has; a bad resources file or time zone fails here, at start."""
    zone = ZoneInfo(settings.timezone)
    return load_resources(settings.resources_path, zone, datetime.now(zone).date())


def build_app(settings: Settings) -> FastStream:
    """Build the whole service without connecting to anything; connecting happens on start."""
    queues = topology(settings)
    resources = resources_of(settings)
    engine = make_engine(settings.database_url)
    broker = service_broker(settings, queues, CONSUMES)
    relay = OutboxRelay(engine, broker, queues.exchange(), poll_interval=settings.outbox_poll_interval)
    uow = functools.partial(UnitOfWork, engine, SchedulingRepository, relay.wake)
    completion = CourseCompletion(uow, resources.zone, interval=settings.completion_check_interval)

    async def dispatch(event: SchedulingEvent) -> None:
        now = datetime.now(UTC)
        match event:
            case GroupFilledV1():
                await handlers.schedule_group(event, uow(), resources, settings.planning_lead_days, now)
            case GroupChangedV1():
                await handlers.change_group(event, uow(), resources, now)
            case MeasuresAnnouncedV1():
                await handlers.announce_measures(event, uow(), resources, now)
            case MeasuresLiftedV1():
                await handlers.lift_measures(event, uow(), resources, now)
            case SessionCancellationRequestedV1():
                await handlers.cancel_session(event, uow(), resources, now)

    broker.include_router(build_router(queues, dispatch))
    return service_app(
        broker=broker,
        topology=queues,
        routing_keys=ROUTING_KEYS,
        engine=engine,
        workers=[relay, completion],
        heartbeat_file=settings.heartbeat_file,
    )
