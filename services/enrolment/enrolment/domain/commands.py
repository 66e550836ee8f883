"""What enrolment is asked to do: plain commands, translated from the wire events at the edge."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class SubmitReferral:
    """A partner refers an employee for a course; `publisher` is the RabbitMQ user that sent it."""

    event_id: str
    publisher: str
    partner_id: str
    partner_referral_id: str
    employee_reference: str
    given_name: str
    family_name: str
    course_type: str
    level: int
    can_read_and_write_a_little: bool
    consent_to_share_data: bool
    contact_name: str
    contact_email: str
    municipality_of_residence: str | None = None
    municipality_of_work: str | None = None
    language_group: str = ""  # "" when the referral names no NT1/NT2
    preferred_locations: tuple[str, ...] = ()


@dataclass(frozen=True)
class WithdrawReferral:
    event_id: str
    publisher: str
    partner_id: str
    partner_referral_id: str


@dataclass(frozen=True)
class OpenIntake:
    """The coordinator opens room for `groups` new groups of a course type."""

    intake_id: str
    course_type: str
    groups: int
    from_date: date
    locations: tuple[str, ...] = ()


@dataclass(frozen=True)
class CloseEarly:
    """The coordinator forms a group now from a waiting list that is not yet full."""

    course_type: str
    level: int
    language_group: str = ""


@dataclass(frozen=True)
class RecordSchedule:
    """Scheduling planned a group's course: its first and last session day."""

    group_id: str
    first_session: date
    last_session: date


@dataclass(frozen=True)
class RecordNewDates:
    """Sessions of a group's course moved: (session number, new day) each."""

    group_id: str
    sessions: tuple[tuple[int, date], ...]


@dataclass(frozen=True)
class RecordCompletion:
    group_id: str
    completed_on: date


@dataclass(frozen=True)
class ErasePerson:
    """A partner (or the coordinator for it) asks to erase a person wherever enrolment has them."""

    request_id: str
    publisher: str
    partner_id: str
    employee_reference: str
    requested_by: str | None = None
    partner_referral_ids: tuple[str, ...] = field(default=())
