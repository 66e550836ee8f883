"""The read model from the events, and the answers to the console's own commands.

Every handler runs in the shared handling step's unit of work, after the inbox recorded the
event: a repeated event changes nothing. Times come from the event (`time`), not the clock, so a
replay of the same events builds the same rows.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from taalhuis_shared.events import (
    CloudEvent,
    CourseCompletedV1,
    CoursePausedV1,
    CourseResumedV1,
    CourseScheduledV1,
    EarlyClosureRefusedV1,
    GroupChangedV1,
    GroupFilledV1,
    GroupMember,
    GroupUnschedulableV1,
    IntakeOpenedV1,
    Location,
    MeasuresAnnouncedV1,
    MeasuresLiftedV1,
    ParticipantPlacedV1,
    ReferralAcceptedV1,
    ReferralRejectedV1,
    Session,
    SessionCancellationRefusedV1,
    SessionCancelledV1,
    SessionRescheduledV1,
    Teacher,
    WithdrawalProcessedV1,
)
from taalhuis_shared.messaging.consumer import Handler
from taalhuis_shared.messaging.unit_of_work import UnitOfWork

from ..adapters.repository import ConsoleRepository
from ..domain.model import CommandKind, correlation, course_name, dutch_date, language_name

log = logging.getLogger(__name__)

Uow = UnitOfWork[ConsoleRepository]
LIBRARY_ZONE = ZoneInfo("Europe/Amsterdam")
LEFT = {"removed-from-waiting-list", "removed-from-group", "left-during-course"}


def _at(event: CloudEvent) -> datetime:
    assert event.time is not None, "events are built with a time (new_event)"
    return event.time


def _members(members: list[GroupMember]) -> list[dict[str, Any]]:
    return [m.model_dump(mode="json") for m in members]


async def _history(
    uow: Uow, event: CloudEvent, partner_id: str, partner_referral_id: str, kind: str, description: str
) -> None:
    """A line in the referral's history on the coordinator's page."""
    await uow.repository.add_referral_event(
        event.id, partner_id, correlation(partner_referral_id), _at(event), kind, description
    )


def _dates(sessions: list[Session]) -> str:
    days = sorted(s.start.astimezone(LIBRARY_ZONE).date() for s in sessions)
    if not days:
        return "geen lessen meer"
    if len(days) == 1:
        return f"1 les, op {dutch_date(days[0])}"
    return f"{len(days)} lessen, van {dutch_date(days[0])} tot en met {dutch_date(days[-1])}"


async def intake_opened(event: IntakeOpenedV1, publisher: str, uow: Uow) -> None:
    intake = event.data
    await uow.repository.add_intake(
        intake.intake_id,
        intake.course_type,
        intake.groups,
        intake.from_date,
        list(intake.locations),
        _at(event),
    )
    await uow.repository.answer(
        CommandKind.INTAKE,
        correlation(intake.intake_id),
        "opened",
        f"De ruimte is geopend: {intake.groups} groep(en) {course_name(intake.course_type)} "
        f"vanaf {dutch_date(intake.from_date)}.",
        _at(event),
    )


async def referral_accepted(event: ReferralAcceptedV1, publisher: str, uow: Uow) -> None:
    answer = event.data
    key = correlation(answer.partner_referral_id)
    await uow.repository.put_referral(
        answer.partner_id,
        key,
        {
            "partner_referral_id": answer.partner_referral_id,
            "referral_id": answer.referral_id,
            "course_type": answer.course.type,
            "level": answer.course.level,
            "language_group": answer.language_group,
            "status": "waiting",
            "waiting_since": _at(event),
            "reason_code": None,
            "reason": None,
            "updated_at": _at(event),
        },
    )
    await _history(
        uow, event, answer.partner_id, answer.partner_referral_id, "accepted",
        f"Aangenomen: plaats {answer.waiting_position} op de wachtlijst voor "
        f"{course_name(answer.course.type, answer.course.level)} ({language_name(answer.language_group)}).",
    )  # fmt: skip
    await uow.repository.answer(
        CommandKind.REFERRAL,
        correlation(answer.partner_id, answer.partner_referral_id),
        "accepted",
        f"Aangenomen. De deelnemer staat op plaats {answer.waiting_position} van de wachtlijst voor "
        f"{course_name(answer.course.type, answer.course.level)} ({language_name(answer.language_group)}).",
        _at(event),
    )


async def referral_rejected(event: ReferralRejectedV1, publisher: str, uow: Uow) -> None:
    answer = event.data
    key = correlation(answer.partner_referral_id)
    # A repeat of a known referral is refused without changing the referral it repeats.
    repeat = (
        answer.reason_code == "duplicate-referral"
        and await uow.repository.referral(answer.partner_id, key) is not None
    )
    await _history(
        uow, event, answer.partner_id, answer.partner_referral_id, "rejected",
        f"{'Nog een keer aangemeld en afgewezen' if repeat else 'Afgewezen'}: {answer.reason}",
    )  # fmt: skip
    if not repeat:
        await uow.repository.put_referral(
            answer.partner_id,
            key,
            {
                "partner_referral_id": answer.partner_referral_id,
                "status": "rejected",
                "reason_code": answer.reason_code,
                "reason": answer.reason,
                "updated_at": _at(event),
            },
        )
    await uow.repository.add_notice(
        event.id, "referral-rejected", _at(event),
        f"Aanmelding {answer.partner_referral_id} van {answer.partner_id}", answer.reason,
    )  # fmt: skip
    await uow.repository.answer(
        CommandKind.REFERRAL,
        correlation(answer.partner_id, answer.partner_referral_id),
        "rejected",
        f"Afgewezen. {answer.reason}",
        _at(event),
    )


async def participant_placed(event: ParticipantPlacedV1, publisher: str, uow: Uow) -> None:
    placed = event.data
    await uow.repository.update_referral(
        placed.partner_id,
        correlation(placed.partner_referral_id),
        {"status": "placed", "group_id": placed.group_id, "updated_at": _at(event)},
    )
    await _history(
        uow, event, placed.partner_id, placed.partner_referral_id, "placed",
        f"In een groep geplaatst: {course_name(placed.course.type, placed.course.level)} "
        f"(groep {placed.group_id}).",
    )  # fmt: skip


async def withdrawal_processed(event: WithdrawalProcessedV1, publisher: str, uow: Uow) -> None:
    answer = event.data
    if answer.outcome in LEFT:
        await uow.repository.update_referral(
            answer.partner_id,
            correlation(answer.partner_referral_id),
            {
                "status": "withdrawn",
                "reason_code": answer.outcome,
                "reason": answer.reason,
                "updated_at": _at(event),
            },
        )
        await _history(
            uow, event, answer.partner_id, answer.partner_referral_id, "withdrawn",
            f"Afgemeld: {answer.reason}",
        )  # fmt: skip
    await uow.repository.answer(
        CommandKind.WITHDRAWAL,
        correlation(answer.partner_id, answer.partner_referral_id),
        answer.outcome,
        answer.reason,
        _at(event),
    )


async def _place_members(uow: Uow, group_id: str, members: list[GroupMember], at: datetime) -> None:
    for member in members:
        await uow.repository.update_referral(
            member.partner_id,
            correlation(member.partner_referral_id),
            {"status": "placed", "group_id": group_id, "display_name": member.display_name, "updated_at": at},
        )


async def group_filled(event: GroupFilledV1, publisher: str, uow: Uow) -> None:
    group = event.data
    added = await uow.repository.put_group(
        group.group_id,
        {
            "course_type": group.course.type,
            "level": group.course.level,
            "language_group": group.language_group,
            "capacity": group.capacity,
            "closed_early": group.closed_early,
            "status": "formed",
            "members": _members(group.participants),
            "formed_at": _at(event),
        },
    )
    if added:
        await uow.repository.use_intake(group.course.type)
    await _place_members(uow, group.group_id, group.participants, _at(event))
    if group.closed_early:
        await uow.repository.answer(
            CommandKind.EARLY_CLOSURE,
            correlation(group.course.type, group.course.level, group.language_group),
            "group-filled",
            f"Gelukt. Er is een groep gevormd met {len(group.participants)} deelnemers: "
            f"{course_name(group.course.type, group.course.level)} ({language_name(group.language_group)}). "
            "De planning zoekt nu lesdagen.",
            _at(event),
        )


async def group_changed(event: GroupChangedV1, publisher: str, uow: Uow) -> None:
    change = event.data
    await uow.repository.update_group(change.group_id, {"members": _members(change.participants)})
    await _place_members(uow, change.group_id, change.added, _at(event))


async def early_closure_refused(event: EarlyClosureRefusedV1, publisher: str, uow: Uow) -> None:
    refusal = event.data
    what = (
        f"{course_name(refusal.course.type, refusal.course.level)} ({language_name(refusal.language_group)})"
    )
    await uow.repository.add_notice(
        event.id, "early-closure-refused", _at(event), f"Groep vormen: {what}", refusal.reason
    )
    await uow.repository.answer(
        CommandKind.EARLY_CLOSURE,
        correlation(refusal.course.type, refusal.course.level, refusal.language_group),
        "refused",
        f"Niet gelukt. {refusal.reason}",
        _at(event),
    )


async def group_unschedulable(event: GroupUnschedulableV1, publisher: str, uow: Uow) -> None:
    problem = event.data
    if problem.session_id is None:
        await uow.repository.update_group(
            problem.group_id, {"status": "unschedulable", "reason": problem.reason}
        )
    subject = f"Groep {course_name(problem.course.type, problem.course.level)}"
    await uow.repository.add_notice(event.id, "group-unschedulable", _at(event), subject, problem.reason)


def _session_row(
    course_id: str, group_id: str, session: Session, location: Location, teacher: Teacher
) -> tuple[str, dict[str, Any]]:
    session_id = session.session_id or f"{course_id}#{session.number}"
    return session_id, {
        "course_id": course_id,
        "group_id": group_id,
        "number": session.number,
        "starts_at": session.start,
        "ends_at": session.end,
        "location": (session.location or location).name,
        "room": session.room,
        "teacher": (session.teacher or teacher).name,
        "volunteers": [v.name for v in session.volunteers],
        "ipads": session.ipads,
        "setup_start": session.setup_start,
        "status": "planned",
        "reason": None,
    }


async def course_scheduled(event: CourseScheduledV1, publisher: str, uow: Uow) -> None:
    course = event.data
    await uow.repository.update_group(
        course.group_id,
        {"status": "scheduled", "course_id": course.course_id, "location": course.location.name,
         "teacher": course.teacher.name, "reason": None},
    )  # fmt: skip
    for session in course.sessions:
        await uow.repository.put_session(
            *_session_row(course.course_id, course.group_id, session, course.location, course.teacher)
        )
    for member in course.participants:
        await _history(
            uow, event, member.partner_id, member.partner_referral_id, "scheduled",
            f"Lesdagen gepland: {_dates(course.sessions)}, in {course.location.name}.",
        )  # fmt: skip


async def session_cancelled(event: SessionCancelledV1, publisher: str, uow: Uow) -> None:
    cancelled = event.data
    session_id, _ = _session_row(
        cancelled.course_id, cancelled.group_id, cancelled.session, cancelled.location, cancelled.teacher
    )
    await uow.repository.update_session(session_id, {"status": "cancelled", "reason": cancelled.reason})
    day = dutch_date(cancelled.session.start.astimezone(LIBRARY_ZONE).date(), weekday=True)
    await uow.repository.answer(
        CommandKind.SESSION_CANCELLATION,
        correlation(session_id),
        "cancelled",
        f"Les {cancelled.session.number} op {day} is afgezegd. {cancelled.reason} "
        "De docent en de contactpersoon krijgen een e-mail; de planning zoekt een inhaaldatum.",
        _at(event),
    )


async def session_cancellation_refused(event: SessionCancellationRefusedV1, publisher: str, uow: Uow) -> None:
    """Scheduling could not cancel the session (unknown, already cancelled, begun): say why."""
    refused = event.data
    await uow.repository.answer(
        CommandKind.SESSION_CANCELLATION,
        correlation(refused.session_id),
        "refused",
        refused.reason,
        _at(event),
    )


async def session_rescheduled(event: SessionRescheduledV1, publisher: str, uow: Uow) -> None:
    moved = event.data
    await uow.repository.put_session(
        *_session_row(moved.course_id, moved.group_id, moved.session, moved.location, moved.teacher)
    )


async def course_paused(event: CoursePausedV1, publisher: str, uow: Uow) -> None:
    await uow.repository.update_group(event.data.group_id, {"status": "paused", "reason": event.data.reason})


async def course_resumed(event: CourseResumedV1, publisher: str, uow: Uow) -> None:
    course = event.data
    await uow.repository.update_group(course.group_id, {"status": "scheduled", "reason": None})
    for session in course.sessions:
        await uow.repository.put_session(
            *_session_row(course.course_id, course.group_id, session, course.location, course.teacher)
        )
    for member in course.participants:
        await _history(
            uow, event, member.partner_id, member.partner_referral_id, "resumed",
            f"De cursus gaat verder na de maatregel: {_dates(course.sessions)}.",
        )  # fmt: skip


async def course_completed(event: CourseCompletedV1, publisher: str, uow: Uow) -> None:
    course = event.data
    await uow.repository.update_group(course.group_id, {"status": "completed"})
    for member in course.participants:
        await uow.repository.update_referral(
            member.partner_id,
            correlation(member.partner_referral_id),
            {"status": "completed", "updated_at": _at(event)},
        )
        await _history(
            uow, event, member.partner_id, member.partner_referral_id, "completed",
            f"Cursus afgerond op {dutch_date(course.completed_on)}.",
        )  # fmt: skip


async def measures_announced(event: MeasuresAnnouncedV1, publisher: str, uow: Uow) -> None:
    measure = event.data
    await uow.repository.add_measure(
        {"measure_id": measure.measure_id, "from_date": measure.from_date, "until_date": measure.until_date,
         "locations": list(measure.locations), "reason": measure.reason, "lifted_from": None}
    )  # fmt: skip
    await uow.repository.answer(
        CommandKind.MEASURES,
        correlation(measure.measure_id),
        "announced",
        f"De maatregel geldt vanaf {dutch_date(measure.from_date)}. Lessen in die periode worden afgezegd "
        "of gepauzeerd; u ziet ze in het rooster.",
        _at(event),
    )


async def measures_lifted(event: MeasuresLiftedV1, publisher: str, uow: Uow) -> None:
    lifted = event.data
    await uow.repository.lift_measure(lifted.measure_id, lifted.from_date)
    await uow.repository.answer(
        CommandKind.MEASURES_LIFTED,
        correlation(lifted.measure_id),
        "lifted",
        f"De maatregel is opgeheven vanaf {dutch_date(lifted.from_date)}. "
        "Gepauzeerde cursussen krijgen nieuwe data.",
        _at(event),
    )


HANDLERS: dict[type[CloudEvent], Handler] = {
    IntakeOpenedV1: intake_opened,
    ReferralAcceptedV1: referral_accepted,
    ReferralRejectedV1: referral_rejected,
    ParticipantPlacedV1: participant_placed,
    WithdrawalProcessedV1: withdrawal_processed,
    GroupFilledV1: group_filled,
    GroupChangedV1: group_changed,
    EarlyClosureRefusedV1: early_closure_refused,
    GroupUnschedulableV1: group_unschedulable,
    CourseScheduledV1: course_scheduled,
    SessionCancelledV1: session_cancelled,
    SessionCancellationRefusedV1: session_cancellation_refused,
    SessionRescheduledV1: session_rescheduled,
    CoursePausedV1: course_paused,
    CourseResumedV1: course_resumed,
    CourseCompletedV1: course_completed,
    MeasuresAnnouncedV1: measures_announced,
    MeasuresLiftedV1: measures_lifted,
}
