"""What happened in enrolment, as the course type aggregate records it: domain events, no wire classes.

The service layer translates each into the event the partners, scheduling and notifications hear
(`taalhuis_shared.events`) and into the referral's history.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from .model import Contact, Rejection
from .status import WithdrawalOutcome


@dataclass(frozen=True)
class Member:
    """A participant as a group's teacher and the partner's contact person need them."""

    referral_id: str
    partner_id: str
    partner_referral_id: str
    display_name: str
    contact: Contact
    preferred_locations: tuple[str, ...]


@dataclass(frozen=True)
class ReferralAccepted:
    event_id: str
    referral_id: str
    partner_id: str
    partner_referral_id: str
    course_type: str
    level: int
    language_group: str
    waiting_position: int
    contact: Contact
    contact_replaced: bool


@dataclass(frozen=True)
class ReferralRejected:
    """`partner_id` is the partner that hears it: the sender, which may differ from the one named."""

    event_id: str
    partner_id: str
    partner_referral_id: str
    rejection: Rejection
    contact: Contact | None
    contact_replaced: bool = False


@dataclass(frozen=True)
class ParticipantPlaced:
    member: Member
    course_type: str
    level: int
    group_id: str


@dataclass(frozen=True)
class GroupFilled:
    group_id: str
    course_type: str
    level: int
    language_group: str
    capacity: int
    members: tuple[Member, ...]
    closed_early: bool
    earliest_start: date
    locations: tuple[str, ...]
    preferred_locations: tuple[str, ...]


@dataclass(frozen=True)
class GroupChanged:
    """Someone left a group (and perhaps someone waiting took the seat); `members` as it is now."""

    group_id: str
    course_type: str
    level: int
    removed: tuple[Member, ...]
    added: tuple[Member, ...]
    members: tuple[Member, ...]


@dataclass(frozen=True)
class WithdrawalProcessed:
    partner_id: str
    partner_referral_id: str
    outcome: WithdrawalOutcome
    referral_id: str | None = None


@dataclass(frozen=True)
class EarlyClosureRefused:
    course_type: str
    level: int
    language_group: str
    code: str
    reason: str
    reason_en: str


Event = (
    ReferralAccepted
    | ReferralRejected
    | ParticipantPlaced
    | GroupFilled
    | GroupChanged
    | WithdrawalProcessed
    | EarlyClosureRefused
)
