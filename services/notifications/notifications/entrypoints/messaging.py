"""Notifications' subscriber, as a FastStream router. It publishes nothing yet."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from faststream.rabbit import RabbitRouter

from taalhuis_shared.events import CloudEvent, CourseScheduledV1
from taalhuis_shared.messaging.broker import SUBSCRIBER_OPTIONS, declare_publishers
from taalhuis_shared.messaging.topology import Topology

CONSUMES = [CourseScheduledV1]
# When notifications publishes, declare each here as enrolment does, for the AsyncAPI document.
PUBLISHES: list[type[CloudEvent]] = []


def build_router(
    topology: Topology, announce_course: Callable[[CourseScheduledV1], Awaitable[None]]
) -> RabbitRouter:
    router = RabbitRouter()

    @router.subscriber(
        topology.queue("CourseScheduled"),
        topology.exchange(),
        title="notifications:CourseScheduled",
        description="A group's course is planned: e-mail the teacher and the partners' contact persons.",
        **SUBSCRIBER_OPTIONS,
    )
    async def on_course_scheduled(event: CourseScheduledV1) -> None:
        await announce_course(event)

    declare_publishers(router, topology, PUBLISHES)
    return router
