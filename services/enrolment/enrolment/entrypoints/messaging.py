"""Enrolment's subscriber and the events it publishes, as a FastStream router."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from faststream.rabbit import RabbitMessage, RabbitRouter
from pydantic import Field

from taalhuis_shared.events import (
    CourseCompletedV1,
    CourseResumedV1,
    CourseScheduledV1,
    EarlyClosureRefusedV1,
    EarlyClosureRequestedV1,
    GroupChangedV1,
    GroupFilledV1,
    IntakeOpenedV1,
    ParticipantPlacedV1,
    ReferralAcceptedV1,
    ReferralRejectedV1,
    ReferralSubmittedV1,
    ReferralWithdrawnV1,
    SessionRescheduledV1,
    WithdrawalProcessedV1,
    type_of,
)
from taalhuis_shared.messaging.broker import SUBSCRIBER_OPTIONS, declare_publishers
from taalhuis_shared.messaging.topology import Topology

EnrolmentEvent = Annotated[
    ReferralSubmittedV1
    | ReferralWithdrawnV1
    | IntakeOpenedV1
    | EarlyClosureRequestedV1
    | CourseScheduledV1
    | SessionRescheduledV1
    | CourseResumedV1
    | CourseCompletedV1,
    Field(discriminator="type"),
]
CONSUMES = [
    ReferralSubmittedV1,
    ReferralWithdrawnV1,
    IntakeOpenedV1,
    EarlyClosureRequestedV1,
    CourseScheduledV1,
    SessionRescheduledV1,
    CourseResumedV1,
    CourseCompletedV1,
]
PUBLISHES = [
    ReferralAcceptedV1,
    ReferralRejectedV1,
    ParticipantPlacedV1,
    WithdrawalProcessedV1,
    GroupFilledV1,
    GroupChangedV1,
    EarlyClosureRefusedV1,
]
ROUTING_KEYS = [type_of(envelope) for envelope in CONSUMES]

# The handler gets the event and the AMQP user_id it was published with (None when unset).
Dispatch = Callable[[EnrolmentEvent, str | None], Awaitable[None]]


def build_router(topology: Topology, dispatch: Dispatch) -> RabbitRouter:
    router = RabbitRouter()

    @router.subscriber(
        topology.queue(ROUTING_KEYS[0]),
        topology.exchange(),
        title="enrolment",
        description="Referrals and withdrawals from partners, intakes and early closures from the "
        "coordinator, course dates and completions from scheduling.",
        **SUBSCRIBER_OPTIONS,
    )
    async def on_event(event: EnrolmentEvent, message: RabbitMessage) -> None:
        await dispatch(event, message.raw_message.user_id)

    declare_publishers(router, topology, PUBLISHES)
    return router
