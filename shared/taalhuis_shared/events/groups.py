"""Group events: enrolment formed a group that scheduling can plan."""

from __future__ import annotations

from pydantic import Field

from .common import CourseRef, GroupMember, PartnerContact
from .envelope import EventData


class GroupFilled(EventData):
    """Published by enrolment when a group is complete and ready to be planned."""

    event_type = "GroupFilled"

    group_id: str
    course: CourseRef
    capacity: int = Field(ge=1)
    participants: list[GroupMember] = Field(min_length=1)
    contacts: list[PartnerContact] = Field(min_length=1)
    closed_early: bool = False


class GroupUnschedulable(EventData):
    """Published by scheduling: no plan exists for the group; the coordinator must act."""

    event_type = "GroupUnschedulable"

    group_id: str
    course: CourseRef
    reason_code: str = Field(examples=["no-free-slot"])
    reason: str = Field(description="Plain Dutch, for the coordinator")
    reason_en: str
