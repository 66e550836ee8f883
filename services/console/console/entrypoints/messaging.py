"""The console on the bus: the events its read model is built from, and the commands it publishes.

Who may send each type is the trust table in `taalhuis_shared.messaging.trust`; the console's own
commands come back to it too (intakes, measures), which is how it knows they went out.
"""

from __future__ import annotations

from faststream.rabbit import RabbitRouter

from taalhuis_shared.events import (
    CloudEvent,
    EarlyClosureRequestedV1,
    ErasureOrderedV1,
    ErasureRequestedV1,
    IntakeOpenedV1,
    MeasuresAnnouncedV1,
    MeasuresLiftedV1,
    PersonErasedV1,
    ReferralSubmittedV1,
    ReferralWithdrawnV1,
    SessionCancellationRequestedV1,
)
from taalhuis_shared.messaging.consumer import Consumer, consumer_router

from ..service_layer.projection import HANDLERS

# The read model's events, and the erasure chain's (handled by the shared eraser: bootstrap).
CONSUMES: list[type[CloudEvent]] = [*HANDLERS, ErasureOrderedV1, PersonErasedV1]
PUBLISHES = [
    IntakeOpenedV1,
    EarlyClosureRequestedV1,
    MeasuresAnnouncedV1,
    MeasuresLiftedV1,
    SessionCancellationRequestedV1,
    ReferralSubmittedV1,
    ReferralWithdrawnV1,
    PersonErasedV1,
]
# Allowed to the console by the trust table, not sent by it yet (erasure stays a CLI command).
NOT_YET_PUBLISHED = [ErasureRequestedV1]


def build_router(consumer: Consumer) -> RabbitRouter:
    return consumer_router(
        consumer,
        consumes=CONSUMES,
        title="console",
        description="Enrolment's answers, groups and refusals, scheduling's courses, sessions and problems, "
        "and the coordinator's intakes and measures: the console's read model.",
        publishes=PUBLISHES,
    )
