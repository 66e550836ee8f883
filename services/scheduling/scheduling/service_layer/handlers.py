"""What scheduling does with each event: plan a course, pause and resume it, cancel and catch up.

Every handler of an event runs in one unit of work, opened by the shared handling step after it
recorded the event in the inbox: the inbox entry, the changes and the events they cause commit
together. Each first takes the planning lock, so that several scheduling processes never
give the same teacher, volunteer, room or iPads twice, and see each other's changes whole.
"""

from __future__ import annotations

import dataclasses
import logging
import uuid
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from taalhuis_shared.events import (
    CourseCompleted,
    CoursePaused,
    CourseRef,
    CourseResumed,
    CourseScheduled,
    EventData,
    GroupChangedV1,
    GroupFilledV1,
    GroupUnschedulable,
    Location,
    MeasuresAnnouncedV1,
    MeasuresApplied,
    MeasuresLiftedV1,
    Session,
    SessionCancellationRefused,
    SessionCancellationRequestedV1,
    SessionCancelled,
    SessionRescheduled,
    Teacher,
    new_event,
)
from taalhuis_shared.messaging.unit_of_work import UnitOfWork

from ..adapters.repository import SchedulingRepository
from ..domain import model
from ..domain.model import CANCELLED, HELD, MEASURES, PAUSED, PLANNED, Course, CourseSession
from ..domain.planner import (
    Booking,
    Plan,
    PlannedSession,
    PlanRequest,
    Resources,
    Unschedulable,
    days_searched,
    plan_course,
)

log = logging.getLogger(__name__)

SOURCE = "urn:taalhuis:scheduling"
DAY = timedelta(days=1)
# Courses a measure stops that are handled (read, cancelled, their events written) at a time.
COURSES_PER_ROUND = 100
Uow = UnitOfWork[SchedulingRepository]


# --- a new course ------------------------------------------------------------------------------


async def schedule_group(
    event: GroupFilledV1, uow: Uow, resources: Resources, lead_days: int, now: datetime
) -> None:
    group = event.data
    await uow.repository.lock_planning()
    if await uow.repository.has_course(group.group_id):
        # The same group again under another event id: it keeps the course it has.
        log.info("group %s has a course already; nothing to do", group.group_id)
        return
    # A change that came first (a withdrawal just after filling) is newer than this event.
    change = await uow.repository.take_change(group.group_id)
    membership_as_of = event.time
    if change is not None and (event.time is None or change.as_of > event.time):
        group = group.model_validate(
            {**group.model_dump(), "participants": change.participants, "contacts": change.contacts}
        )
        membership_as_of = change.as_of
    # From when the group filled, but never in the past: an event replayed from the
    # parking queue weeks later must not get sessions that have already gone by.
    earliest = model.earliest_start(max(event.time or now, now), resources.zone, lead_days)
    # Not before the date the coordinator opened the intake for.
    if group.earliest_start is not None:
        earliest = max(earliest, group.earliest_start)
    course_id = str(uuid.uuid4())
    request = PlanRequest(
        course_id=course_id,
        course_type=group.course.type,
        participants=len(group.participants),
        partner_ids=frozenset(p.partner_id for p in group.participants),
        earliest=earliest,
        sessions=resources.sessions_per_course,
        # The participants' wishes first, then where the intake offers courses.
        preferred_places=tuple(dict.fromkeys([*group.preferred_locations, *group.locations])),
    )
    outcome = await _plan(uow, request, resources)
    if isinstance(outcome, Unschedulable):
        await _report_unschedulable(uow, group.group_id, group.course, outcome)
        return
    plan = [(s, model.announce(s, resources, str(uuid.uuid4()), revision=0)) for s in outcome.sessions]
    await uow.repository.add_course(course_id, group, plan, membership_as_of, earliest_start=earliest)
    booked = [Booking.of(course_id, request.course_type, request.partner_ids, s) for s in outcome.sessions]
    uow.after_commit(await uow.repository.after_adding(booked))
    sessions = [announced for _, announced in plan]
    log.info("group %s scheduled as course %s from %s", group.group_id, course_id, sessions[0].start)
    location, teacher = _where_and_who(sessions[0])
    await uow.publish(
        new_event(
            CourseScheduled(
                course_id=course_id,
                group_id=group.group_id,
                course=group.course,
                location=location,
                teacher=teacher,
                sessions=sessions,
                participants=group.participants,
                contacts=group.contacts,
            ),
            source=SOURCE,
            subject=course_id,
        )
    )


# --- measures ----------------------------------------------------------------------------------


