"""Enrolment's subscriber and the events it publishes, as a FastStream router."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from faststream.rabbit import RabbitRouter

from taalhuis_shared.events import GroupFilledV1, ReferralAcceptedV1, ReferralRejectedV1, ReferralSubmittedV1
from taalhuis_shared.messaging.broker import SUBSCRIBER_OPTIONS, declare_publishers
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

    declare_publishers(router, topology, PUBLISHES)
    return router
