"""What enrolment does with each event: referrals, intakes, early closures, withdrawals, courses.

Every handler runs in one unit of work, opened by the shared handling step after it recorded the
event in the inbox: the inbox entry, the changes and the events they cause commit together.
Everything that touches a course type's waiting lists and groups first takes that course type's
lock, so several enrolment processes keep positions and groups exact.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import date
from typing import Any

from pydantic import ValidationError

from taalhuis_shared import erasure
from taalhuis_shared.events import (
    CloudEvent,
    ContactPerson,
    CourseCompletedV1,
    CourseRef,
    CourseResumedV1,
    CourseScheduledV1,
    EarlyClosureRefused,
    EarlyClosureRequestedV1,
    ErasureOrdered,
    ErasureRequestedV1,
    GroupChanged,
    GroupFilled,
    GroupMember,
    IntakeOpenedV1,
    ParticipantPlaced,
    PartnerContact,
    PersonErasedV1,
    ReferralAccepted,
    ReferralRejected,
    ReferralSubmitted,
    ReferralSubmittedV1,
    ReferralWithdrawn,
    ReferralWithdrawnV1,
    SessionRescheduledV1,
    WithdrawalProcessed,
    new_event,
)
from taalhuis_shared.messaging.gate import Refused
from taalhuis_shared.messaging.parking import describe_problems
from taalhuis_shared.messaging.unit_of_work import UnitOfWork

from ..adapters.repository import EnrolmentRepository
from ..domain import model

log = logging.getLogger(__name__)

SOURCE = "urn:taalhuis:enrolment"
Uow = UnitOfWork[EnrolmentRepository]


def _language(code: str) -> Any:
    return code or None


# --- referrals ---------------------------------------------------------------------------------


async def submit_referral(
    event: ReferralSubmittedV1, uow: Uow, policy: model.Policy, publisher: str, today: date
) -> None:
    referral = event.data
    await uow.repository.lock_course(referral.course.type)
    # A referral seen before is a duplicate, whatever else it now says.
    if await uow.repository.is_known(referral.partner_id, referral.partner_referral_id):
        rejection: model.Rejection | None = model.DUPLICATE_REFERRAL
    else:
        rejection = model.check_referral(referral, policy, publisher) or await _check_history(
            uow, referral, policy, today
        )
    if rejection is not None:
        # The event id, not the partner's referral id: a partner may build that from a name.
        log.info("referral event %s rejected: %s", event.id, rejection.code)
        answer_to = policy.sender(publisher, referral.partner_id)
        contact, replaced = _contact(policy, answer_to, referral)
        await reject(referral, rejection, uow, answer_to, contact, replaced)
        return
    await accept(event, uow, policy)
    await form_groups(uow, policy, referral.course.type)


async def _check_history(
    uow: Uow, referral: Any, policy: model.Policy, today: date
) -> model.Rejection | None:
    repository = uow.repository
    person = (referral.partner_id, referral.participant.employee_reference)
    course = (referral.course.type, referral.course.level)
    if await repository.is_enrolled(*person, *course):
        return model.ALREADY_ENROLLED
    last_completed = await repository.last_completion(*person, *course)
    return model.check_retake(last_completed, today, policy.retake_after_months)


def _contact(policy: model.Policy, partner_id: str, referral: Any) -> tuple[ContactPerson | None, bool]:
    """Who hears about the referral: a contact person partner `partner_id` configured (none for
    an unknown partner), and whether that replaced the one the referral named."""
    partner = policy.partners.get(partner_id)
    if partner is None:
        return None, False
    choice = model.choose_contact(partner, model.Contact(referral.contact.name, str(referral.contact.email)))
    if choice.replaced:
        log.info("a referral for partner %s names a contact it did not configure; used its own", partner_id)
    return ContactPerson(name=choice.contact.name, email=choice.contact.email), choice.replaced


async def reject(
    referral: Any,
    rejection: model.Rejection,
    uow: Uow,
    answer_to: str,
    contact: ContactPerson | None,
    contact_replaced: bool = False,
) -> None:
    """Answer the partner that sent the referral (`answer_to`) why it is not accepted.

    `contact` is one that partner configured (`_contact`), never simply the one the referral names.
    """
    if rejection is not model.DUPLICATE_REFERRAL:  # the history is the first referral's
        await uow.repository.note(answer_to, referral.partner_referral_id, "rejected", rejection.code)
    await uow.publish(
        new_event(
            ReferralRejected(
                partner_id=answer_to,
                partner_referral_id=referral.partner_referral_id,
                reason_code=rejection.code,
                reason=rejection.reason,
                reason_en=rejection.reason_en,
                retake_possible_from=rejection.retake_possible_from,
                contact=contact,
                contact_replaced=contact_replaced,
            ),
            source=SOURCE,
            subject=referral.partner_referral_id,
        )
    )


async def accept(event: ReferralSubmittedV1, uow: Uow, policy: model.Policy) -> None:
    referral = event.data
    contact, replaced = _contact(policy, referral.partner_id, referral)
    assert contact is not None  # an accepted referral's partner is known
    referral_id = str(uuid.uuid4())
    language_group = referral.language_group or model.NO_LANGUAGE_GROUP
    arrival = await uow.repository.add_referral(
        id=referral_id,
        event_id=event.id,
        partner_id=referral.partner_id,
        partner_referral_id=referral.partner_referral_id,
        employee_reference=referral.participant.employee_reference,
        display_name=model.display_name(referral.participant.given_name, referral.participant.family_name),
        course_type=referral.course.type,
        level=referral.course.level,
        language_group=language_group,
        preferred_locations=referral.preferred_locations,
        contact_name=contact.name,
        contact_email=str(contact.email),
    )
    position = await uow.repository.waiting_position(
        referral.course.type, referral.course.level, language_group, arrival
    )
    await uow.repository.note(
        referral.partner_id, referral.partner_referral_id, "accepted", f"wachtlijst {position}"
    )
    log.info("referral %s accepted, waiting at position %d", referral_id, position)
    await uow.publish(
        new_event(
            ReferralAccepted(
                referral_id=referral_id,
                partner_id=referral.partner_id,
                partner_referral_id=referral.partner_referral_id,
                course=referral.course,
                language_group=referral.language_group,
                waiting_position=position,
                contact=contact,
                contact_replaced=replaced,
            ),
            source=SOURCE,
            subject=referral.partner_referral_id,
        )
    )


# --- capacity and groups -----------------------------------------------------------------------


def answer_to_invalid_referral(
    refused: Refused, policy: model.Policy
) -> Callable[[CloudEvent, str, Uow], Awaitable[None]] | None:
    """How to tell a partner why its referral could not be read, when it can be told; else None.

    It can be told when the referral names its partner and the partner's own referral id
    readably and was sent by that partner's user: the answer goes to that partner only, to its
    own contact person (the contact in the referral may be what is wrong).
    """
    envelope = refused.envelope
    errors = refused.errors
    if envelope is None or errors is None or envelope.type != ReferralSubmitted.event_type:
        return None
    try:
        named = ReferralWithdrawn.model_validate(envelope.data)  # the two fields that identify it
    except ValidationError:
        return None
    partner = policy.partners.get(named.partner_id)
    if partner is None or partner.amqp_user != refused.publisher:
        return None
    problems, problems_en = describe_problems(errors)
    first = partner.contacts[0]
    contact = ContactPerson(name=first.name, email=first.email)

    async def answer(event: CloudEvent, publisher: str, uow: Uow) -> None:
        log.info("referral event %s rejected: invalid-referral", event.id)
        await reject(named, model.invalid_referral(problems, problems_en), uow, partner.id, contact)

    return answer


async def open_intake(event: IntakeOpenedV1, uow: Uow, policy: model.Policy) -> None:
    intake = event.data
    await uow.repository.lock_course(intake.course_type)
    opened = await uow.repository.add_intake(
        intake.intake_id, intake.course_type, intake.groups, intake.from_date, intake.locations
    )
    if not opened:
        log.info("intake %s was opened before; nothing to do", intake.intake_id)
        return
    log.info("intake %s opened: %d groups of %s", intake.intake_id, intake.groups, intake.course_type)
    await form_groups(uow, policy, intake.course_type)


async def form_groups(uow: Uow, policy: model.Policy, course_type: str) -> None:
    """Form full groups while there is open capacity and a waiting list long enough."""
    offer = policy.courses.get(course_type)
    if offer is None:
        return
    while (intake := await uow.repository.intake_with_room(course_type)) is not None:
        waiting_list = model.next_full_group(
            await uow.repository.waiting_lists(course_type), offer.group_capacity
        )
        if waiting_list is None:
            return
        members = await uow.repository.first_waiting(
            course_type, waiting_list.level, waiting_list.language_group, offer.group_capacity
        )
        await form_group(uow, offer, intake, members, closed_early=False)


async def close_early(event: EarlyClosureRequestedV1, uow: Uow, policy: model.Policy) -> None:
    request = event.data
    language_group = request.language_group or model.NO_LANGUAGE_GROUP
    await uow.repository.lock_course(request.course.type)
    offer = policy.courses.get(request.course.type)
    intake = await uow.repository.intake_with_room(request.course.type)
    members = (
        await uow.repository.first_waiting(
            request.course.type, request.course.level, language_group, offer.group_capacity
        )
        if offer
        else []
    )
    if offer is None or len(members) < offer.minimum_group_size:
        minimum = offer.minimum_group_size if offer else 0
        await _refuse_closure(
            uow, event, "too-few-waiting",
            f"Er wachten te weinig deelnemers: {len(members)}, minstens {minimum} nodig.",
            f"Too few participants waiting: {len(members)}, at least {minimum} needed.",
        )  # fmt: skip
        return
    if intake is None:
        await _refuse_closure(
            uow, event, "no-capacity",
            "Er is geen ruimte voor een nieuwe groep. Open eerst een nieuwe instroom.",
            "There is no room for a new group. Open an intake first.",
        )  # fmt: skip
        return
    await form_group(uow, offer, intake, members, closed_early=True)


async def _refuse_closure(
    uow: Uow, event: EarlyClosureRequestedV1, code: str, reason: str, reason_en: str
) -> None:
    log.info(
        "early closure of %s level %d refused: %s", event.data.course.type, event.data.course.level, code
    )
    await uow.publish(
        new_event(
            EarlyClosureRefused(
                course=event.data.course,
                language_group=event.data.language_group,
                reason_code=code,
                reason=reason,
                reason_en=reason_en,
            ),
            source=SOURCE,
        )
    )


async def form_group(
    uow: Uow, offer: model.CourseOffer, intake: Any, members: Sequence[Any], *, closed_early: bool
) -> None:
    group_id = str(uuid.uuid4())
    first = members[0]
    await uow.repository.create_group(
        id=group_id,
        course_type=offer.type,
        level=first.level,
        language_group=first.language_group,
        capacity=offer.group_capacity,
        intake_id=intake.id,
        closed_early=closed_early,
    )
    await uow.repository.use_intake(intake.id)
    for seat, member in enumerate(members, start=1):
        await uow.repository.place(member.id, group_id, offer.group_capacity, seat)
        await _announce_placement(uow, member, group_id)
    log.info("group %s formed with %d participants (closed early: %s)", group_id, len(members), closed_early)
    await uow.publish(
        new_event(
            GroupFilled(
                group_id=group_id,
                course=CourseRef(type=offer.type, level=first.level),
                language_group=_language(first.language_group),
                capacity=offer.group_capacity,
                participants=[_member(m) for m in members],
                contacts=_contacts(members),
                closed_early=closed_early,
                earliest_start=intake.from_date,
                locations=intake.locations,
                preferred_locations=model.preferred_locations([m.preferred_locations for m in members]),
            ),
            source=SOURCE,
            subject=group_id,
        )
    )


async def _announce_placement(uow: Uow, member: Any, group_id: str) -> None:
    await uow.repository.note(member.partner_id, member.partner_referral_id, "placed", f"groep {group_id}")
    await uow.publish(
        new_event(
            ParticipantPlaced(
                referral_id=member.id,
                partner_id=member.partner_id,
                partner_referral_id=member.partner_referral_id,
                course=CourseRef(type=member.course_type, level=member.level),
                group_id=group_id,
            ),
            source=SOURCE,
            subject=member.partner_referral_id,
        )
    )


def _member(row: Any) -> GroupMember:
    return GroupMember(
        referral_id=row.id,
        partner_id=row.partner_id,
        partner_referral_id=row.partner_referral_id,
        display_name=row.display_name,
    )


def _contacts(rows: Sequence[Any]) -> list[PartnerContact]:
    contacts = {
        (r.partner_id, r.contact_email): PartnerContact(
            partner_id=r.partner_id, contact=ContactPerson(name=r.contact_name, email=r.contact_email)
        )
        for r in rows
    }
    return list(contacts.values())


# --- withdrawals -------------------------------------------------------------------------------

WITHDRAWAL_OUTCOMES = {
    "removed-from-waiting-list": (
        "De deelnemer staat niet meer op de wachtlijst.",
        "The participant has been removed from the waiting list.",
    ),
    "removed-from-group": (
        "De deelnemer is uit de groep gehaald. Iemand van de wachtlijst krijgt de plek als die er is.",
        "The participant has left the group; the next person waiting takes the place, if any.",
    ),
    "left-during-course": (
        "De cursus is al begonnen. We hebben genoteerd dat de deelnemer stopt.",
        "The course has started; we noted that the participant stops.",
    ),
    "partner-mismatch": (
        "Deze afmelding is verstuurd door een andere organisatie dan de partner die erin staat.",
        "This withdrawal was sent by another organisation than the partner it names.",
    ),
    "not-found": (
        "We kennen deze aanmelding niet, of ze is niet aangenomen.",
        "We do not know this referral, or it was not accepted.",
    ),
    "already-ended": (
        "Deze aanmelding loopt niet meer: de deelnemer is al gestopt of klaar.",
        "This referral has already ended.",
    ),
}


async def withdraw(
    event: ReferralWithdrawnV1, uow: Uow, policy: model.Policy, publisher: str, today: date
) -> None:
    request = event.data
    answer_to = policy.sender(publisher, request.partner_id)
    referral = await uow.repository.find(request.partner_id, request.partner_referral_id)
    if answer_to != request.partner_id:
        outcome = "partner-mismatch"  # one partner may not withdraw another's employees
    elif referral is None:
        outcome = "not-found"
    else:
        await uow.repository.lock_course(referral.course_type)
        referral = await uow.repository.find(request.partner_id, request.partner_referral_id)
        assert referral is not None
        outcome = await _withdraw(uow, referral, today)
        if outcome != "already-ended":
            await uow.repository.note(referral.partner_id, referral.partner_referral_id, "withdrawn", outcome)
    referral_id = referral.id if referral is not None else None
    log.info("withdrawal event %s (referral %s): %s", event.id, referral_id, outcome)
    await _tell_withdrawal(uow, answer_to, request.partner_referral_id, outcome)


async def _tell_withdrawal(uow: Uow, partner_id: str, partner_referral_id: str, outcome: str) -> None:
    """The partner hears what a withdrawal changed, in a stable code and plain words."""
    reason, reason_en = WITHDRAWAL_OUTCOMES[outcome]
    await uow.publish(
        new_event(
            WithdrawalProcessed(
                partner_id=partner_id,
                partner_referral_id=partner_referral_id,
                outcome=outcome,
                reason=reason,
                reason_en=reason_en,
            ),
            source=SOURCE,
            subject=partner_referral_id,
        )
    )


async def _withdraw(uow: Uow, referral: Any, today: date) -> str:
    if referral.status == "waiting":
        await uow.repository.set_status(referral.id, "withdrawn")
        return "removed-from-waiting-list"
    if referral.status != "placed":
        return "already-ended"
    group = await uow.repository.group(referral.group_id)
    assert group is not None
    if group.first_session is not None and group.first_session <= today:
        await uow.repository.set_status(referral.id, "left")
        await _announce_change(uow, group, removed=[referral], added=[])
        return "left-during-course"
    await uow.repository.set_status(referral.id, "withdrawn", group_id=None, group_capacity=None, seat=None)
    # The first person waiting for this course, level and language group takes the seat.
    added = await uow.repository.first_waiting(group.course_type, group.level, group.language_group, 1)
    for replacement in added:
        await uow.repository.place(replacement.id, group.id, group.capacity, referral.seat)
        await _announce_placement(uow, replacement, group.id)
    await _announce_change(uow, group, removed=[referral], added=added)
    return "removed-from-group"


async def _announce_change(uow: Uow, group: Any, removed: list[Any], added: list[Any]) -> None:
    members = await uow.repository.members(group.id)
    await uow.publish(
        new_event(
            GroupChanged(
                group_id=group.id,
                course=CourseRef(type=group.course_type, level=group.level),
                removed=[_member(r) for r in removed],
                added=[_member(r) for r in added],
                participants=[_member(m) for m in members],
                contacts=_contacts(members),
            ),
            source=SOURCE,
            subject=group.id,
        )
    )


# --- what scheduling tells us --------------------------------------------------------------------


async def record_schedule(event: CourseScheduledV1, uow: Uow) -> None:
    """Keep the group's course dates: a withdrawal before the first session frees the place."""
    course = event.data
    first = min(s.start for s in course.sessions).date()
    last = max(s.start for s in course.sessions).date()
    await uow.repository.set_group(
        course.group_id, status="scheduled", first_session=first, last_session=last
    )


