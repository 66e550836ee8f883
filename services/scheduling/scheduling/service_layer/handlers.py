"""What scheduling does with a filled group: plan its course, or tell the coordinator it cannot."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime

from taalhuis_shared.events import (
    CourseScheduled,
    GroupFilledV1,
    GroupUnschedulable,
    Session,
    new_event,
)
from taalhuis_shared.messaging.unit_of_work import UnitOfWork

from ..adapters.repository import SchedulingRepository
from ..domain import model

log = logging.getLogger(__name__)

SOURCE = "urn:taalhuis:scheduling"


async def schedule_group(
    event: GroupFilledV1, uow: UnitOfWork[SchedulingRepository], policy: model.Policy
) -> None:
    group = event.data
    async with uow:
        if not await uow.first_time(event):
            log.info("group event %s was handled before; nothing to do", event.id)
            return
        await uow.repository.lock_planning()
        if await uow.repository.has_course(group.group_id):
            # The same group again under another event id: it keeps the course it has.
            log.info("group %s has a course already; nothing to do", group.group_id)
            return
        # From when the group filled, but never in the past: an event replayed from the
        # parking queue weeks later must not get sessions that have already gone by.
        now = datetime.now(UTC)
        earliest = policy.earliest_start(max(event.time or now, now))
        # Not before the date the coordinator opened the intake for.
        if group.earliest_start is not None:
            earliest = max(earliest, group.earliest_start)
        taken = await uow.repository.taken_dates(since=earliest)
        outcome = model.plan_course(group.course.type, taken, earliest, policy)
        if isinstance(outcome, model.Unschedulable):
            await report_unschedulable(event, outcome, uow)
        else:
            await schedule(event, outcome, uow)


async def schedule(
    event: GroupFilledV1, plan: model.CoursePlan, uow: UnitOfWork[SchedulingRepository]
) -> None:
    group = event.data
    course_id = str(uuid.uuid4())
    await uow.repository.add_course(course_id, group, plan)
    log.info(
        "group %s scheduled as course %s in slot %s from %s",
        group.group_id,
        course_id,
        plan.slot.id,
        plan.sessions[0].date,
    )
    await uow.publish(
        new_event(
            CourseScheduled(
                course_id=course_id,
                group_id=group.group_id,
                course=group.course,
                location=plan.slot.location,
                teacher=plan.slot.teacher,
                sessions=[Session(number=s.number, start=s.start, end=s.end) for s in plan.sessions],
                participants=group.participants,
                contacts=group.contacts,
            ),
            source=SOURCE,
            subject=course_id,
        )
    )


async def report_unschedulable(
    event: GroupFilledV1, unschedulable: model.Unschedulable, uow: UnitOfWork[SchedulingRepository]
) -> None:
    group = event.data
    log.warning("group %s cannot be scheduled: %s", group.group_id, unschedulable.code)
    await uow.publish(
        new_event(
            GroupUnschedulable(
                group_id=group.group_id,
                course=group.course,
                reason_code=unschedulable.code,
                reason=unschedulable.reason,
                reason_en=unschedulable.reason_en,
            ),
            source=SOURCE,
            subject=group.group_id,
        )
    )
