"""Referral events: a partner refers an employee, enrolment answers."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from .common import (
    MAX_PREFERRED_LOCATIONS,
    Code,
    ContactPerson,
    CourseRef,
    Identifier,
    Name,
    ShortName,
    Text,
)
from .envelope import EventData

WAITING_POSITION_MAX = 1_000_000


class Participant(BaseModel):
    """Who is referred. The employee reference is the partner's own, stable across referrals."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    employee_reference: Identifier = Field(examples=["E-10231"])
    given_name: ShortName
    family_name: ShortName


class ReferralSubmitted(EventData):
    """Published by a partner: please enrol this employee in this course."""

    event_type = "ReferralSubmitted"

    partner_id: Identifier = Field(examples=["promen"])
    partner_referral_id: Identifier = Field(examples=["PRM-2026-0001"])
    participant: Participant
    course: CourseRef
    municipality_of_residence: ShortName | None = None
    municipality_of_work: ShortName | None = None
    can_read_and_write_a_little: bool
    consent_to_share_data: bool
    language_group: Literal["NT1", "NT2"] | None = Field(
        default=None, description="NT1: Dutch mother tongue; NT2: Dutch as a second language"
    )
    preferred_locations: list[Name] = Field(
        default_factory=list,
        max_length=MAX_PREFERRED_LOCATIONS,
        examples=[["Bibliotheek Gouda", "Promen Gouda"]],
    )
    contact: ContactPerson

    @field_validator("municipality_of_residence", "municipality_of_work", mode="before")
    @classmethod
    def _blank_is_absent(cls, value: Any) -> Any:
        # Partners' systems send an empty field for "not known"; the rule below then applies.
        return None if isinstance(value, str) and not value.strip() else value

    @model_validator(mode="after")
    def _lives_or_works_somewhere(self) -> ReferralSubmitted:
        if not (self.municipality_of_residence or self.municipality_of_work):
            # Its own error type, so that a rejection can say in plain words what is missing.
            raise PydanticCustomError(
                "municipality_missing", "municipality_of_residence or municipality_of_work is required"
            )
        return self


class ReferralAccepted(EventData):
    """Published by enrolment: the referral is accepted; the participant waits for a group."""

    event_type = "ReferralAccepted"

    referral_id: Identifier
    partner_id: Identifier
    partner_referral_id: Identifier
    course: CourseRef
    language_group: Literal["NT1", "NT2"] | None = None
    waiting_position: int = Field(
        ge=1, le=WAITING_POSITION_MAX, description="Place on the waiting list for this course"
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


class ParticipantPlaced(EventData):
    """Published by enrolment: a waiting participant has a place in a group."""

    event_type = "ParticipantPlaced"

    referral_id: Identifier
    partner_id: Identifier
    partner_referral_id: Identifier
    course: CourseRef
    group_id: Identifier


class ReferralRejected(EventData):
    """Published by enrolment: the referral is not accepted, with a stable reason code."""

    event_type = "ReferralRejected"

    partner_id: Identifier
    partner_referral_id: Identifier
    reason_code: Code = Field(examples=["municipality-not-served"])
    reason: Text = Field(description="Plain Dutch, for the partner's contact person")
    reason_en: Text = Field(description="The same in English")
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

    partner_id: Identifier
    partner_referral_id: Identifier


class WithdrawalProcessed(EventData):
    """Published by enrolment: what a withdrawal changed, with a stable outcome code."""

    event_type = "WithdrawalProcessed"

    partner_id: Identifier
    partner_referral_id: Identifier
    outcome: Code = Field(examples=["removed-from-waiting-list"])
    reason: Text = Field(description="Plain Dutch, for the partner's contact person")
    reason_en: Text
