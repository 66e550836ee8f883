"""Enrolment on the bus: the events it takes and the events it publishes.

Who may send each type is the trust table in `taalhuis_shared.messaging.trust`; the handlers for
each type are wired in `bootstrap`.
"""

from __future__ import annotations

from faststream.rabbit import RabbitRouter

from taalhuis_shared.events import (
    CourseCompletedV1,
    CoursePausedV1,
    CourseResumedV1,
    CourseScheduledV1,
    EarlyClosureRefusedV1,
    EarlyClosureRequestedV1,
    ErasureOrderedV1,
    ErasureRequestedV1,
    GroupChangedV1,
    GroupFilledV1,
    IntakeOpenedV1,
    ParticipantPlacedV1,
    PersonErasedV1,
    ReferralAcceptedV1,
    ReferralRejectedV1,
    ReferralSubmittedV1,
    ReferralWithdrawnV1,
    SessionCancelledV1,
    SessionRescheduledV1,
    WithdrawalProcessedV1,
)
from taalhuis_shared.messaging.consumer import Consumer, consumer_router

CONSUMES = [
    ReferralSubmittedV1,
    ReferralWithdrawnV1,
    IntakeOpenedV1,
    EarlyClosureRequestedV1,
    CourseScheduledV1,
    SessionRescheduledV1,
    CourseResumedV1,
    CourseCompletedV1,
    CoursePausedV1,  # for the municipality's numbers only
    SessionCancelledV1,  # for the municipality's numbers only
    ErasureRequestedV1,
    PersonErasedV1,
]
PUBLISHES = [
    ReferralAcceptedV1,
    ReferralRejectedV1,
    ParticipantPlacedV1,
    WithdrawalProcessedV1,
    GroupFilledV1,
    GroupChangedV1,
    EarlyClosureRefusedV1,
    ErasureOrderedV1,
    PersonErasedV1,
]


def build_router(consumer: Consumer) -> RabbitRouter:
    return consumer_router(
        consumer,
        consumes=CONSUMES,
        title="enrolment",
        description="Referrals and withdrawals from partners, intakes and early closures from the "
        "coordinator, course dates, pauses, cancellations and completions from scheduling, erasure "
        "requests from the coordinator or a partner, and each service's answer to them.",
        publishes=PUBLISHES,
    )
