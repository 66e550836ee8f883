"""Group events: enrolment formed a group that scheduling can plan."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import Field

from .common import (
    MAX_LOCATIONS,
    MAX_PEOPLE,
    MAX_PREFERRED_LOCATIONS,
    Code,
    CourseRef,
    GroupMember,
    Identifier,
    Name,
    PartnerContact,
    Text,
)
from .envelope import EventData


class GroupFilled(EventData):
    """Published by enrolment when a group is formed and ready to be planned."""

    event_type = "GroupFilled"

    group_id: Identifier
    course: CourseRef
    language_group: Literal["NT1", "NT2"] | None = None
    capacity: int = Field(ge=1, le=MAX_PEOPLE)
    participants: list[GroupMember] = Field(min_length=1, max_length=MAX_PEOPLE)
    contacts: list[PartnerContact] = Field(min_length=1, max_length=MAX_PEOPLE)
    closed_early: bool = Field(default=False, description="Formed by the coordinator below capacity")
    earliest_start: date | None = Field(default=None, description="From the intake the group came from")
    locations: list[Name] = Field(
        default_factory=list, max_length=MAX_LOCATIONS, description="Where the intake offers courses"
    )
    preferred_locations: list[Name] = Field(
        default_factory=list,
        # Every participant's own preferences together.
        max_length=MAX_PEOPLE * MAX_PREFERRED_LOCATIONS,
        description="The participants' preferences, most wanted first",
    )


class GroupChanged(EventData):
    """Published by enrolment: participants left a formed group, and who took their place."""

    event_type = "GroupChanged"

    group_id: Identifier
    course: CourseRef
    removed: list[GroupMember] = Field(max_length=MAX_PEOPLE)
    added: list[GroupMember] = Field(max_length=MAX_PEOPLE)
    participants: list[GroupMember] = Field(max_length=MAX_PEOPLE)
    contacts: list[PartnerContact] = Field(max_length=MAX_PEOPLE)


class IntakeOpened(EventData):
    """Published by the coordinator: the library has room for this many new groups."""

    event_type = "IntakeOpened"

    intake_id: Identifier = Field(examples=["2027-Q1-klik-en-tik"])
    course_type: Code = Field(examples=["klik-en-tik"])
    groups: int = Field(ge=1, le=50)
    from_date: date
    locations: list[Name] = Field(
        default_factory=list, max_length=MAX_LOCATIONS, examples=[["Bibliotheek Gouda"]]
    )


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
    reason_code: Code = Field(examples=["too-few-waiting"])
    reason: Text
    reason_en: Text


class GroupUnschedulable(EventData):
    """Published by scheduling: no plan exists for the group; the coordinator must act."""

    event_type = "GroupUnschedulable"

    group_id: Identifier
    course: CourseRef
    reason_code: Code = Field(examples=["no-free-slot"])
    reason: Text = Field(description="Plain Dutch, for the coordinator")
    reason_en: Text
    course_id: Identifier | None = Field(default=None, description="Set when a planned course cannot resume")
    session_id: Identifier | None = Field(default=None, description="Set when one session gets no catch-up")
