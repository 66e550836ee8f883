"""Reading and writing courses, their sessions and measures in scheduling's database."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, delete, exists, func, insert, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from taalhuis_shared.events import (
    CourseRef,
    GroupFilled,
    GroupMember,
    MeasuresAnnounced,
    PartnerContact,
    Session,
)

from ..domain.model import (
    CANCELLED,
    COMPLETED,
    HELD,
    MEASURES,
    PLANNED,
    Course,
    CourseSession,
    Measure,
)
from ..domain.planner import Booking, BookingIndex, PlannedSession
from .tables import booking_version, courses, group_changes, measures, sessions

# The columns of `sessions` that say where, when and with what a session takes place.
PLACED = (
    "place_id",
    "room_id",
    "teacher_id",
    "volunteer_ids",
    "ipads",
    "start",
    "end",
    "busy_from",
    "busy_until",
)

# Any constant will do, as long as every scheduling process uses the same one.
PLANNING_LOCK = 0x5C4E_D0E1


class KnownBookings:
    """The planned sessions a process has read, indexed once and kept up to date between groups.

    Valid while the database's booking version (raised by a trigger on every statement that
    changes `sessions`, whoever makes it) is the one the index was read or last updated at; else
    the bookings are read again. So a group costs the same whether 100 or 5,000 courses are
    planned in its weeks, and several processes stay exact: each sees the others' changes as a
    new version.
    """

    def __init__(self, zone: ZoneInfo) -> None:
        self._zone = zone
        self._version: int | None = None
        self._since: datetime | None = None
        self._index: BookingIndex | None = None

    def current(self, version: int, since: datetime) -> BookingIndex | None:
        if self._index is None or self._version != version or self._since is None or self._since > since:
            return None
        return self._index

    def replace(self, version: int, since: datetime, bookings: Sequence[Booking]) -> BookingIndex:
        self._index, self._version, self._since = BookingIndex(self._zone, bookings), version, since
        return self._index

    def learn(self, before: int, after: int, bookings: Sequence[Booking]) -> None:
        """A committed course's sessions: added when the index was still at `before`."""
        if self._index is None or self._version != before:
            return
        for booking in bookings:
            self._index.add(booking)
        self._version = after

    def forget(self) -> None:
        self._index, self._version, self._since = None, None, None


