"""Scheduling's subscriber and the events it publishes, as a FastStream router."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from faststream.rabbit import RabbitRouter
from pydantic import Field

from taalhuis_shared.events import (
    CourseCompletedV1,
    CoursePausedV1,
    CourseResumedV1,
    CourseScheduledV1,
    GroupChangedV1,
    GroupFilledV1,
    GroupUnschedulableV1,
    MeasuresAnnouncedV1,
    MeasuresLiftedV1,
    SessionCancellationRequestedV1,
    SessionCancelledV1,
    SessionRescheduledV1,
    type_of,
)
from taalhuis_shared.messaging.broker import SUBSCRIBER_OPTIONS, declare_publishers
from taalhuis_shared.messaging.topology import Topology

SchedulingEvent = Annotated[
    GroupFilledV1 | GroupChangedV1 | MeasuresAnnouncedV1 | MeasuresLiftedV1 | SessionCancellationRequestedV1,
    Field(discriminator="type"),
]
CONSUMES = [
    GroupFilledV1,
    GroupChangedV1,
    MeasuresAnnouncedV1,
    MeasuresLiftedV1,
    SessionCancellationRequestedV1,
]
PUBLISHES = [
    CourseScheduledV1,
    GroupUnschedulableV1,
    SessionCancelledV1,
    CoursePausedV1,
    CourseResumedV1,
    SessionRescheduledV1,
    CourseCompletedV1,
]
ROUTING_KEYS = [type_of(envelope) for envelope in CONSUMES]

Dispatch = Callable[[SchedulingEvent], Awaitable[None]]


def build_router(topology: Topology, dispatch: Dispatch) -> RabbitRouter:
    router = RabbitRouter()

    @router.subscriber(
        topology.queue(ROUTING_KEYS[0]),
        topology.exchange(),
        title="scheduling",
        description="Filled and changed groups from enrolment; measures and session cancellations "
        "from the coordinator.",
        **SUBSCRIBER_OPTIONS,
    )
    async def on_event(event: SchedulingEvent) -> None:
        await dispatch(event)

    declare_publishers(router, topology, PUBLISHES)
    return router