async def record_new_dates(event: SessionRescheduledV1 | CourseResumedV1, uow: Uow) -> None:
    """Sessions moved (measures lifted, a catch-up): keep the course's first and last day right.

    A course whose first session was cancelled before it took place has not started yet, so a
    withdrawal still frees the seat for someone waiting.
    """
    moved = [event.data.session] if isinstance(event, SessionRescheduledV1) else event.data.sessions
    group = await uow.repository.group(event.data.group_id)
    if group is None:
        return
    # Several moved sessions of one course are handled at once: read and write the dates
    # under the course type's lock, or one handler's stale dates overwrite another's.
    await uow.repository.lock_course(group.course_type)
    group = await uow.repository.group(group.id)
    assert group is not None
    first, last = group.first_session, group.last_session
    for session in moved:
        day = session.start.date()
        if session.number == 1:
            first = day
        last = max(last, day) if last else day
    await uow.repository.set_group(group.id, first_session=first, last_session=last)


async def record_completion(event: CourseCompletedV1, uow: Uow) -> None:
    """The participants completed the course: the retake rule counts from this day."""
    course = event.data
    completed = await uow.repository.complete_members(course.group_id, course.completed_on)
    await uow.repository.set_group(course.group_id, status="completed")
    for row in completed:
        await uow.repository.note(
            row.partner_id, row.partner_referral_id, "completed", course.completed_on.isoformat()
        )
    log.info("group %s completed on %s", course.group_id, course.completed_on)


