"""What enrolment publishes: the course type's domain events as the contracts' events, and the
referrals' history lines they are noted in."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from taalhuis_shared.events import (
    ContactPerson,
    CourseRef,
    EarlyClosureRefused,
    GroupChanged,
    GroupFilled,
    GroupMember,
    ParticipantPlaced,
    PartnerContact,
    ReferralAccepted,
    ReferralRejected,
    WithdrawalProcessed,
    new_event,
)

from ..domain import events, model
from .unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

SOURCE = "urn:taalhuis:enrolment"


async def publish(uow: UnitOfWork, recorded: list[events.Event], event_id: str | None = None) -> None:
    """Publish (and note in the referrals' history) what the course type recorded; empties the list."""
    taken = list(recorded)
    recorded.clear()
    for happened in taken:
        await uow.publish(_translate(uow, happened, event_id))


def _translate(uow: UnitOfWork, happened: events.Event, event_id: str | None) -> dict[str, Any]:
    match happened:
        case events.ReferralAccepted():
            return _accepted(uow, happened)
        case events.ReferralRejected():
            return _rejected(uow, happened, event_id or happened.event_id)
        case events.ParticipantPlaced():
            return _placed(uow, happened)
        case events.GroupFilled():
            return _group_filled(happened)
        case events.GroupChanged():
            return new_event(
                GroupChanged(
                    group_id=happened.group_id,
                    course=CourseRef(type=happened.course_type, level=happened.level),
                    removed=[_member(m) for m in happened.removed],
                    added=[_member(m) for m in happened.added],
                    participants=[_member(m) for m in happened.members],
                    contacts=_contacts(happened.members),
                ),
                source=SOURCE,
                subject=happened.group_id,
            )
        case events.WithdrawalProcessed():
            return new_event(
                WithdrawalProcessed(
                    partner_id=happened.partner_id,
                    partner_referral_id=happened.partner_referral_id,
                    outcome=happened.outcome.value,
                    reason=happened.outcome.reason,
                    reason_en=happened.outcome.reason_en,
                ),
                source=SOURCE,
                subject=happened.partner_referral_id,
            )
        case events.EarlyClosureRefused():
            log.info(
                "early closure of %s level %d refused: %s",
                happened.course_type,
                happened.level,
                happened.code,
            )
            return new_event(
                EarlyClosureRefused(
                    course=CourseRef(type=happened.course_type, level=happened.level),
                    language_group=_language(happened.language_group),
                    reason_code=happened.code,
                    reason=happened.reason,
                    reason_en=happened.reason_en,
                ),
                source=SOURCE,
            )


def _accepted(uow: UnitOfWork, accepted: events.ReferralAccepted) -> dict[str, Any]:
    if accepted.contact_replaced:
        log.info(
            "a referral for partner %s names a contact it did not configure; used its own",
            accepted.partner_id,
        )
    uow.repository.note(
        accepted.partner_id,
        accepted.partner_referral_id,
        "accepted",
        f"wachtlijst {accepted.waiting_position}",
    )
    log.info("referral %s accepted, waiting at position %d", accepted.referral_id, accepted.waiting_position)
    return new_event(
        ReferralAccepted(
            referral_id=accepted.referral_id,
            partner_id=accepted.partner_id,
            partner_referral_id=accepted.partner_referral_id,
            course=CourseRef(type=accepted.course_type, level=accepted.level),
            language_group=_language(accepted.language_group),
            waiting_position=accepted.waiting_position,
            contact=_contact(accepted.contact),
            contact_replaced=accepted.contact_replaced,
        ),
        source=SOURCE,
        subject=accepted.partner_referral_id,
    )


def _rejected(uow: UnitOfWork, rejected: events.ReferralRejected, event_id: str) -> dict[str, Any]:
    rejection = rejected.rejection
    if rejected.contact_replaced:
        log.info(
            "a referral for partner %s names a contact it did not configure; used its own",
            rejected.partner_id,
        )
    # The event id, not the partner's referral id: a partner may build that from a name.
    log.info("referral event %s rejected: %s", event_id, rejection.code)
    if rejection is not model.DUPLICATE_REFERRAL:  # the history is the first referral's
        uow.repository.note(rejected.partner_id, rejected.partner_referral_id, "rejected", rejection.code)
    return new_event(
        ReferralRejected(
            partner_id=rejected.partner_id,
            partner_referral_id=rejected.partner_referral_id,
            reason_code=rejection.code,
            reason=rejection.reason,
            reason_en=rejection.reason_en,
            retake_possible_from=rejection.retake_possible_from,
            contact=_contact(rejected.contact) if rejected.contact else None,
            contact_replaced=rejected.contact_replaced,
        ),
        source=SOURCE,
        subject=rejected.partner_referral_id,
    )


def _placed(uow: UnitOfWork, placed: events.ParticipantPlaced) -> dict[str, Any]:
    member = placed.member
    uow.repository.note(member.partner_id, member.partner_referral_id, "placed", f"groep {placed.group_id}")
    return new_event(
        ParticipantPlaced(
            referral_id=member.referral_id,
            partner_id=member.partner_id,
            partner_referral_id=member.partner_referral_id,
            course=CourseRef(type=placed.course_type, level=placed.level),
            group_id=placed.group_id,
        ),
        source=SOURCE,
        subject=member.partner_referral_id,
    )


def _group_filled(group: events.GroupFilled) -> dict[str, Any]:
    log.info(
        "group %s formed with %d participants (closed early: %s)",
        group.group_id,
        len(group.members),
        group.closed_early,
    )
    return new_event(
        GroupFilled(
            group_id=group.group_id,
            course=CourseRef(type=group.course_type, level=group.level),
            language_group=_language(group.language_group),
            capacity=group.capacity,
            participants=[_member(m) for m in group.members],
            contacts=_contacts(group.members),
            closed_early=group.closed_early,
            earliest_start=group.earliest_start,
            locations=list(group.locations),
            preferred_locations=list(group.preferred_locations),
        ),
        source=SOURCE,
        subject=group.group_id,
    )


def _language(code: str) -> Any:
    return code or None


def _contact(contact: model.Contact) -> ContactPerson:
    # Not validated again: the address is a configured contact's or one validated on the way in
    # (checking an address costs more than the rest of building the answer).
    return ContactPerson.model_construct(name=contact.name, email=contact.email)


def _member(member: events.Member) -> GroupMember:
    return GroupMember(
        referral_id=member.referral_id,
        partner_id=member.partner_id,
        partner_referral_id=member.partner_referral_id,
        display_name=member.display_name,
    )


def _contacts(members: Sequence[events.Member]) -> list[PartnerContact]:
    contacts = {
        (m.partner_id, m.contact.email): PartnerContact(partner_id=m.partner_id, contact=_contact(m.contact))
        for m in members
    }
    return list(contacts.values())
