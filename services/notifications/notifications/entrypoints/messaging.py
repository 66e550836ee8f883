"""Notifications on the bus: the events it takes, and its one answer (to erasure requests).

Who may send each type is the trust table in `taalhuis_shared.messaging.trust`; the handlers for
each type are wired in `bootstrap`.
"""

from __future__ import annotations

from faststream.rabbit import RabbitRouter

from taalhuis_shared.events import (
    CloudEvent,
    CoursePausedV1,
    CourseResumedV1,
    CourseScheduledV1,
    ErasureOrderedV1,
    GroupChangedV1,
    GroupFilledV1,
    GroupUnschedulableV1,
    MeasuresAppliedV1,
    PersonErasedV1,
    ReferralAcceptedV1,
    ReferralRejectedV1,
    SessionCancelledV1,
    SessionRescheduledV1,
)
from taalhuis_shared.messaging.consumer import Consumer, consumer_router

# What is told by e-mail; the erasure events are handled by the shared eraser.
NOTIFIED: list[type[CloudEvent]] = [
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
    MeasuresAppliedV1,
]
CONSUMES: list[type[CloudEvent]] = [*NOTIFIED, ErasureOrderedV1, PersonErasedV1]
PUBLISHES: list[type[CloudEvent]] = [PersonErasedV1]


def build_router(consumer: Consumer) -> RabbitRouter:
    return consumer_router(
        consumer,
        consumes=CONSUMES,
        title="notifications",
        description="Referral answers, groups, course dates, cancellations and changes: e-mail staff, "
        "the partners' contact persons and the coordinator (a measure's effects as one summary); "
        "erase a person on enrolment's order, once scheduling has.",
        publishes=PUBLISHES,
    )