# --- erasure on request ---------------------------------------------------------------------------


async def erase_person(
    event: ErasureRequestedV1, uow: Uow, policy: model.Policy, publisher: str, today: date
) -> None:
    """Withdraw the person wherever they wait or take part, then have every service erase them.

    The withdrawal goes first and as for anyone (a seat freed before the course, the teacher
    told of someone leaving during it); `ErasureOrdered` follows it in the outbox, so every
    service sees the withdrawal before the order. Enrolment's own rows are erased by its eraser
    once those messages are out.
    """
    request = event.data
    if policy.sender(publisher, request.partner_id) != request.partner_id:
        # One partner may not erase another's employees; the coordinator's view shows the refusal.
        await uow.repository.record_erasure_request(
            request.request_id, request.partner_id, publisher, request.requested_by, "partner-mismatch"
        )
        log.warning("erasure request %s refused: partner-mismatch", request.request_id)
        return
    if not await uow.repository.record_erasure_request(
        request.request_id, request.partner_id, publisher, request.requested_by, "erasing"
    ):
        log.info("erasure request %s was taken before; nothing to do", request.request_id)
        return
    wanted = (request.partner_id, request.employee_reference, request.partner_referral_ids)
    found = await uow.repository.referrals_of_person(*wanted)
    for course_type in sorted({row.course_type for row in found}):
        await uow.repository.lock_course(course_type)
    found = await uow.repository.referrals_of_person(*wanted)
    for row in found:
        if row.status in ("waiting", "placed"):
            # Told to the partner as any withdrawal (and counted so for the municipality).
            outcome = await _withdraw(uow, row, today)
            await _tell_withdrawal(uow, row.partner_id, row.partner_referral_id, outcome)
    person = erasure.Person(
        partner_id=request.partner_id,
        referral_ids=frozenset(row.id for row in found),
        partner_referral_ids=frozenset(
            [*(row.partner_referral_id for row in found), *request.partner_referral_ids]
        ),
        display_names=frozenset(row.display_name for row in found if row.display_name),
        employee_reference=request.employee_reference,
    )
    await uow.publish(
        new_event(
            ErasureOrdered(
                request_id=request.request_id,
                partner_id=request.partner_id,
                referral_ids=sorted(person.referral_ids),
                partner_referral_ids=sorted(person.partner_referral_ids),
                display_names=sorted(person.display_names),
            ),
            source=SOURCE,
            subject=request.request_id,
        )
    )
    await erasure.order(uow.connection, request.request_id, person)
    log.info("erasure request %s: %d referrals, erasure ordered", request.request_id, len(found))


async def record_erasure_answer(event: PersonErasedV1, uow: Uow) -> None:
    """A service has erased the person: the coordinator's view shows the request until all three have."""
    answer = event.data
    await uow.repository.record_erasure_answer(answer.request_id, answer.service, dict(answer.counts))