async def announce_measures(
    event: MeasuresAnnouncedV1, uow: Uow, resources: Resources, now: datetime
) -> None:
    """Cancel every planned session the measure covers, and pause the courses they belong to."""
    announced = event.data
    await uow.repository.lock_planning()
    if await uow.repository.measure(announced.measure_id) is not None:
        log.info("measure %s is known already; nothing to do", announced.measure_id)
        known = MeasuresApplied(measure_id=announced.measure_id, action="announced", outcome="known-already")
        await _applied(uow, known)
        return
    await uow.repository.add_measure(announced)
    measure = model.Measure(
        announced.measure_id,
        announced.from_date,
        announced.until_date,
        tuple(announced.locations),
        announced.reason,
    )
    zone = resources.zone
    until = None if measure.until_date is None else model.midnight(measure.until_date + DAY, zone)
    # Sessions that have already begun are not cancelled, even when the measure starts today.
    since = max(model.midnight(measure.from_date, zone), now)
    places = measure.place_ids(resources)
    # A lockdown stops thousands of courses: they are handled `COURSES_PER_ROUND` at a time (their
    # sessions read, cancelled, and their events written to the outbox), so that memory follows
    # a round, not the measure. Everything stays one transaction and the events keep their order.
    course_ids = await uow.repository.courses_with_planned_sessions(since, until, places)
    cancelled = paused = 0
    for start in range(0, len(course_ids), COURSES_PER_ROUND):
        round_ids = course_ids[start : start + COURSES_PER_ROUND]
        stopped: dict[str, list[CourseSession]] = {course_id: [] for course_id in round_ids}
        for session in await uow.repository.planned_sessions(since, until, places, round_ids):
            stopped[session.course_id].append(session)
        found = await uow.repository.courses(round_ids)
        paused += await _pause(
            uow, [(found[course_id], stopped[course_id]) for course_id in round_ids], measure
        )
        cancelled += sum(len(sessions) for sessions in stopped.values())
        await uow.write_out()
    await _applied(
        uow,
        MeasuresApplied(
            measure_id=measure.id,
            action="announced",
            outcome="applied",
            sessions_cancelled=cancelled,
            courses_paused=paused,
        ),
    )
    log.info(
        "measure %s from %s: %d sessions of %d courses cancelled",
        measure.id,
        measure.from_date,
        cancelled,
        len(course_ids),
    )


async def _pause(uow: Uow, stopped: list[tuple[Course, list[CourseSession]]], measure: model.Measure) -> int:
    """Cancel the sessions and pause the courses: returns how many this paused (not paused before).

    The sessions' and courses' rows are written in one statement each; the events in the order
    of the courses, each course's cancellations before its pause.
    """
    cancellations: list[tuple[str, str, str | None, Session]] = []
    pausing: list[str] = []
    for course, sessions in stopped:
        for session in sessions:
            announced, cancelled = _cancellation(course, session, MEASURES, measure.reason, measure.id)
            cancellations.append((session.id, MEASURES, measure.id, announced))
            await _announce(uow, course, cancelled)
        if course.status != PLANNED:
            continue  # paused already: the measure that paused it says when it continues
        pausing.append(course.id)
        about = _about(course, sessions[0].announced)
        del about["participants"]  # the pause speaks to staff and contacts; the group stays as it is
        paused = CoursePaused(
            **about, measure_id=measure.id, reason=measure.reason, sessions_remaining=len(sessions)
        )
        await _announce(uow, course, paused)
    await uow.repository.cancel_many(cancellations)
    await uow.repository.set_statuses(pausing, PAUSED, paused_by=measure.id)
    return len(pausing)


async def _applied(uow: Uow, applied: MeasuresApplied) -> None:
    """The coordinator's answer to announcing or lifting a measure: what it changed, counted."""
    await uow.publish(new_event(applied, source=SOURCE, subject=applied.measure_id))


