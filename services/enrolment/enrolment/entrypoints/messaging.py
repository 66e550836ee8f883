"""Enrolment's subscriber and the events it publishes, as a FastStream router."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from faststream.rabbit import RabbitRouter

from taalhuis_shared.events import GroupFilledV1, ReferralAcceptedV1, ReferralRejectedV1, ReferralSubmittedV1
from taalhuis_shared.messaging.broker import SUBSCRIBER_OPTIONS
from taalhuis_shared.messaging.topology import Topology

CONSUMES = [ReferralSubmittedV1]
PUBLISHES = [ReferralAcceptedV1, ReferralRejectedV1, GroupFilledV1]


def build_router(
    topology: Topology, submit_referral: Callable[[ReferralSubmittedV1], Awaitable[None]]
) -> RabbitRouter:
    router = RabbitRouter()

    @router.subscriber(
        topology.queue("ReferralSubmitted"),
        topology.exchange(),
        title="enrolment:ReferralSubmitted",
        description="A partner refers an employee for a course.",
        **SUBSCRIBER_OPTIONS,
    )
    async def on_referral_submitted(event: ReferralSubmittedV1) -> None:
        await submit_referral(event)

    # Published through the outbox relay; declared here so the AsyncAPI document shows them.
    for envelope in PUBLISHES:
        event_type = envelope.model_fields["type"].annotation.__args__[0]  # type: ignore[union-attr]
        router.publisher(
            exchange=topology.exchange(),
            routing_key=event_type,
            title=f"enrolment:{event_type}",
            schema=envelope,
            persist=True,
        )
    return router
