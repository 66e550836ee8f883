"""What enrolment does with each command: load the course type, let it decide, publish what happened.

Every handler runs in one unit of work, opened by the shared handling step after it recorded the
event in the inbox: the inbox entry, the changes and the events they cause commit together. The
rules are the course type aggregate's (`domain/course_type.py`); a handler loads it through the
repository (which takes the course type's lock, so several enrolment processes keep positions
and groups exact), calls one method, and turns the domain events it recorded into the events
partners, scheduling and notifications hear, and into the referrals' history.

A batch of referrals for one course type shares one unit of work: `prepare` loads the course type
and looks up the referrals' history once for all of them (`entrypoints.translate.batch_key` says
which events may share one).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import date

from pydantic import ValidationError

from taalhuis_shared import erasure
from taalhuis_shared.events import (
    CloudEvent,
    ErasureOrdered,
    ReferralSubmitted,
    ReferralWithdrawn,
    new_event,
)
from taalhuis_shared.messaging.gate import Refused
from taalhuis_shared.messaging.parking import describe_problems

from ..domain import commands, events, model
from ..domain.course_type import CourseType, Intake
from ..domain.status import GroupStatus, ReferralStatus, WithdrawalOutcome
from .messages import SOURCE, publish
from .unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

Uow = UnitOfWork
# The codes a withdrawal answers with, and their texts (Dutch, English).
WITHDRAWAL_OUTCOMES = {outcome.value: (outcome.reason, outcome.reason_en) for outcome in WithdrawalOutcome}


# --- batches -----------------------------------------------------------------------------------


async def prepare(referrals: Sequence[commands.SubmitReferral], uow: Uow, policy: model.Policy) -> None:
    """Before a batch's handlers run: lock and load each course type once, look up every
    referral's history in one statement, and take their arrival numbers at once."""
    if not referrals:
        return
    for course_type in sorted({referral.course_type for referral in referrals}):
        await uow.repository.get(course_type, policy.courses.get(course_type))
    await uow.repository.look_up(referrals)
    await uow.repository.reserve_arrivals(len(referrals))


# --- referrals ---------------------------------------------------------------------------------


async def submit_referral(
    referral: commands.SubmitReferral, uow: Uow, policy: model.Policy, today: date
) -> None:
    course_type = await uow.repository.get(referral.course_type, policy.courses.get(referral.course_type))
    history = await uow.repository.history_of(referral)
    arrival = await uow.repository.next_arrival()
    course_type.submit(referral, policy, history, arrival, today)
    await publish(uow, course_type.events)


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
    rejected = events.ReferralRejected(
        event_id="",
        partner_id=partner.id,
        partner_referral_id=named.partner_referral_id,
        rejection=model.invalid_referral(problems, problems_en),
        contact=partner.contacts[0],
    )

    async def answer(event: CloudEvent, publisher: str, uow: Uow) -> None:
        await publish(uow, [rejected], event_id=event.id)

    return answer


# --- capacity and groups -----------------------------------------------------------------------


async def open_intake(command: commands.OpenIntake, uow: Uow, policy: model.Policy) -> None:
    intake = Intake(
        command.intake_id, command.course_type, command.groups, 0, command.from_date, command.locations
    )
    await uow.repository.lock_course(intake.course_type)
    if not await uow.repository.add_intake(intake):
        log.info("intake %s was opened before; nothing to do", intake.id)
        return
    log.info("intake %s opened: %d groups of %s", intake.id, intake.groups_total, intake.course_type)
    # Loaded after the intake is stored, so the first people waiting fill all its room.
    course_type = await uow.repository.get(intake.course_type, policy.courses.get(intake.course_type))
    course_type.open_intake(intake)
    await publish(uow, course_type.events)


async def close_early(command: commands.CloseEarly, uow: Uow, policy: model.Policy) -> None:
    course_type = await uow.repository.get(command.course_type, policy.courses.get(command.course_type))
    course_type.close_early(command.level, command.language_group)
    await publish(uow, course_type.events)


# --- withdrawals -------------------------------------------------------------------------------


async def withdraw(command: commands.WithdrawReferral, uow: Uow, policy: model.Policy, today: date) -> None:
    answer_to = policy.sender(command.publisher, command.partner_id)
    found = await uow.repository.find(command.partner_id, command.partner_referral_id)
    if answer_to != command.partner_id or found is None:
        # One partner may not withdraw another's employees.
        mismatch = answer_to != command.partner_id
        outcome = WithdrawalOutcome.PARTNER_MISMATCH if mismatch else WithdrawalOutcome.NOT_FOUND
        log.info(
            "withdrawal event %s (referral %s): %s", command.event_id, found.id if found else None, outcome
        )
        answer = events.WithdrawalProcessed(answer_to, command.partner_referral_id, outcome)
        await publish(uow, [answer])
        return
    course_type = await uow.repository.get(found.course_type, policy.courses.get(found.course_type))
    # Read again under the course type's lock: it may have changed meanwhile.
    referral = await uow.repository.find(command.partner_id, command.partner_referral_id)
    assert referral is not None
    if referral.status is ReferralStatus.PLACED and referral.group_id is not None:
        await uow.repository.load_group(course_type, referral.group_id)
    outcome = course_type.withdraw(referral, today)
    if outcome is not WithdrawalOutcome.ALREADY_ENDED:
        uow.repository.note(referral.partner_id, referral.partner_referral_id, "withdrawn", outcome)
    log.info("withdrawal event %s (referral %s): %s", command.event_id, referral.id, outcome)
    await publish(uow, course_type.events)