async def lift_measures(event: MeasuresLiftedV1, uow: Uow, resources: Resources, now: datetime) -> None:
    """Plan the stopped sessions of every course the measure paused again, from the lift date
    (not before tomorrow, nor before the first day each course could start)."""
    lifted = event.data
    await uow.repository.lock_planning()
    if await uow.repository.measure(lifted.measure_id) is None:
        log.warning("measure %s is not known; lifting it changes nothing", lifted.measure_id)
        unknown = MeasuresApplied(measure_id=lifted.measure_id, action="lifted", outcome="unknown-measure")
        await _applied(uow, unknown)
        return
    await uow.repository.lift(lifted.measure_id, lifted.from_date)
    # Never in the past: a lift handled late plans from tomorrow.
    earliest = max(lifted.from_date, _tomorrow(now, resources.zone))
    # A course that could not be planned at an earlier lift stays paused by the measure, so
    # lifting it again (with another date) tries once more.
    resumed = still_paused = 0
    for course in await uow.repository.courses_paused_by(lifted.measure_id):
        still = await uow.repository.measures_still_stopping(course.id, earliest)
        if still:
            # Another measure stopped sessions of it too: it continues when that one is lifted.
            await uow.repository.set_status(course.id, PAUSED, paused_by=still[0])
            log.info("course %s stays paused by measure %s", course.id, still[0])
            still_paused += 1
            continue
        if await _resume(uow, course, lifted.measure_id, earliest, resources):
            resumed += 1
        else:
            still_paused += 1
    await _applied(
        uow,
        MeasuresApplied(
            measure_id=lifted.measure_id,
            action="lifted",
            outcome="applied",
            courses_resumed=resumed,
            courses_still_paused=still_paused,
        ),
    )


async def _resume(uow: Uow, course: Course, measure_id: str, lifted: date, resources: Resources) -> bool:
    """Plan the course's stopped sessions again; False when no plan was found (it stays paused).

    From `lifted` (the lift date, not before tomorrow), and never before the first day the
    course could start: a group told "from 10 May" does not restart in February. Stopped
    sessions that are all still free as they were planned (date, time, place, room, people)
    keep that plan, so a course that had not started keeps its first date.
    """
    all_sessions = await uow.repository.sessions_of(course.id)
    stopped = [s for s in all_sessions if s.status == CANCELLED and s.cancel_reason == MEASURES]
    # Courses planned before the day was kept: their planned first date, which is never earlier.
    planned_first = min(s.start for s in all_sessions).astimezone(resources.zone).date()
    could_start = course.earliest_start or planned_first
    request = PlanRequest(
        course_id=course.id,
        course_type=course.course.type,
        participants=len(course.participants),
        partner_ids=course.partner_ids,
        earliest=max(lifted, could_start),
        sessions=len(stopped),
        first_number=min((s.number for s in stopped), default=1),
        preferred_places=(course.place_id,),
        preferred_teacher_id=course.teacher_id,
    )
    replanned = await _as_planned(uow, request, stopped, resources)
    if replanned is None:
        outcome = await _plan(uow, request, resources)
        if isinstance(outcome, Unschedulable):
            log.warning("course %s stays paused: %s", course.id, outcome.code)
            await _report_unschedulable(uow, course.group_id, course.course, outcome, course_id=course.id)
            return False
        # The stopped sessions take the planned dates in their order, keeping number and id.
        replanned = list(zip(stopped, outcome.sessions, strict=True))
    sessions = [
        await _move(uow, course, session, planned, resources, "measures-lifted")
        for session, planned in replanned
    ]
    await uow.repository.set_status(course.id, PLANNED)
    log.info("course %s resumed with %d sessions", course.id, len(sessions))
    if sessions:
        resumed = CourseResumed(**_about(course, sessions[0]), measure_id=measure_id, sessions=sessions)
        await _announce(uow, course, resumed)
    return True


async def _as_planned(
    uow: Uow, request: PlanRequest, stopped: list[CourseSession], resources: Resources
) -> list[tuple[CourseSession, PlannedSession]] | None:
    """The stopped sessions as they were planned, when that plan still keeps every rule; else None.

    The planner is asked with the resources narrowed to those of the old plan, from its first
    date: it checks what it checks for any plan (bookings made during the pause, the iPads, the
    weekly limits, closures, opening hours, availability), and the plan counts only if it finds
    exactly the old one.
    """
    in_order = sorted(stopped, key=lambda s: s.start)
    narrowed = model.as_planned(resources, in_order) if in_order else None
    if narrowed is None:
        return None
    first = in_order[0].start.astimezone(resources.zone).date()
    if first < request.earliest:
        return None
    outcome = await _plan(uow, dataclasses.replace(request, earliest=first), narrowed)
    if isinstance(outcome, Unschedulable):
        return None
    found = list(zip(in_order, outcome.sessions, strict=True))
    if not all(model.same_placing(session, planned) for session, planned in found):
        return None
    return found


# --- one session -------------------------------------------------------------------------------


