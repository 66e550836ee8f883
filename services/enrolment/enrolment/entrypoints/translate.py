"""The events enrolment takes, as the commands its handlers carry out (the wire stays out of the domain)."""

from __future__ import annotations

from collections.abc import Sequence

from taalhuis_shared.events import (
    CloudEvent,
    CourseCompletedV1,
    CourseResumedV1,
    CourseScheduledV1,
    EarlyClosureRequestedV1,
    ErasureRequestedV1,
    IntakeOpenedV1,
    ReferralSubmitted,
    ReferralSubmittedV1,
    ReferralWithdrawnV1,
    SessionRescheduledV1,
)

from ..domain import commands
from ..domain.model import NO_LANGUAGE_GROUP


def batch_key(event: CloudEvent) -> str | None:
    """Referrals share a unit of work per course type (the lock boundary of their handlers);
    every other event is handled alone."""
    return event.data.course.type if isinstance(event, ReferralSubmittedV1) else None


def referrals_in(events: Sequence[tuple[CloudEvent, str]]) -> list[commands.SubmitReferral]:
    """The referrals of a batch of events with their publishers, as commands (for `handlers.prepare`)."""
    return [
        submit_referral(event, publisher)
        for event, publisher in events
        if isinstance(event, ReferralSubmittedV1)
    ]


def submit_referral(event: ReferralSubmittedV1, publisher: str) -> commands.SubmitReferral:
    return referral_command(event.data, publisher, event.id)


def referral_command(
    referral: ReferralSubmitted, publisher: str, event_id: str = ""
) -> commands.SubmitReferral:
    """`publisher` is the RabbitMQ user that sent the referral (validated by RabbitMQ)."""
    return commands.SubmitReferral(
        event_id=event_id,
        publisher=publisher,
        partner_id=referral.partner_id,
        partner_referral_id=referral.partner_referral_id,
        employee_reference=referral.participant.employee_reference,
        given_name=referral.participant.given_name,
        family_name=referral.participant.family_name,
        course_type=referral.course.type,
        level=referral.course.level,
        can_read_and_write_a_little=referral.can_read_and_write_a_little,
        consent_to_share_data=referral.consent_to_share_data,
        contact_name=referral.contact.name,
        contact_email=str(referral.contact.email),
        municipality_of_residence=referral.municipality_of_residence,
        municipality_of_work=referral.municipality_of_work,
        language_group=referral.language_group or NO_LANGUAGE_GROUP,
        preferred_locations=tuple(referral.preferred_locations),
    )


def withdraw(event: ReferralWithdrawnV1, publisher: str) -> commands.WithdrawReferral:
    return commands.WithdrawReferral(
        event.id, publisher, event.data.partner_id, event.data.partner_referral_id
    )


def open_intake(event: IntakeOpenedV1) -> commands.OpenIntake:
    intake = event.data
    return commands.OpenIntake(
        intake.intake_id, intake.course_type, intake.groups, intake.from_date, tuple(intake.locations)
    )


def close_early(event: EarlyClosureRequestedV1) -> commands.CloseEarly:
    request = event.data
    return commands.CloseEarly(
        request.course.type, request.course.level, request.language_group or NO_LANGUAGE_GROUP
    )


def record_schedule(event: CourseScheduledV1) -> commands.RecordSchedule:
    sessions = event.data.sessions
    first = min(s.start for s in sessions).date()
    last = max(s.start for s in sessions).date()
    return commands.RecordSchedule(event.data.group_id, first, last)


def record_new_dates(event: SessionRescheduledV1 | CourseResumedV1) -> commands.RecordNewDates:
    moved = [event.data.session] if isinstance(event, SessionRescheduledV1) else event.data.sessions
    return commands.RecordNewDates(
        event.data.group_id, tuple((session.number, session.start.date()) for session in moved)
    )


def record_completion(event: CourseCompletedV1) -> commands.RecordCompletion:
    return commands.RecordCompletion(event.data.group_id, event.data.completed_on)


def erase_person(event: ErasureRequestedV1, publisher: str) -> commands.ErasePerson:
    request = event.data
    return commands.ErasePerson(
        request_id=request.request_id,
        publisher=publisher,
        partner_id=request.partner_id,
        employee_reference=request.employee_reference,
        requested_by=request.requested_by,
        partner_referral_ids=tuple(request.partner_referral_ids),
    )
