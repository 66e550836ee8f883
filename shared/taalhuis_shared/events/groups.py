"""Group events: enrolment formed a group that scheduling can plan."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field

from .common import CourseRef, GroupMember, PartnerContact
from .envelope import EventData


class GroupFilled(EventData):
    """Published by enrolment when a group is formed and ready to be planned."""

    event_type = "GroupFilled"

    group_id: str
    course: CourseRef
    language_group: Literal["NT1", "NT2"] | None = None
    capacity: int = Field(ge=1)
    participants: list[GroupMember] = Field(min_length=1)
    contacts: list[PartnerContact] = Field(min_length=1)
    closed_early: bool = Field(default=False, description="Formed by the coordinator below capacity")
    earliest_start: date | None = Field(default=None, description="From the intake the group came from")
    locations: list[str] = Field(default_factory=list, description="Where the intake offers courses")
    preferred_locations: list[str] = Field(
        default_factory=list, description="The participants' preferences, most wanted first"
    )


class GroupChanged(EventData):
    """Published by enrolment: participants left a formed group, and who took their place."""

    event_type = "GroupChanged"

    group_id: str
    course: CourseRef
    removed: list[GroupMember]
    added: list[GroupMember]
    participants: list[GroupMember]
    contacts: list[PartnerContact]


class IntakeOpened(EventData):
    """Published by the coordinator: the library has room for this many new groups."""

    event_type = "IntakeOpened"

    intake_id: str = Field(min_length=1, max_length=100, examples=["2027-Q1-klik-en-tik"])
    course_type: str = Field(min_length=1, max_length=50, examples=["klik-en-tik"])
    groups: int = Field(ge=1, le=50)
    from_date: date
    locations: list[str] = Field(default_factory=list, examples=[["Bibliotheek Gouda"]])


class EarlyClosureRequested(EventData):
    """Published by the coordinator: form a group now from those waiting, below capacity."""

    event_type = "EarlyClosureRequested"

    course: CourseRef
    language_group: Literal["NT1", "NT2"] | None = None


class EarlyClosureRefused(EventData):
    """Published by enrolment: an early closure could not be done, and why."""

    event_type = "EarlyClosureRefused"

    course: CourseRef
    language_group: Literal["NT1", "NT2"] | None = None
    reason_code: str = Field(examples=["too-few-waiting"])
    reason: str
    reason_en: str


class GroupUnschedulable(EventData):
    """Published by scheduling: no plan exists for the group; the coordinator must act."""

    event_type = "GroupUnschedulable"

    group_id: str
    course: CourseRef
    reason_code: str = Field(examples=["no-free-slot"])
    reason: str = Field(description="Plain Dutch, for the coordinator")
    reason_en: str
    course_id: str | None = Field(default=None, description="Set when a planned course cannot resume")
    session_id: str | None = Field(default=None, description="Set when one session gets no catch-up")