async def cancel_session(
    event: SessionCancellationRequestedV1, uow: Uow, resources: Resources, now: datetime
) -> None:
    """Cancel one session, and plan it again as a catch-up after the course's last session."""
    request = event.data
    await uow.repository.lock_planning()
    session = await uow.repository.session(request.session_id)
    refusal = model.cancellation_refusal(session, now)
    if refusal is not None:
        # A typing error or a session past cancelling: the coordinator hears why, nothing is retried.
        log.info("cancellation %s of session %s refused: %s", event.id, request.session_id, refusal.code)
        await uow.publish(
            new_event(
                SessionCancellationRefused(
                    session_id=request.session_id,
                    reason_code=refusal.code,
                    reason=refusal.reason,
                    reason_en=refusal.reason_en,
                ),
                source=SOURCE,
                subject=request.session_id,
            )
        )
        return
    assert session is not None
    course = await uow.repository.course(session.course_id)
    cancelled = await _cancel(uow, course, session, request.reason_code, request.reason, None)
    await _catch_up(uow, course, cancelled, resources, now)


async def _catch_up(
    uow: Uow, course: Course, session: CourseSession, resources: Resources, now: datetime
) -> None:
    zone = resources.zone
    planned = [s.start for s in await uow.repository.sessions_of(course.id) if s.status == PLANNED]
    last = max([*planned, session.start]).astimezone(zone).date()
    request = PlanRequest(
        course_id=course.id,
        course_type=course.course.type,
        participants=len(course.participants),
        partner_ids=course.partner_ids,
        earliest=max(last + DAY, _tomorrow(now, zone)),
        sessions=1,
        first_number=session.number,
        preferred_places=(course.place_id,),
        preferred_teacher_id=course.teacher_id,
    )
    outcome = await _plan(uow, request, resources)
    if isinstance(outcome, Unschedulable):
        log.warning("session %s gets no catch-up: %s", session.id, outcome.code)
        await _report_unschedulable(
            uow, course.group_id, course.course, outcome, course_id=course.id, session_id=session.id
        )
        return
    await _move(uow, course, session, outcome.sessions[0], resources, "catch-up")


# --- the group ---------------------------------------------------------------------------------


async def change_group(event: GroupChangedV1, uow: Uow, resources: Resources, now: datetime) -> None:
    """Keep the course's participants current; bring as many iPads as there are participants."""
    changed = event.data
    await uow.repository.lock_planning()
    course = await uow.repository.course_of_group(changed.group_id)
    if course is None:
        # Its GroupFilled has not been handled yet (or could not be planned): the course
        # will be planned with this membership.
        log.info("group %s has no course yet; change %s kept for it", changed.group_id, event.id)
        await uow.repository.keep_change(
            changed.group_id,
            [m.model_dump(mode="json") for m in changed.participants],
            [c.model_dump(mode="json") for c in changed.contacts],
            event.time or now,
        )
        return
    if not await uow.repository.change_group(
        course.id, changed.participants, changed.contacts, event.time or now
    ):
        log.info("change %s of group %s is older than the course's; ignored", event.id, changed.group_id)
        return
    log.info(
        "group %s of course %s: %d left, %d joined",
        changed.group_id,
        course.id,
        len(changed.removed),
        len(changed.added),
    )
    if len(changed.participants) != len(course.participants):
        await _change_ipads(uow, course, len(changed.participants), resources, now)


async def _change_ipads(uow: Uow, course: Course, needed: int, resources: Resources, now: datetime) -> None:
    bookings = await uow.repository.bookings(now)
    for session in await uow.repository.sessions_of(course.id):
        if session.status != PLANNED or session.start <= now or session.ipads == 0:
            continue  # only sessions still to come that iPads are brought to
        others = [b for b in bookings if b.course_id != course.id]
        if model.ipads_fit(session, needed, others, resources.ipads, resources.ipads_journey):
            await uow.repository.set_ipads(session.id, session.announced.model_copy(update={"ipads": needed}))
        else:
            log.warning("session %s keeps %d iPads: %d are not free then", session.id, session.ipads, needed)


# --- the end of a course -----------------------------------------------------------------------


async def complete_courses(new_uow: Callable[[], Uow], now: datetime, zone: ZoneInfo, batch: int) -> int:
    """Complete the courses whose last session has ended, each in its own transaction."""
    async with new_uow() as uow:
        finished = await uow.repository.finished_courses(now, batch)
    for course_id in finished:
        await complete_course(course_id, new_uow(), now, zone)
    return len(finished)