class SchedulingRepository:
    def __init__(self, connection: AsyncConnection, known: KnownBookings | None = None) -> None:
        self._connection = connection
        self._known = known
        self._version_read: int | None = None

    async def lock_planning(self) -> None:
        """Change the plan one transaction at a time across all processes, until this one ends.

        Without it two processes could read the same free resources and both take them.
        """
        await self._connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PLANNING_LOCK})

    # --- courses -------------------------------------------------------------------------------

    async def has_course(self, group_id: str) -> bool:
        found = await self._connection.scalar(
            select(func.count()).select_from(courses).where(courses.c.group_id == group_id)
        )
        return bool(found)

    async def add_course(
        self,
        course_id: str,
        group: GroupFilled,
        plan: Sequence[tuple[PlannedSession, Session]],
        membership_as_of: datetime | None = None,
        earliest_start: date | None = None,
    ) -> None:
        first = plan[0][0]
        await self._connection.execute(
            insert(courses).values(
                id=course_id,
                group_id=group.group_id,
                course_type=group.course.type,
                level=group.course.level,
                status=PLANNED,
                participants=[p.model_dump(mode="json") for p in group.participants],
                contacts=[c.model_dump(mode="json") for c in group.contacts],
                partner_ids=sorted({p.partner_id for p in group.participants}),
                membership_as_of=membership_as_of,
                teacher_id=first.teacher_id,
                place_id=first.place_id,
                earliest_start=earliest_start,
            )
        )
        await self._connection.execute(
            insert(sessions),
            [
                {
                    "id": announced.session_id,
                    "course_id": course_id,
                    "status": PLANNED,
                    **_placed(planned, announced),
                }
                for planned, announced in plan
            ],
        )

    async def course(self, course_id: str) -> Course:
        row = (await self._connection.execute(select(courses).where(courses.c.id == course_id))).one()
        return _course(row)

    async def courses(self, course_ids: Sequence[str]) -> dict[str, Course]:
        """Several courses by id, in one statement."""
        rows = await self._connection.execute(select(courses).where(courses.c.id.in_(list(course_ids))))
        return {row.id: _course(row) for row in rows}

    async def course_of_group(self, group_id: str) -> Course | None:
        row = (await self._connection.execute(select(courses).where(courses.c.group_id == group_id))).first()
        return None if row is None else _course(row)

    async def keep_change(
        self, group_id: str, participants: list[Any], contacts: list[Any], as_of: datetime
    ) -> None:
        """Keep a group's newest membership until its course is planned (older ones lose)."""
        values = {"participants": participants, "contacts": contacts, "as_of": as_of}
        statement = pg_insert(group_changes).values(group_id=group_id, **values)
        await self._connection.execute(
            statement.on_conflict_do_update(
                index_elements=[group_changes.c.group_id],
                set_=values,
                where=group_changes.c.as_of < statement.excluded.as_of,
            )
        )

    async def take_change(self, group_id: str) -> Any:
        """The membership kept for a group without a course, removed as it is taken."""
        return (
            await self._connection.execute(
                delete(group_changes).where(group_changes.c.group_id == group_id).returning(group_changes)
            )
        ).first()

    async def courses_paused_by(self, measure_id: str) -> list[Course]:
        rows = await self._connection.execute(
            select(courses)
            .where(courses.c.paused_by == measure_id)
            .order_by(courses.c.created_at, courses.c.id)
        )
        return [_course(row) for row in rows]

    async def set_status(self, course_id: str, status: str, paused_by: str | None = None) -> None:
        await self._connection.execute(
            update(courses).where(courses.c.id == course_id).values(status=status, paused_by=paused_by)
        )

    async def change_group(
        self,
        course_id: str,
        participants: Sequence[GroupMember],
        contacts: Sequence[PartnerContact],
        as_of: datetime,
    ) -> bool:
        """Take a newer membership; False (nothing changed) when the course has a newer one."""
        changed = await self._connection.execute(
            update(courses)
            .where(courses.c.id == course_id)
            .where(or_(courses.c.membership_as_of.is_(None), courses.c.membership_as_of < as_of))
            .values(
                participants=[p.model_dump(mode="json") for p in participants],
                contacts=[c.model_dump(mode="json") for c in contacts],
                partner_ids=sorted({p.partner_id for p in participants}),
                membership_as_of=as_of,
            )
            .returning(courses.c.id)
        )
        return changed.first() is not None

    async def finished_courses(self, now: datetime, limit: int) -> list[str]:
        """Planned courses that had sessions and have none still to come."""
        to_come = exists().where(
            sessions.c.course_id == courses.c.id, sessions.c.status == PLANNED, sessions.c.end > now
        )
        had = exists().where(sessions.c.course_id == courses.c.id, sessions.c.status.in_([PLANNED, HELD]))
        ids = await self._connection.scalars(
            select(courses.c.id)
            .where(courses.c.status == PLANNED, had, ~to_come)
            .order_by(courses.c.created_at, courses.c.id)
            .limit(limit)
        )
        return list(ids)

    async def complete(self, course_id: str, now: datetime) -> None:
        """The course is over: its sessions were held, the course is completed."""
        await self._connection.execute(
            update(sessions)
            .where(sessions.c.course_id == course_id, sessions.c.status == PLANNED, sessions.c.end <= now)
            .values(status=HELD)
        )
        await self._connection.execute(
            update(courses).where(courses.c.id == course_id).values(status=COMPLETED, completed_at=now)
        )

    # --- sessions ------------------------------------------------------------------------------

    async def session(self, session_id: str) -> CourseSession | None:
        row = (await self._connection.execute(select(sessions).where(sessions.c.id == session_id))).first()
        return None if row is None else _session(row)

    async def sessions_of(self, course_id: str) -> list[CourseSession]:
        rows = await self._connection.execute(
            select(sessions).where(sessions.c.course_id == course_id).order_by(sessions.c.number)
        )
        return [_session(row) for row in rows]

    async def planned_sessions(
        self,
        since: datetime,
        before: datetime | None = None,
        place_ids: frozenset[str] = frozenset(),
        course_ids: Sequence[str] | None = None,
    ) -> list[CourseSession]:
        """Planned sessions starting in [since, before), at these places (empty: anywhere), of
        these courses (None: of any), in order of start."""
        query = _planned(select(sessions), since, before, place_ids)
        if course_ids is not None:
            query = query.where(sessions.c.course_id.in_(list(course_ids)))
        rows = await self._connection.execute(query.order_by(sessions.c.start, sessions.c.id))
        return [_session(row) for row in rows]

    async def booking_index(self, since: datetime, before: datetime) -> BookingIndex | list[Booking]:
        """What is booked from `since` on: the process's index when it is current, else read.

        Without `KnownBookings` (tests, tools), the bookings of [since, before) as a list.
        """
        if self._known is None:
            return await self.bookings(since, before)
        # Locked until commit: every other writer of `sessions` (its trigger raises the version)
        # waits, so what this transaction adds is all that changes from this version on.
        version = await self._booking_version(lock=True)
        self._version_read = version
        index = self._known.current(version, since)
        if index is None:
            self._known.forget()  # not kept in memory beside the bookings read to replace it
            index = self._known.replace(version, since, await self.bookings(since))
        return index

    async def after_adding(self, bookings: Sequence[Booking]) -> Callable[[], None]:
        """What to tell the process's index once the course just added has committed (call it
        after the commit only): its sessions, and the version they brought the bookings to."""
        known, before = self._known, self._version_read
        if known is None or before is None:
            return lambda: None
        after = await self._booking_version()
        return lambda: known.learn(before, after, bookings)

    async def _booking_version(self, *, lock: bool = False) -> int:
        query = select(booking_version.c.version)
        return int(await self._connection.scalar(query.with_for_update() if lock else query) or 0)

    async def courses_with_planned_sessions(
        self, since: datetime, before: datetime | None = None, place_ids: frozenset[str] = frozenset()
    ) -> list[str]:
        """The ids of the courses with planned sessions as `planned_sessions` finds them, each once,
        in the order of their first such session; only ids are read, not the sessions."""
        query = _planned(select(sessions.c.course_id), since, before, place_ids)
        rows = await self._connection.scalars(query.order_by(sessions.c.start, sessions.c.id))
        return list(dict.fromkeys(rows))

    async def bookings(self, since: datetime, before: datetime | None = None) -> list[Booking]:
        """Planned sessions that hold resources from `since` on (and start before `before`).

        A session lasts less than a day, so the start bounds the search on both sides and the
        index on status and start is used: the cost follows the weeks asked for, not every
        session ever planned.
        """
        # Only what a booking holds: not the session as announced (JSON decoded for nothing).
        placed = [sessions.c[name] for name in PLACED]
        query = (
            select(sessions.c.course_id, *placed, courses.c.course_type, courses.c.partner_ids)
            .join(courses, courses.c.id == sessions.c.course_id)
            .where(
                sessions.c.status == PLANNED,
                sessions.c.start >= since - timedelta(days=1),
                sessions.c.busy_until >= since,
            )
        )
        if before is not None:
            query = query.where(sessions.c.start < before)
        rows = await self._connection.execute(query.order_by(sessions.c.start, sessions.c.id))
        return [Booking.of(row.course_id, row.course_type, row.partner_ids, row) for row in rows]

    async def cancel(
        self, session_id: str, reason_code: str, measure_id: str | None, announced: Session
    ) -> None:
        await self._connection.execute(
            update(sessions)
            .where(sessions.c.id == session_id)
            .values(
                status=CANCELLED,
                revision=announced.revision,
                cancel_reason=reason_code,
                measure_id=measure_id,
                announced=announced.model_dump(mode="json"),
            )
        )

    async def cancel_many(self, cancelled: Sequence[tuple[str, str, str | None, Session]]) -> None:
        """`cancel` for several sessions (id, reason code, measure, as announced) in one statement."""
        if not cancelled:
            return
        await self._connection.execute(
            update(sessions)
            .where(sessions.c.id == bindparam("session"))
            .values(
                status=CANCELLED,
                revision=bindparam("new_revision"),
                cancel_reason=bindparam("reason"),
                measure_id=bindparam("measure"),
                announced=bindparam("new_announced", type_=sessions.c.announced.type),
            ),
            [
                {
                    "session": session_id,
                    "new_revision": announced.revision,
                    "reason": reason_code,
                    "measure": measure_id,
                    "new_announced": announced.model_dump(mode="json"),
                }
                for session_id, reason_code, measure_id, announced in cancelled
            ],
        )

    async def set_statuses(
        self, course_ids: Sequence[str], status: str, paused_by: str | None = None
    ) -> None:
        """`set_status` for several courses, in one statement."""
        if course_ids:
            await self._connection.execute(
                update(courses)
                .where(courses.c.id.in_(list(course_ids)))
                .values(status=status, paused_by=paused_by)
            )

    async def replan(self, session_id: str, planned: PlannedSession, announced: Session) -> None:
        """The session takes place again, at its new time and with its new resources."""
        await self._connection.execute(
            update(sessions)
            .where(sessions.c.id == session_id)
            .values(status=PLANNED, **_placed(planned, announced))
        )

    async def set_ipads(self, session_id: str, announced: Session) -> None:
        await self._connection.execute(
            update(sessions)
            .where(sessions.c.id == session_id)
            .values(ipads=announced.ipads, announced=announced.model_dump(mode="json"))
        )

    # --- measures ------------------------------------------------------------------------------

    async def measure(self, measure_id: str) -> Measure | None:
        row = (await self._connection.execute(select(measures).where(measures.c.id == measure_id))).first()
        return None if row is None else _measure(row)

    async def measures(self) -> list[Measure]:
        rows = await self._connection.execute(select(measures).order_by(measures.c.from_date, measures.c.id))
        return [_measure(row) for row in rows]

    async def add_measure(self, measure: MeasuresAnnounced) -> None:
        await self._connection.execute(
            insert(measures).values(
                id=measure.measure_id,
                from_date=measure.from_date,
                until_date=measure.until_date,
                locations=list(measure.locations),
                reason=measure.reason,
            )
        )

    async def lift(self, measure_id: str, from_date: date) -> None:
        await self._connection.execute(
            update(measures).where(measures.c.id == measure_id).values(lifted_from=from_date)
        )

    async def measures_still_stopping(self, course_id: str, on: date) -> list[str]:
        """Measures in force on `on` (not lifted, not ended) that cancelled sessions of this course."""
        ids = await self._connection.scalars(
            select(measures.c.id)
            .join(sessions, sessions.c.measure_id == measures.c.id)
            .where(
                sessions.c.course_id == course_id,
                sessions.c.status == CANCELLED,
                sessions.c.cancel_reason == MEASURES,
                measures.c.lifted_from.is_(None),
                # A measure with an end date stops nothing after it, lifted or not.
                or_(measures.c.until_date.is_(None), measures.c.until_date >= on),
            )
            .distinct()
            .order_by(measures.c.id)
        )
        return list(ids)


