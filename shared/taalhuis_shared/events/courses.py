"""Course events: scheduling planned a group's sessions."""

from __future__ import annotations

from datetime import date

from pydantic import AwareDatetime, BaseModel, ConfigDict, EmailStr, Field

from .common import CourseRef, GroupMember, PartnerContact
from .envelope import EventData


class Teacher(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    name: str
    email: EmailStr


class Location(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    name: str = Field(examples=["Bibliotheek Gouda, De Chocoladefabriek"])
    address: str = Field(examples=["Klein Amerika 20, 2803 PK Gouda"])


class Session(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    number: int = Field(ge=1)
    start: AwareDatetime
    end: AwareDatetime


class CourseScheduled(EventData):
    """Published by scheduling: a group's course has its sessions, place and teacher."""

    event_type = "CourseScheduled"

    course_id: str
    group_id: str
    course: CourseRef
    location: Location
    teacher: Teacher
    sessions: list[Session] = Field(min_length=1)
    participants: list[GroupMember]
    contacts: list[PartnerContact]


class CourseCompleted(EventData):
    """Published by scheduling after a course's last session, for the participants' history."""

    event_type = "CourseCompleted"

    course_id: str
    group_id: str
    course: CourseRef
    completed_on: date
    participants: list[GroupMember]