async def complete_course(course_id: str, uow: Uow, now: datetime, zone: ZoneInfo) -> None:
    async with uow:
        await uow.repository.lock_planning()
        course = await uow.repository.course(course_id)
        given = [s for s in await uow.repository.sessions_of(course_id) if s.status in (PLANNED, HELD)]
        # Looked at again under the lock: another process may have completed it meanwhile.
        if course.status != PLANNED or not given or any(s.end > now for s in given if s.status == PLANNED):
            return
        await uow.repository.complete(course_id, now)
        completed_on = max(s.start for s in given).astimezone(zone).date()
        log.info("course %s of group %s completed on %s", course_id, course.group_id, completed_on)
        await uow.publish(
            new_event(
                CourseCompleted(
                    course_id=course_id,
                    group_id=course.group_id,
                    course=course.course,
                    completed_on=completed_on,
                    participants=list(course.participants),
                ),
                source=SOURCE,
                subject=course_id,
            )
        )


# --- shared steps ------------------------------------------------------------------------------


async def _plan(uow: Uow, request: PlanRequest, resources: Resources) -> Plan | Unschedulable:
    """Plan on what is free: around every planned session, and nowhere a measure closes."""
    # Only the weeks the search can look at: the cost does not grow with every session planned.
    first, last = days_searched(request, resources)
    bookings = await uow.repository.booking_index(
        model.midnight(first, resources.zone), model.midnight(last + DAY, resources.zone)
    )
    measures = await uow.repository.measures()
    return plan_course(request, model.with_measures(resources, measures), bookings)


def _cancellation(
    course: Course, session: CourseSession, reason_code: str, reason: str, measure_id: str | None
) -> tuple[Session, SessionCancelled]:
    """The session as announced once cancelled (a higher revision), and the event that says so."""
    announced = session.announced.model_copy(update={"revision": session.revision + 1})
    cancelled = SessionCancelled(
        **_about(course, announced),
        session=announced,
        reason_code=reason_code,
        reason=reason,
        measure_id=measure_id,
    )
    return announced, cancelled


async def _cancel(
    uow: Uow, course: Course, session: CourseSession, reason_code: str, reason: str, measure_id: str | None
) -> CourseSession:
    announced, cancelled = _cancellation(course, session, reason_code, reason, measure_id)
    await uow.repository.cancel(session.id, reason_code, measure_id, announced)
    await _announce(uow, course, cancelled)
    return dataclasses.replace(
        session,
        status=CANCELLED,
        revision=announced.revision,
        cancel_reason=reason_code,
        measure_id=measure_id,
        announced=announced,
    )


async def _move(
    uow: Uow,
    course: Course,
    session: CourseSession,
    planned: PlannedSession,
    resources: Resources,
    reason_code: str,
) -> Session:
    """Plan a cancelled session again: same id and number, a higher revision."""
    planned = dataclasses.replace(planned, number=session.number)
    moved = model.announce(planned, resources, session.id, session.revision + 1)
    await uow.repository.replan(session.id, planned, moved)
    rescheduled = SessionRescheduled(
        **_about(course, moved),
        session=moved,
        previous_start=session.start.astimezone(resources.zone),
        reason_code=reason_code,
    )
    await _announce(uow, course, rescheduled)
    return moved


async def _report_unschedulable(
    uow: Uow,
    group_id: str,
    course: CourseRef,
    why: Unschedulable,
    course_id: str | None = None,
    session_id: str | None = None,
) -> None:
    """Tell the coordinator; the course and session ids say whether a resume or catch-up failed."""
    log.warning("group %s cannot be planned: %s", group_id, why.code)
    await uow.publish(
        new_event(
            GroupUnschedulable(
                group_id=group_id,
                course=course,
                reason_code=why.code,
                reason=why.reason,
                reason_en=why.reason_en,
                course_id=course_id,
                session_id=session_id,
            ),
            source=SOURCE,
            subject=group_id,
        )
    )


def _about(course: Course, session: Session) -> dict[str, Any]:
    """What every course event says about its course: ids, place, teacher, group, contacts."""
    location, teacher = _where_and_who(session)
    return {
        "course_id": course.id,
        "group_id": course.group_id,
        "course": course.course,
        "location": location,
        "teacher": teacher,
        "participants": list(course.participants),
        "contacts": list(course.contacts),
    }


async def _announce(uow: Uow, course: Course, data: EventData) -> None:
    await uow.publish(new_event(data, source=SOURCE, subject=course.id))


def _where_and_who(session: Session) -> tuple[Location, Teacher]:
    # Scheduling always announces a session with its location and teacher (model.announce).
    assert session.location is not None and session.teacher is not None, session.session_id
    return session.location, session.teacher


def _tomorrow(now: datetime, zone: ZoneInfo) -> date:
    return now.astimezone(zone).date() + DAY
