"""Scheduling's subscriber and the events it publishes, as a FastStream router."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from faststream.rabbit import RabbitRouter

from taalhuis_shared.events import CourseScheduledV1, GroupFilledV1, GroupUnschedulableV1
from taalhuis_shared.messaging.broker import SUBSCRIBER_OPTIONS, declare_publishers
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

    declare_publishers(router, topology, PUBLISHES)
    return router