# --- what scheduling tells us --------------------------------------------------------------------


async def record_schedule(command: commands.RecordSchedule, uow: Uow) -> None:
    """Keep the group's course dates: a withdrawal before the first session frees the place."""
    await uow.repository.set_group(
        command.group_id,
        status=GroupStatus.SCHEDULED,
        first_session=command.first_session,
        last_session=command.last_session,
    )


async def record_new_dates(command: commands.RecordNewDates, uow: Uow) -> None:
    """Sessions moved (measures lifted, a catch-up): keep the course's first and last day right."""
    group = await uow.repository.group(command.group_id)
    if group is None:
        return
    # Several moved sessions of one course are handled at once: read and write the dates
    # under the course type's lock, or one handler's stale dates overwrite another's.
    await uow.repository.lock_course(group.course_type)
    group = await uow.repository.group(group.id)
    assert group is not None
    first, last = model.moved_course_dates(group.first_session, group.last_session, command.sessions)
    await uow.repository.set_group(group.id, first_session=first, last_session=last)


async def record_completion(command: commands.RecordCompletion, uow: Uow) -> None:
    """The participants completed the course: the retake rule counts from this day."""
    completed = await uow.repository.complete_members(command.group_id, command.completed_on)
    for partner_id, partner_referral_id in completed:
        uow.repository.note(partner_id, partner_referral_id, "completed", command.completed_on.isoformat())
    log.info("group %s completed on %s", command.group_id, command.completed_on)


# --- erasure on request ---------------------------------------------------------------------------


async def erase_person(command: commands.ErasePerson, uow: Uow, policy: model.Policy, today: date) -> None:
    """Withdraw the person wherever they wait or take part, then have every service erase them.

    The withdrawal goes first and as for anyone (a seat freed before the course, the teacher
    told of someone leaving during it); `ErasureOrdered` follows it in the outbox, so every
    service sees the withdrawal before the order. Enrolment's own rows are erased by its eraser
    once those messages are out.
    """
    repository = uow.repository
    asked = (command.request_id, command.partner_id, command.publisher, command.requested_by)
    if policy.sender(command.publisher, command.partner_id) != command.partner_id:
        # One partner may not erase another's employees; the coordinator's view shows the refusal.
        await repository.record_erasure_request(*asked, "partner-mismatch")
        log.warning("erasure request %s refused: partner-mismatch", command.request_id)
        return
    if not await repository.record_erasure_request(*asked, "erasing"):
        log.info("erasure request %s was taken before; nothing to do", command.request_id)
        return
    wanted = (command.partner_id, command.employee_reference, command.partner_referral_ids)
    found = await repository.referrals_of_person(*wanted)
    course_types = {
        name: await _course_type(uow, policy, name) for name in sorted({r.course_type for r in found})
    }
    found = await repository.referrals_of_person(*wanted)  # again, under the course types' locks
    for referral in found:
        if referral.status.active:
            # Told to the partner as any withdrawal (and counted so for the municipality).
            course_type = course_types[referral.course_type]
            if referral.group_id is not None:
                await repository.load_group(course_type, referral.group_id)
            course_type.withdraw(referral, today)
            await publish(uow, course_type.events)
    person = erasure.Person(
        partner_id=command.partner_id,
        referral_ids=frozenset(r.id for r in found),
        partner_referral_ids=frozenset(
            [*(r.partner_referral_id for r in found if r.partner_referral_id), *command.partner_referral_ids]
        ),
        display_names=frozenset(r.display_name for r in found if r.display_name),
        employee_reference=command.employee_reference,
    )
    await uow.publish(
        new_event(
            ErasureOrdered(
                request_id=command.request_id,
                partner_id=command.partner_id,
                referral_ids=sorted(person.referral_ids),
                partner_referral_ids=sorted(person.partner_referral_ids),
                display_names=sorted(person.display_names),
            ),
            source=SOURCE,
            subject=command.request_id,
        )
    )
    await repository.order_erasure(command.request_id, person)
    log.info("erasure request %s: %d referrals, erasure ordered", command.request_id, len(found))


async def _course_type(uow: Uow, policy: model.Policy, name: str) -> CourseType:
    return await uow.repository.get(name, policy.courses.get(name))


async def record_erasure_answer(request_id: str, service: str, counts: dict[str, int], uow: Uow) -> None:
    """A service has erased the person: the coordinator's view shows the request until all three have."""
    await uow.repository.record_erasure_answer(request_id, service, counts)
