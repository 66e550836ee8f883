"""Notifications' subscriber, as a FastStream router. It publishes nothing."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from faststream.rabbit import RabbitRouter
from pydantic import Field

from taalhuis_shared.events import (
    CloudEvent,
    CoursePausedV1,
    CourseResumedV1,
    CourseScheduledV1,
    GroupChangedV1,
    GroupFilledV1,
    GroupUnschedulableV1,
    ReferralAcceptedV1,
    ReferralRejectedV1,
    SessionCancelledV1,
    SessionRescheduledV1,
    type_of,
)
from taalhuis_shared.messaging.broker import SUBSCRIBER_OPTIONS, declare_publishers
from taalhuis_shared.messaging.topology import Topology

NotificationsEvent = Annotated[
    ReferralAcceptedV1
    | ReferralRejectedV1
    | GroupFilledV1
    | CourseScheduledV1
    | SessionCancelledV1
    | CoursePausedV1
    | CourseResumedV1
    | SessionRescheduledV1
    | GroupUnschedulableV1
    | GroupChangedV1,
    Field(discriminator="type"),
]
CONSUMES: list[type[CloudEvent]] = [
    ReferralAcceptedV1,
    ReferralRejectedV1,
    GroupFilledV1,
    CourseScheduledV1,
    SessionCancelledV1,
    CoursePausedV1,
    CourseResumedV1,
    SessionRescheduledV1,
    GroupUnschedulableV1,
    GroupChangedV1,
]
PUBLISHES: list[type[CloudEvent]] = []
ROUTING_KEYS = [type_of(envelope) for envelope in CONSUMES]


def build_router(
    topology: Topology, dispatch: Callable[[NotificationsEvent], Awaitable[None]]
) -> RabbitRouter:
    router = RabbitRouter()

    @router.subscriber(
        topology.queue(ROUTING_KEYS[0]),
        topology.exchange(),
        title="notifications",
        description="Referral answers, groups, course dates, cancellations and changes: e-mail staff, "
        "the partners' contact persons and the coordinator.",
        **SUBSCRIBER_OPTIONS,
    )
    async def on_event(event: NotificationsEvent) -> None:
        await dispatch(event)

    declare_publishers(router, topology, PUBLISHES)
    return router
