"""The public event contract: CloudEvents on the `taalhuis.events` topic exchange."""

from .catalogue import (
    CATALOGUE,
    CourseScheduledV1,
    GroupFilledV1,
    GroupUnschedulableV1,
    ReferralAcceptedV1,
    ReferralRejectedV1,
    ReferralSubmittedV1,
    envelope_of,
    type_of,
)
from .common import ContactPerson, CourseRef, GroupMember, PartnerContact
from .courses import CourseScheduled, Location, Session, Teacher
from .envelope import CONTENT_TYPE, CloudEvent, EventData, event_key, new_event
from .groups import GroupFilled, GroupUnschedulable
from .referrals import Participant, ReferralAccepted, ReferralRejected, ReferralSubmitted

__all__ = [
    "CATALOGUE",
    "CONTENT_TYPE",
    "CloudEvent",
    "ContactPerson",
    "CourseRef",
    "CourseScheduled",
    "CourseScheduledV1",
    "EventData",
    "GroupFilled",
    "GroupFilledV1",
    "GroupMember",
    "GroupUnschedulable",
    "GroupUnschedulableV1",
    "Location",
    "Participant",
    "PartnerContact",
    "ReferralAccepted",
    "ReferralAcceptedV1",
    "ReferralRejected",
    "ReferralRejectedV1",
    "ReferralSubmitted",
    "ReferralSubmittedV1",
    "Session",
    "Teacher",
    "envelope_of",
    "event_key",
    "new_event",
    "type_of",
]
