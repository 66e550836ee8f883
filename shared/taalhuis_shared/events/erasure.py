"""Erasure events: a person's data erased on request (AVG art. 17), service by service.

The coordinator, or a partner for its own employee, asks enrolment to erase a person
(`ErasureRequested`). Enrolment withdraws the person where they wait or take part, erases its
own copy and tells the other services which records were that person's (`ErasureOrdered`). Each
of the three services answers with `PersonErased` and what it removed; the request is done when
all three have answered.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from .common import MAX_PEOPLE, Identifier, ShortName
from .envelope import EventData

# The services that must answer before a request is done; the console answers too when it runs
# (a deployment may run without it), so it is allowed in `PersonErased` but not waited for.
SERVICES = ("enrolment", "scheduling", "notifications")
MAX_REFERRALS = 50  # of one person: a few courses a year, over the years the data are kept
MAX_COUNTS = 20


class ErasureRequested(EventData):
    """Published by the coordinator, or by a partner for its own employee: erase this person."""

    event_type = "ErasureRequested"

    request_id: Identifier = Field(description="Chosen by the requester; answers carry it back")
    partner_id: Identifier
    employee_reference: Identifier = Field(description="The partner's reference of the employee")
    partner_referral_ids: list[Identifier] = Field(
        default_factory=list,
        max_length=MAX_REFERRALS,
        description="The partner's referral ids of this person, when known: a refused referral is "
        "kept by its referral id only, without the employee reference",
    )
    requested_by: ShortName | None = Field(
        default=None, description="Who asked (for the coordinator's record), e.g. the FG's case number"
    )


class ErasureOrdered(EventData):
    """Published by enrolment: erase these records of one person (all three services answer)."""

    event_type = "ErasureOrdered"

    request_id: Identifier
    partner_id: Identifier
    referral_ids: list[Identifier] = Field(default_factory=list, max_length=MAX_REFERRALS)
    partner_referral_ids: list[Identifier] = Field(default_factory=list, max_length=MAX_REFERRALS)
    display_names: list[ShortName] = Field(
        default_factory=list,
        max_length=MAX_PEOPLE,
        description="How the person was named to others (groups, mails), to find those copies",
    )


class PersonErased(EventData):
    """Published by each service once it erased the person: what it removed, counted."""

    event_type = "PersonErased"

    request_id: Identifier
    service: Literal["enrolment", "scheduling", "notifications", "console"]
    counts: dict[Identifier, Annotated[int, Field(ge=0, le=1_000_000)]] = Field(
        default_factory=dict,
        max_length=MAX_COUNTS,
        description="Per kind of record (e.g. `referrals`, `mails`, `parked-messages`): how many",
    )
