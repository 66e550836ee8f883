"""Course events: scheduling planned a group's sessions."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from .common import (
    MAX_LOCATIONS,
    MAX_PEOPLE,
    MAX_SESSIONS,
    MAX_VOLUNTEERS,
    Code,
    CourseRef,
    Email,
    GroupMember,
    Identifier,
    Name,
    PartnerContact,
    ShortName,
    Text,
)
from .envelope import EventData

REVISION_MAX = 10_000  # a session moved or cancelled this often is a fault, not a plan
IPADS_MAX = 1_000


class StaffMember(BaseModel):
    """A teacher or volunteer, as the people working with them need to know them."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    name: Name
    email: Email


class Teacher(StaffMember):
    """The paid teacher (docent) of a course or session."""


class Location(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    name: Name = Field(examples=["Bibliotheek Gouda, De Chocoladefabriek"])
    address: Name = Field(examples=["Klein Amerika 20, 2803 PK Gouda"])


class Session(BaseModel):
    """One session of a course. Its id stays the same when it moves (calendar UIDs rely on it)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    number: int = Field(ge=1, le=MAX_SESSIONS)
    start: AwareDatetime
    end: AwareDatetime
    session_id: Identifier | None = None
    revision: int = Field(
        default=0, ge=0, le=REVISION_MAX, description="Raised each time the session moves or is cancelled"
    )
    location: Location | None = Field(default=None, description="When it differs from the course's")
    room: ShortName | None = None
    teacher: Teacher | None = Field(default=None, description="When it differs from the course's")
    volunteers: list[StaffMember] = Field(default_factory=list, max_length=MAX_VOLUNTEERS)
    ipads: int = Field(
        default=0, ge=0, le=IPADS_MAX, description="iPads to bring; 0 where the location has its own"
    )
    setup_start: AwareDatetime | None = Field(
        default=None, description="When setting up the iPads starts, for a session outside the library"
    )


class CourseScheduled(EventData):
    """Published by scheduling: a group's course has its sessions, place and teacher."""

    event_type = "CourseScheduled"

    course_id: Identifier
    group_id: Identifier
    course: CourseRef
    location: Location
    teacher: Teacher
    sessions: list[Session] = Field(min_length=1, max_length=MAX_SESSIONS)
    participants: list[GroupMember] = Field(max_length=MAX_PEOPLE)
    contacts: list[PartnerContact] = Field(max_length=MAX_PEOPLE)


class CourseCompleted(EventData):
    """Published by scheduling after a course's last session, for the participants' history."""

    event_type = "CourseCompleted"

    course_id: Identifier
    group_id: Identifier
    course: CourseRef
    completed_on: date
    participants: list[GroupMember] = Field(max_length=MAX_PEOPLE)


class SessionCancelled(EventData):
    """Published by scheduling: a session will not take place (measures, teacher ill, room)."""

    event_type = "SessionCancelled"

    course_id: Identifier
    group_id: Identifier
    course: CourseRef
    session: Session
    reason_code: Code = Field(examples=["measures"])
    reason: Text = Field(description="Plain Dutch")
    measure_id: Identifier | None = None
    location: Location
    teacher: Teacher
    participants: list[GroupMember] = Field(max_length=MAX_PEOPLE)
    contacts: list[PartnerContact] = Field(max_length=MAX_PEOPLE)


class CoursePaused(EventData):
    """Published by scheduling: measures stopped a course; it resumes with the same group later."""

    event_type = "CoursePaused"

    course_id: Identifier
    group_id: Identifier
    course: CourseRef
    measure_id: Identifier
    reason: Text
    sessions_remaining: int = Field(ge=0, le=MAX_SESSIONS)
    location: Location
    teacher: Teacher
    contacts: list[PartnerContact] = Field(max_length=MAX_PEOPLE)


class CourseResumed(EventData):
    """Published by scheduling: a paused course continues, with new dates for what remains."""

    event_type = "CourseResumed"

    course_id: Identifier
    group_id: Identifier
    course: CourseRef
    measure_id: Identifier
    sessions: list[Session] = Field(
        max_length=MAX_SESSIONS, description="The sessions still to follow, with their new dates"
    )
    location: Location
    teacher: Teacher
    participants: list[GroupMember] = Field(max_length=MAX_PEOPLE)
    contacts: list[PartnerContact] = Field(max_length=MAX_PEOPLE)


class SessionRescheduled(EventData):
    """Published by scheduling: a session moved (after measures, or as a catch-up session)."""

    event_type = "SessionRescheduled"

    course_id: Identifier
    group_id: Identifier
    course: CourseRef
    session: Session
    previous_start: AwareDatetime
    reason_code: Code = Field(examples=["measures-lifted", "catch-up"])
    location: Location
    teacher: Teacher
    participants: list[GroupMember] = Field(max_length=MAX_PEOPLE)
    contacts: list[PartnerContact] = Field(max_length=MAX_PEOPLE)


class MeasuresAnnounced(EventData):
    """Published by the coordinator: public-health measures stop sessions from a date."""

    event_type = "MeasuresAnnounced"

    measure_id: Identifier
    from_date: date
    until_date: date | None = Field(default=None, description="Last day of the measure; open ended if absent")
    locations: list[Identifier] = Field(
        default_factory=list, max_length=MAX_LOCATIONS, description="Location ids; all locations when empty"
    )
    reason: Text


class MeasuresLifted(EventData):
    """Published by the coordinator: the measure ends; paused courses continue from this date."""

    event_type = "MeasuresLifted"

    measure_id: Identifier
    from_date: date


class SessionCancellationRequested(EventData):
    """Published by the coordinator: cancel one session (teacher ill, room unavailable)."""

    event_type = "SessionCancellationRequested"

    session_id: Identifier
    reason_code: Code = Field(examples=["teacher-ill", "room-unavailable"])
    reason: Text


class SessionCancellationRefused(EventData):
    """Published by scheduling: a session cancellation could not be done, and why."""

    event_type = "SessionCancellationRefused"

    session_id: Identifier
    reason_code: Code = Field(examples=["unknown-session", "already-cancelled", "in-the-past"])
    reason: Text = Field(description="Plain Dutch, for the coordinator")
    reason_en: Text


class MeasuresApplied(EventData):
    """Published by scheduling: what announcing or lifting a measure changed, counted."""

    event_type = "MeasuresApplied"

    measure_id: Identifier
    action: Literal["announced", "lifted"]
    outcome: Literal["applied", "known-already", "unknown-measure"] = Field(
        description="`known-already`: announced before, nothing changed; `unknown-measure`: "
        "lifting a measure scheduling does not know"
    )
    sessions_cancelled: int = Field(default=0, ge=0, le=1_000_000)
    courses_paused: int = Field(default=0, ge=0, le=1_000_000)
    courses_resumed: int = Field(default=0, ge=0, le=1_000_000)
    courses_still_paused: int = Field(
        default=0,
        ge=0,
        le=1_000_000,
        description="Lifted, but another measure or no free plan keeps them paused",
    )