def _placed(planned: PlannedSession, announced: Session) -> dict[str, Any]:
    """The columns that say when and with what a session takes place."""
    return {
        "number": announced.number,
        "place_id": planned.place_id,
        "room_id": planned.room_id,
        "teacher_id": planned.teacher_id,
        "volunteer_ids": list(planned.volunteer_ids),
        "ipads": planned.ipads,
        "start": planned.start,
        "end": planned.end,
        "busy_from": planned.busy_from,
        "busy_until": planned.busy_until,
        "revision": announced.revision,
        "announced": announced.model_dump(mode="json"),
    }


def _course(row: Any) -> Course:
    return Course(
        id=row.id,
        group_id=row.group_id,
        course=CourseRef(type=row.course_type, level=row.level),
        status=row.status,
        paused_by=row.paused_by,
        participants=tuple(GroupMember.model_validate(p) for p in row.participants),
        contacts=tuple(PartnerContact.model_validate(c) for c in row.contacts),
        partner_ids=frozenset(row.partner_ids),
        teacher_id=row.teacher_id,
        place_id=row.place_id,
        earliest_start=row.earliest_start,
    )


def _planned(query: Any, since: datetime, before: datetime | None, place_ids: frozenset[str]) -> Any:
    """`query` narrowed to planned sessions starting in [since, before) at these places (empty: any)."""
    query = query.where(sessions.c.status == PLANNED, sessions.c.start >= since)
    if before is not None:
        query = query.where(sessions.c.start < before)
    if place_ids:
        query = query.where(sessions.c.place_id.in_(sorted(place_ids)))
    return query


def _session(row: Any) -> CourseSession:
    return CourseSession(
        id=row.id,
        course_id=row.course_id,
        number=row.number,
        status=row.status,
        place_id=row.place_id,
        room_id=row.room_id,
        teacher_id=row.teacher_id,
        volunteer_ids=frozenset(row.volunteer_ids),
        ipads=row.ipads,
        start=row.start,
        end=row.end,
        busy_from=row.busy_from,
        busy_until=row.busy_until,
        revision=row.revision,
        cancel_reason=row.cancel_reason,
        measure_id=row.measure_id,
        announced=Session.model_validate(row.announced),
    )


def _measure(row: Any) -> Measure:
    return Measure(
        id=row.id,
        from_date=row.from_date,
        until_date=row.until_date,
        locations=tuple(row.locations),
        reason=row.reason,
        lifted_from=row.lifted_from,
    )
