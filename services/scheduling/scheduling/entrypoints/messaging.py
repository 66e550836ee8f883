"""Scheduling on the bus: the events it takes and the events it publishes.

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
    ErasureOrderedV1,
    GroupChangedV1,
    GroupFilledV1,
    GroupUnschedulableV1,
    MeasuresAnnouncedV1,
    MeasuresAppliedV1,
    MeasuresLiftedV1,
    PersonErasedV1,
    SessionCancellationRefusedV1,
    SessionCancellationRequestedV1,
    SessionCancelledV1,
    SessionRescheduledV1,
)
from taalhuis_shared.messaging.consumer import Consumer, consumer_router

CONSUMES = [
    GroupFilledV1,
    GroupChangedV1,
    MeasuresAnnouncedV1,
    MeasuresLiftedV1,
    SessionCancellationRequestedV1,
    ErasureOrderedV1,
]
PUBLISHES = [
    CourseScheduledV1,
    GroupUnschedulableV1,
    SessionCancelledV1,
    CoursePausedV1,
    CourseResumedV1,
    SessionRescheduledV1,
    CourseCompletedV1,
    SessionCancellationRefusedV1,
    MeasuresAppliedV1,
    PersonErasedV1,
]


def build_router(consumer: Consumer) -> RabbitRouter:
    return consumer_router(
        consumer,
        consumes=CONSUMES,
        title="scheduling",
        description="Filled and changed groups from enrolment; measures and session cancellations "
        "from the coordinator.",
        publishes=PUBLISHES,
    )
