"""Scheduling's subscriber and the events it publishes, as a FastStream router."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from faststream.rabbit import RabbitRouter

from taalhuis_shared.events import CourseScheduledV1, GroupFilledV1, GroupUnschedulableV1
from taalhuis_shared.messaging.broker import SUBSCRIBER_OPTIONS
from taalhuis_shared.messaging.topology import Topology

CONSUMES = [GroupFilledV1]
PUBLISHES = [CourseScheduledV1, GroupUnschedulableV1]


def build_router(
    topology: Topology, schedule_group: Callable[[GroupFilledV1], Awaitable[None]]
) -> RabbitRouter:
    router = RabbitRouter()

    @router.subscriber(
        topology.queue("GroupFilled"),
        topology.exchange(),
        title="scheduling:GroupFilled",
        description="A group is complete: plan its course.",
        **SUBSCRIBER_OPTIONS,
    )
    async def on_group_filled(event: GroupFilledV1) -> None:
        await schedule_group(event)

    # Published through the outbox relay; declared here so the AsyncAPI document shows them.
    for envelope in PUBLISHES:
        event_type = envelope.model_fields["type"].annotation.__args__[0]  # type: ignore[union-attr]
        router.publisher(
            exchange=topology.exchange(),
            routing_key=event_type,
            title=f"scheduling:{event_type}",
            schema=envelope,
            persist=True,
        )
    return router
