"""Referral events: a partner refers an employee, enrolment answers."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from .common import ContactPerson, CourseRef
from .envelope import EventData

# Surrounding white space is removed; what remains must not be empty.
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class Participant(BaseModel):
    """Who is referred. The employee reference is the partner's own, stable across referrals."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    employee_reference: Name = Field(max_length=100)
    given_name: Name = Field(max_length=100)
    family_name: Name = Field(max_length=100)


class ReferralSubmitted(EventData):
    """Published by a partner: please enrol this employee in this course."""

    event_type = "ReferralSubmitted"

    partner_id: str = Field(min_length=1, max_length=100, examples=["promen"])
    partner_referral_id: str = Field(min_length=1, max_length=100, examples=["PRM-2026-0001"])
    participant: Participant
    course: CourseRef
    municipality_of_residence: str | None = Field(default=None, max_length=100)
    municipality_of_work: str | None = Field(default=None, max_length=100)
    can_read_and_write_a_little: bool
    consent_to_share_data: bool
    language_group: Literal["NT1", "NT2"] | None = Field(
        default=None, description="NT1: Dutch mother tongue; NT2: Dutch as a second language"
    )
    preferred_locations: list[str] = Field(
        default_factory=list, max_length=5, examples=[["Bibliotheek Gouda", "Promen Gouda"]]
    )
    contact: ContactPerson

    @model_validator(mode="after")
    def _lives_or_works_somewhere(self) -> ReferralSubmitted:
        if not (self.municipality_of_residence or self.municipality_of_work):
            raise ValueError("municipality_of_residence or municipality_of_work is required")
        return self


class ReferralAccepted(EventData):
    """Published by enrolment: the referral is accepted; the participant waits for a group."""

    event_type = "ReferralAccepted"

    referral_id: str
    partner_id: str
    partner_referral_id: str
    course: CourseRef
    language_group: Literal["NT1", "NT2"] | None = None
    waiting_position: int = Field(ge=1, description="Place on the waiting list for this course")
    contact: ContactPerson | None = Field(
        default=None,
        description="Who the answer is for: the contact person the referral named when the partner "
        "configured that address (or its domain), else the partner's configured one; none for an "
        "unknown partner",
    )
    contact_replaced: bool = Field(
        default=False,
        description="The referral named a contact address the partner did not configure; "
        "`contact` is the partner's configured contact person instead",
    )


class ParticipantPlaced(EventData):
    """Published by enrolment: a waiting participant has a place in a group."""

    event_type = "ParticipantPlaced"

    referral_id: str
    partner_id: str
    partner_referral_id: str
    course: CourseRef
    group_id: str


class ReferralRejected(EventData):
    """Published by enrolment: the referral is not accepted, with a stable reason code."""

    event_type = "ReferralRejected"

    partner_id: str
    partner_referral_id: str
    reason_code: str = Field(examples=["municipality-not-served"])
    reason: str = Field(description="Plain Dutch, for the partner's contact person")
    reason_en: str = Field(description="The same in English")
    retake_possible_from: date | None = Field(
        default=None, description="For `retake-too-soon`: the first day a new referral can be accepted"
    )
    contact: ContactPerson | None = Field(
        default=None,
        description="Who the answer is for: the contact person the referral named when the partner "
        "configured that address (or its domain), else the partner's configured one; none for an "
        "unknown partner",
    )
    contact_replaced: bool = Field(
        default=False,
        description="The referral named a contact address the partner did not configure; "
        "`contact` is the partner's configured contact person instead",
    )


class ReferralWithdrawn(EventData):
    """Published by a partner: this employee no longer takes part."""

    event_type = "ReferralWithdrawn"

    partner_id: str = Field(min_length=1, max_length=100)
    partner_referral_id: str = Field(min_length=1, max_length=100)


class WithdrawalProcessed(EventData):
    """Published by enrolment: what a withdrawal changed, with a stable outcome code."""

    event_type = "WithdrawalProcessed"

    partner_id: str
    partner_referral_id: str
    outcome: str = Field(examples=["removed-from-waiting-list"])
    reason: str = Field(description="Plain Dutch, for the partner's contact person")
    reason_en: str
