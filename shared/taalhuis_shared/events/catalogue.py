"""The typed envelope of every event type and version the system knows: the event catalogue.

One small class per event and version, written out so that handlers can be typed with them.
"""

from __future__ import annotations

from typing import Literal

from .courses import (
    CourseCompleted,
    CoursePaused,
    CourseResumed,
    CourseScheduled,
    MeasuresAnnounced,
    MeasuresApplied,
    MeasuresLifted,
    SessionCancellationRefused,
    SessionCancellationRequested,
    SessionCancelled,
    SessionRescheduled,
)
from .envelope import CloudEvent, EventData, event_key
from .erasure import ErasureOrdered, ErasureRequested, PersonErased
from .groups import (
    EarlyClosureRefused,
    EarlyClosureRequested,
    GroupChanged,
    GroupFilled,
    GroupUnschedulable,
    IntakeOpened,
)
from .referrals import (
    ParticipantPlaced,
    ReferralAccepted,
    ReferralRejected,
    ReferralSubmitted,
    ReferralWithdrawn,
    WithdrawalProcessed,
)


# fmt: off
class ReferralSubmittedV1(CloudEvent):
    type: Literal["ReferralSubmitted"]
    dataversion: Literal["1"] = "1"
    data: ReferralSubmitted


class ReferralAcceptedV1(CloudEvent):
    type: Literal["ReferralAccepted"]
    dataversion: Literal["1"] = "1"
    data: ReferralAccepted


class ReferralRejectedV1(CloudEvent):
    type: Literal["ReferralRejected"]
    dataversion: Literal["1"] = "1"
    data: ReferralRejected


class ParticipantPlacedV1(CloudEvent):
    type: Literal["ParticipantPlaced"]
    dataversion: Literal["1"] = "1"
    data: ParticipantPlaced


class ReferralWithdrawnV1(CloudEvent):
    type: Literal["ReferralWithdrawn"]
    dataversion: Literal["1"] = "1"
    data: ReferralWithdrawn


class WithdrawalProcessedV1(CloudEvent):
    type: Literal["WithdrawalProcessed"]
    dataversion: Literal["1"] = "1"
    data: WithdrawalProcessed


class IntakeOpenedV1(CloudEvent):
    type: Literal["IntakeOpened"]
    dataversion: Literal["1"] = "1"
    data: IntakeOpened


class EarlyClosureRequestedV1(CloudEvent):
    type: Literal["EarlyClosureRequested"]
    dataversion: Literal["1"] = "1"
    data: EarlyClosureRequested


class EarlyClosureRefusedV1(CloudEvent):
    type: Literal["EarlyClosureRefused"]
    dataversion: Literal["1"] = "1"
    data: EarlyClosureRefused


class GroupFilledV1(CloudEvent):
    type: Literal["GroupFilled"]
    dataversion: Literal["1"] = "1"
    data: GroupFilled


class GroupChangedV1(CloudEvent):
    type: Literal["GroupChanged"]
    dataversion: Literal["1"] = "1"
    data: GroupChanged


class GroupUnschedulableV1(CloudEvent):
    type: Literal["GroupUnschedulable"]
    dataversion: Literal["1"] = "1"
    data: GroupUnschedulable


class CourseScheduledV1(CloudEvent):
    type: Literal["CourseScheduled"]
    dataversion: Literal["1"] = "1"
    data: CourseScheduled


class CourseCompletedV1(CloudEvent):
    type: Literal["CourseCompleted"]
    dataversion: Literal["1"] = "1"
    data: CourseCompleted
class SessionCancelledV1(CloudEvent):
    type: Literal["SessionCancelled"]
    dataversion: Literal["1"] = "1"
    data: SessionCancelled


class CoursePausedV1(CloudEvent):
    type: Literal["CoursePaused"]
    dataversion: Literal["1"] = "1"
    data: CoursePaused


class CourseResumedV1(CloudEvent):
    type: Literal["CourseResumed"]
    dataversion: Literal["1"] = "1"
    data: CourseResumed


class SessionRescheduledV1(CloudEvent):
    type: Literal["SessionRescheduled"]
    dataversion: Literal["1"] = "1"
    data: SessionRescheduled


class MeasuresAnnouncedV1(CloudEvent):
    type: Literal["MeasuresAnnounced"]
    dataversion: Literal["1"] = "1"
    data: MeasuresAnnounced


class MeasuresLiftedV1(CloudEvent):
    type: Literal["MeasuresLifted"]
    dataversion: Literal["1"] = "1"
    data: MeasuresLifted


class SessionCancellationRequestedV1(CloudEvent):
    type: Literal["SessionCancellationRequested"]
    dataversion: Literal["1"] = "1"
    data: SessionCancellationRequested


class SessionCancellationRefusedV1(CloudEvent):
    type: Literal["SessionCancellationRefused"]
    dataversion: Literal["1"] = "1"
    data: SessionCancellationRefused


class MeasuresAppliedV1(CloudEvent):
    type: Literal["MeasuresApplied"]
    dataversion: Literal["1"] = "1"
    data: MeasuresApplied

class ErasureRequestedV1(CloudEvent):
    type: Literal["ErasureRequested"]
    dataversion: Literal["1"] = "1"
    data: ErasureRequested


class ErasureOrderedV1(CloudEvent):
    type: Literal["ErasureOrdered"]
    dataversion: Literal["1"] = "1"
    data: ErasureOrdered


class PersonErasedV1(CloudEvent):
    type: Literal["PersonErased"]
    dataversion: Literal["1"] = "1"
    data: PersonErased
# fmt: on


ENVELOPES: dict[type[EventData], type[CloudEvent]] = {
    ReferralSubmitted: ReferralSubmittedV1,
    ReferralAccepted: ReferralAcceptedV1,
    ReferralRejected: ReferralRejectedV1,
    ParticipantPlaced: ParticipantPlacedV1,
    ReferralWithdrawn: ReferralWithdrawnV1,
    WithdrawalProcessed: WithdrawalProcessedV1,
    IntakeOpened: IntakeOpenedV1,
    EarlyClosureRequested: EarlyClosureRequestedV1,
    EarlyClosureRefused: EarlyClosureRefusedV1,
    GroupFilled: GroupFilledV1,
    GroupChanged: GroupChangedV1,
    GroupUnschedulable: GroupUnschedulableV1,
    CourseScheduled: CourseScheduledV1,
    CourseCompleted: CourseCompletedV1,
    SessionCancelled: SessionCancelledV1,
    CoursePaused: CoursePausedV1,
    CourseResumed: CourseResumedV1,
    SessionRescheduled: SessionRescheduledV1,
    MeasuresAnnounced: MeasuresAnnouncedV1,
    MeasuresLifted: MeasuresLiftedV1,
    SessionCancellationRequested: SessionCancellationRequestedV1,
    SessionCancellationRefused: SessionCancellationRefusedV1,
    MeasuresApplied: MeasuresAppliedV1,
    ErasureRequested: ErasureRequestedV1,
    ErasureOrdered: ErasureOrderedV1,
    PersonErased: PersonErasedV1,
}

# `ReferralSubmitted.v1` -> its typed envelope
CATALOGUE: dict[str, type[CloudEvent]] = {
    event_key(data.event_type, data.version): envelope for data, envelope in ENVELOPES.items()
}


def envelope_of(data: type[EventData]) -> type[CloudEvent]:
    return ENVELOPES[data]


def type_of(envelope: type[CloudEvent]) -> str:
    """The event type a typed envelope stands for: its `type` literal."""
    return str(envelope.model_fields["type"].annotation.__args__[0])  # type: ignore[union-attr]
