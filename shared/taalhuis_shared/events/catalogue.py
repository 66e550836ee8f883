"""The typed envelope of every event type and version the system knows: the event catalogue."""

from __future__ import annotations

from typing import Literal

from .courses import CourseScheduled
from .envelope import CloudEvent, EventData, event_key
from .groups import GroupFilled, GroupUnschedulable
from .referrals import ReferralAccepted, ReferralRejected, ReferralSubmitted


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


class GroupFilledV1(CloudEvent):
    type: Literal["GroupFilled"]
    dataversion: Literal["1"] = "1"
    data: GroupFilled


class GroupUnschedulableV1(CloudEvent):
    type: Literal["GroupUnschedulable"]
    dataversion: Literal["1"] = "1"
    data: GroupUnschedulable


class CourseScheduledV1(CloudEvent):
    type: Literal["CourseScheduled"]
    dataversion: Literal["1"] = "1"
    data: CourseScheduled


ENVELOPES: dict[type[EventData], type[CloudEvent]] = {
    ReferralSubmitted: ReferralSubmittedV1,
    ReferralAccepted: ReferralAcceptedV1,
    ReferralRejected: ReferralRejectedV1,
    GroupFilled: GroupFilledV1,
    GroupUnschedulable: GroupUnschedulableV1,
    CourseScheduled: CourseScheduledV1,
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
