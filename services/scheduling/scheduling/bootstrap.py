"""Wires scheduling together: the one place that builds engine, broker, relay, workers and handlers."""

from __future__ import annotations

import functools
from zoneinfo import ZoneInfo

from faststream import FastStream

from taalhuis_shared import erasure
from taalhuis_shared.clock import Clock
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
from taalhuis_shared.retention import retention_worker
from taalhuis_shared.runtime import consuming_service

from .adapters import erasure as erasing
from .adapters.repository import KnownBookings, SchedulingRepository
from .adapters.resources import load_resources
from .adapters.retention import finished_courses
from .domain.planner import Resources
from .entrypoints.completion import CourseCompletion
from .entrypoints.messaging import build_router
from .service_layer import handlers
from .service_layer.handlers import Uow
from .settings import Settings

SERVICE = "scheduling"


def topology(settings: Settings) -> Topology:
    return Topology.of(settings, SERVICE)


def resources_of(settings: Settings, clock: Clock) -> Resources:
    """What the library has, with the holidays from the clock's today; a bad file or zone fails here."""
    zone = ZoneInfo(settings.timezone)
    return load_resources(settings.resources_path, zone, clock.today(zone))


def build_app(settings: Settings) -> FastStream:
    """Build the whole service without connecting to anything; connecting happens on start."""
    queues = topology(settings)
    clock = Clock.of(settings)  # everything below that decides by time follows this one
    resources = resources_of(settings, clock)
    engine = make_engine(settings.database_url)
    broker = service_broker(settings)
    relay = OutboxRelay.of(settings, engine, broker, queues, clock)
    # The planned sessions indexed once per process, read again only when the database changed them.
    repository = functools.partial(SchedulingRepository, known=KnownBookings(resources.zone))
    new_unit_of_work = functools.partial(UnitOfWork, engine, repository, relay.wake, clock=clock)
    eraser = erasure.eraser(
        settings,
        engine,
        queues,
        erasure.ErasureSteps(SERVICE, handlers.SOURCE, erasing.erase),
        relay.wake,
        clock,
    )
    completion = CourseCompletion(
        new_unit_of_work, resources.zone, clock, interval=settings.completion_check_interval
    )

    async def schedule_group(event: GroupFilledV1, publisher: str, uow: Uow) -> None:
        await handlers.schedule_group(event, uow, resources, settings.planning_lead_days, clock.now())

    async def change_group(event: GroupChangedV1, publisher: str, uow: Uow) -> None:
        await handlers.change_group(event, uow, resources, clock.now())

    async def announce_measures(event: MeasuresAnnouncedV1, publisher: str, uow: Uow) -> None:
        await handlers.announce_measures(event, uow, resources, clock.now())

    async def lift_measures(event: MeasuresLiftedV1, publisher: str, uow: Uow) -> None:
        await handlers.lift_measures(event, uow, resources, clock.now())

    async def cancel_session(event: SessionCancellationRequestedV1, publisher: str, uow: Uow) -> None:
        await handlers.cancel_session(event, uow, resources, clock.now())

    return consuming_service(
        settings=settings,
        broker=broker,
        topology=queues,
        engine=engine,
        handlers={
            GroupFilledV1: schedule_group,
            GroupChangedV1: change_group,
            MeasuresAnnouncedV1: announce_measures,
            MeasuresLiftedV1: lift_measures,
            SessionCancellationRequestedV1: cancel_session,
            **erasure.handlers_for(eraser),
        },
        unit_of_work=new_unit_of_work,
        build_router=build_router,
        workers=[
            relay,
            eraser,
            completion,
            retention_worker(settings, engine, clock, [finished_courses(settings.course_retention_days)]),
        ],
    )
