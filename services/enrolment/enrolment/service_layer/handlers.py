"""What enrolment does with a referral: check it, answer the partner, place the participant."""

from __future__ import annotations

import logging
import uuid

from taalhuis_shared.events import (
    ContactPerson,
    CourseRef,
    GroupFilled,
    GroupMember,
    PartnerContact,
    ReferralAccepted,
    ReferralRejected,
    ReferralSubmittedV1,
    new_event,
)
from taalhuis_shared.messaging.unit_of_work import UnitOfWork

from ..adapters.repository import EnrolmentRepository
from ..domain import model

log = logging.getLogger(__name__)

SOURCE = "urn:taalhuis:enrolment"


async def submit_referral(
    event: ReferralSubmittedV1, uow: UnitOfWork[EnrolmentRepository], policy: model.Policy
) -> None:
    referral = event.data
    async with uow:
        if not await uow.first_time(event):
            log.info("referral event %s was handled before; nothing to do", event.id)
            return
        rejection = model.check_eligibility(referral, policy)
        if rejection is None and await uow.repository.is_known(
            referral.partner_id, referral.partner_referral_id
        ):
            rejection = model.DUPLICATE_REFERRAL
        if rejection is None and await uow.repository.is_enrolled(
            referral.partner_id, referral.participant.employee_reference, referral.course.type
        ):
            rejection = model.ALREADY_ENROLLED
        if rejection is not None:
            await reject(event, rejection, uow)
        else:
            await accept(event, uow, policy)


async def reject(
    event: ReferralSubmittedV1, rejection: model.Rejection, uow: UnitOfWork[EnrolmentRepository]
) -> None:
    referral = event.data
    log.info("referral %s/%s rejected: %s", referral.partner_id, referral.partner_referral_id, rejection.code)
    await uow.repository.add_rejection(
        event_id=event.id,
        partner_id=referral.partner_id,
        partner_referral_id=referral.partner_referral_id,
        reason_code=rejection.code,
    )
    await uow.publish(
        new_event(
            ReferralRejected(
                partner_id=referral.partner_id,
                partner_referral_id=referral.partner_referral_id,
                reason_code=rejection.code,
                reason=rejection.reason,
                reason_en=rejection.reason_en,
            ),
            source=SOURCE,
            subject=referral.partner_referral_id,
        )
    )


async def accept(
    event: ReferralSubmittedV1, uow: UnitOfWork[EnrolmentRepository], policy: model.Policy
) -> None:
    referral = event.data
    referral_id = str(uuid.uuid4())
    group = await uow.repository.open_group(
        referral.course.type, referral.course.level, policy.group_capacity
    )
    group.place(referral_id)
    await uow.repository.add_referral(
        id=referral_id,
        event_id=event.id,
        partner_id=referral.partner_id,
        partner_referral_id=referral.partner_referral_id,
        employee_reference=referral.participant.employee_reference,
        display_name=model.display_name(referral.participant.given_name, referral.participant.family_name),
        course_type=referral.course.type,
        level=referral.course.level,
        contact_name=referral.contact.name,
        contact_email=str(referral.contact.email),
        group_id=group.id,
    )
    log.info("referral %s accepted into group %s", referral_id, group.id)
    await uow.publish(
        new_event(
            ReferralAccepted(
                referral_id=referral_id,
                partner_id=referral.partner_id,
                partner_referral_id=referral.partner_referral_id,
                course=referral.course,
                group_id=group.id,
            ),
            source=SOURCE,
            subject=referral.partner_referral_id,
        )
    )
    if group.is_full:
        await fill(group, uow)


async def fill(group: model.Group, uow: UnitOfWork[EnrolmentRepository]) -> None:
    await uow.repository.mark_filled(group.id)
    members = await uow.repository.members_of(group.id)
    contacts = {
        (m.partner_id, m.contact_email): PartnerContact(
            partner_id=m.partner_id, contact=ContactPerson(name=m.contact_name, email=m.contact_email)
        )
        for m in members
    }
    log.info("group %s is full with %d participants", group.id, len(members))
    await uow.publish(
        new_event(
            GroupFilled(
                group_id=group.id,
                course=CourseRef(type=group.course_type, level=group.level),
                capacity=group.capacity,
                participants=[
                    GroupMember(
                        referral_id=m.id,
                        partner_id=m.partner_id,
                        partner_referral_id=m.partner_referral_id,
                        display_name=m.display_name,
                    )
                    for m in members
                ],
                contacts=list(contacts.values()),
            ),
            source=SOURCE,
            subject=group.id,
        )
    )
