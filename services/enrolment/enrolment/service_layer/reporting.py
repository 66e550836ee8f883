"""Counting for the municipality's numbers, in the same unit of work as each handler.

After a handler ran, and before its unit of work commits, `count_handled` looks at the event it
handled and the events it published (an answer to a referral, placements, a group, a withdrawal's
outcome) and adds what they mean to the reporting tables (`domain/reporting.py` says which counts
each fact adds). The handlers themselves do not change: the numbers are a reading of what
enrolment decided. The inbox already makes handling idempotent, so a repeated event counts once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from types import TracebackType
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from taalhuis_shared.clock import Clock
from taalhuis_shared.events import (
    CloudEvent,
    CourseCompletedV1,
    CoursePausedV1,
    CourseResumedV1,
    CourseScheduledV1,
    ErasureRequestedV1,
    GroupFilled,
    ParticipantPlaced,
    ReferralAccepted,
    ReferralRejected,
    ReferralSubmittedV1,
    ReferralWithdrawnV1,
    Session,
    SessionCancelledV1,
    SessionRescheduledV1,
    WithdrawalProcessed,
)
from taalhuis_shared.messaging.unit_of_work import Handled, UnitOfWork

from ..adapters.report import ReportStore
from ..adapters.repository import EnrolmentRepository
from ..domain import reporting
from ..domain.reporting import Count, Course, Measure, Person

LIBRARY_TIME = ZoneInfo("Europe/Amsterdam")


class ReportBook(Protocol):
    """What counting needs: facts about referrals and courses, and where the numbers go."""

    async def person(self, referral_id: str) -> Person | None: ...
    async def referral(self, partner_id: str, partner_referral_id: str) -> str | None: ...
    async def completed_before(self, referral_id: str) -> bool: ...
    async def course(self, group_id: str, course_type: str, level: int) -> Course: ...
    async def completed_in(self, group_id: str) -> list[str]: ...
    async def sessions(self, group_id: str) -> dict[int, tuple[date, bool]]: ...
    async def plan_sessions(self, group_id: str, days: dict[int, date]) -> None: ...
    async def cancel_session(self, group_id: str, number: int, day: date) -> None: ...
    async def forget_sessions(self, group_id: str) -> None: ...
    async def add(self, counts: Sequence[Count]) -> None: ...
    async def took_part(self, day: date, referral_ids: Sequence[str]) -> None: ...


class CountingUnitOfWork(UnitOfWork[EnrolmentRepository]):
    """Enrolment's unit of work: before it commits, it counts what its handlers did.

    For each event handled for the first time (`handled`: the event and the events its handler
    published), `count_handled` adds their numbers on the same connection after the kept-back
    changes are written, so they commit (or roll back) with the handlers' changes.
    """

    def __init__(
        self,
        engine: AsyncEngine,
        make_repository: Callable[[AsyncConnection], EnrolmentRepository],
        on_events_committed: Callable[[], None] | None,
        today: Callable[[], date],
        *,
        clock: Clock | None = None,
    ) -> None:
        super().__init__(engine, make_repository, on_events_committed, clock=clock)
        self._today = today

    async def __aenter__(self) -> CountingUnitOfWork:
        await super().__aenter__()
        # The repository keeps its changes back (a batch writes them in a few statements).
        self.before_commit(self.repository.write_changes)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc_type is None and self.handled:
            try:
                await self.flush()  # counting reads the rows the handlers kept back
                book = ReportStore(self.connection, self.repository.person_key)
                await book.look_up_completions(accepted_referrals(self.handled))
                await book.look_up(*placed_and_formed(self.handled))
                for handled in self.handled:
                    await count_handled(handled.event, handled.published, book, self._today())
                await book.write_counts()  # every handled event's counts, in one statement
            except BaseException as error:
                await super().__aexit__(type(error), error, error.__traceback__)
                raise
        await super().__aexit__(exc_type, exc, tb)


def accepted_referrals(handled: Sequence[Handled]) -> list[str]:
    """The referrals accepted in a unit of work: counting asks about all of them at once."""
    return [
        answer["data"]["referral_id"]
        for one in handled
        for answer in one.published
        if answer["type"] == ReferralAccepted.event_type
    ]


def placed_and_formed(handled: Sequence[Handled]) -> tuple[list[str], list[str]]:
    """The referrals placed and the groups formed in a unit of work, read at once for counting."""
    published = [(answer["type"], answer["data"]) for one in handled for answer in one.published]
    placed = [data["referral_id"] for kind, data in published if kind == ParticipantPlaced.event_type]
    formed = [data["group_id"] for kind, data in published if kind == GroupFilled.event_type]
    return placed, formed


async def nothing_else(event: CloudEvent, publisher: str, uow: UnitOfWork[Any]) -> None:
    """For events enrolment takes only to count them (a pause, a cancelled session)."""


def library_day(moment: datetime) -> date:
    return moment.astimezone(LIBRARY_TIME).date()


async def count_handled(
    event: CloudEvent, published: Sequence[dict[str, Any]], book: ReportBook, today: date
) -> None:
    counts: list[Count] = []
    for answer in published:
        counts += await _answer(event, answer, book, today)
    counts += await _course_event(event, book, today)
    await book.add(reporting.added_up(counts))


async def _answer(event: CloudEvent, answer: dict[str, Any], book: ReportBook, today: date) -> list[Count]:
    """What one event enrolment published says for the numbers."""
    kind, data = answer["type"], answer["data"]
    if kind == ReferralRejected.event_type:
        rejected = ReferralRejected.model_validate(data)
        referral = event.data if isinstance(event, ReferralSubmittedV1) else None  # else unreadable
        person = Person(
            reporting.municipality(referral.municipality_of_residence) if referral else reporting.UNKNOWN,
            rejected.partner_id,
            referral.course.type if referral else "",
            referral.course.level if referral else 0,
        )
        return reporting.referral_answered(today, person, rejected.reason_code)
    if kind == ReferralAccepted.event_type and isinstance(event, ReferralSubmittedV1):
        accepted = ReferralAccepted.model_validate(data)
        place = reporting.municipality(event.data.municipality_of_residence)
        person = Person(place, accepted.partner_id, accepted.course.type, accepted.course.level)
        retake = await book.completed_before(accepted.referral_id)
        return reporting.referral_answered(today, person, None, retake)
    if kind == ParticipantPlaced.event_type:
        placed = await book.person(ParticipantPlaced.model_validate(data).referral_id)
        return reporting.placed(today, placed) if placed else []
    if kind == GroupFilled.event_type:
        group = GroupFilled.model_validate(data)
        course = await book.course(group.group_id, group.course.type, group.course.level)
        return reporting.group_formed(today, course, group.closed_early)
    if kind == WithdrawalProcessed.event_type and isinstance(event, ReferralWithdrawnV1 | ErasureRequestedV1):
        withdrawal = WithdrawalProcessed.model_validate(data)
        outcome = withdrawal.outcome
        # The referral the partner named; an erasure withdraws each of the person's referrals.
        named = event.data if isinstance(event, ReferralWithdrawnV1) else withdrawal
        referral_id = await book.referral(named.partner_id, named.partner_referral_id)
        who = await book.person(referral_id) if referral_id else None
        if referral_id is None or who is None:
            return []
        if outcome == "left-during-course":
            await book.took_part(today, [referral_id])
        return reporting.withdrawn(today, who, outcome)
    return []


async def _course_event(event: CloudEvent, book: ReportBook, today: date) -> list[Count]:
    """What scheduling's course events say for the numbers."""
    if isinstance(event, CourseScheduledV1):
        return await _sessions_planned(
            book, event.data.group_id, event.data.course, event.data.sessions, True
        )
    if isinstance(event, SessionRescheduledV1):
        return await _sessions_planned(
            book, event.data.group_id, event.data.course, [event.data.session], False
        )
    if isinstance(event, CourseResumedV1):
        resumed = event.data
        course = await book.course(resumed.group_id, resumed.course.type, resumed.course.level)
        moved = await _sessions_planned(book, resumed.group_id, resumed.course, resumed.sessions, False)
        return moved + reporting.for_course(today, Measure.COURSE_RESUMED, course)
    if isinstance(event, CoursePausedV1):
        paused = event.data
        course = await book.course(paused.group_id, paused.course.type, paused.course.level)
        return reporting.for_course(today, Measure.COURSE_PAUSED, course)
    if isinstance(event, SessionCancelledV1):
        cancelled = event.data
        course = await book.course(cancelled.group_id, cancelled.course.type, cancelled.course.level)
        day = library_day(cancelled.session.start)
        await book.cancel_session(cancelled.group_id, cancelled.session.number, day)
        return reporting.for_course(day, Measure.SESSION_CANCELLED, course, cancelled.reason_code)
    if isinstance(event, CourseCompletedV1):
        ended = event.data
        course = await book.course(ended.group_id, ended.course.type, ended.course.level)
        completed = await book.completed_in(ended.group_id)
        people = [p for p in [await book.person(r) for r in completed] if p is not None]
        held = [day for day, off in (await book.sessions(ended.group_id)).values() if not off]
        await book.took_part(ended.completed_on, completed)
        await book.forget_sessions(ended.group_id)
        return reporting.course_completed(ended.completed_on, course, people, held)
    return []


async def _sessions_planned(
    book: ReportBook, group_id: str, course_ref: Any, sessions: Sequence[Session], scheduled: bool
) -> list[Count]:
    """Keep the sessions' days; when the first session's day changes, so does "course started"."""
    before = await book.sessions(group_id)
    if not before and not scheduled:
        return []  # a course planned before the numbers were kept: its start was never counted
    days = {session.number: library_day(session.start) for session in sessions}
    await book.plan_sessions(group_id, days)
    after = {**{number: day for number, (day, _) in before.items()}, **days}
    old_first = before[min(before)][0] if before else None
    course = await book.course(group_id, course_ref.type, course_ref.level)
    return reporting.first_session_moved(old_first, after[min(after)], course)
