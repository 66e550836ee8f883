"""What scheduling removes by itself: the people of courses that completed long ago.

A course keeps its members (`GroupMember`: referral ids, partner referral ids, display names)
and its partners' contact persons (names, addresses) to pass them on in course events and mails.
After the course has completed nothing reads them: no session is planned any more, measures and
cancellations touch planned sessions only, and `CourseCompleted` has been published. Once the
course completed more than the period ago (by the `Clock`), both lists become empty.

Staff: each session's `announced` copy keeps the teacher's and volunteers' names and addresses so
that a cancellation can be told; a completed course has no session left to cancel, so these go
too (the teacher and volunteers are the library's own people, but nothing needs them here any
more). The session keeps a valid `Session` shape (times, place, room, iPads). The resources
file's ids (`teacher_id`, `volunteer_ids`) stay: pseudonyms that say who gave which session, for
the library's own staff planning; names and addresses are only in the resources file.

A `GroupChanged` kept for a group that never got a course (`group_changes`) is deleted once it
is older than the period: by then its group will not be planned.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import JSON, String, and_, cast, delete, literal, or_, select, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncConnection

from taalhuis_shared.retention import Shredder

from .tables import courses, group_changes, sessions

EMPTY = cast(literal("[]"), JSONB)


def finished_courses(days: int) -> Shredder:
    async def shred(connection: AsyncConnection, now: datetime) -> int:
        cutoff = now - timedelta(days=days)
        finished = and_(courses.c.status == "completed", courses.c.completed_at < cutoff)
        people = await connection.execute(
            update(courses)
            .where(
                finished,
                or_(cast(courses.c.participants, JSONB) != EMPTY, cast(courses.c.contacts, JSONB) != EMPTY),
            )
            .values(participants=[], contacts=[])
        )
        announced = cast(sessions.c.announced, JSONB)
        # The session without its people: no teacher (the course's then, which is gone too), no volunteers.
        without_staff = announced.op("-")(literal("teacher", String)).op("||")(
            cast(literal('{"volunteers": []}'), JSONB)
        )
        staff = await connection.execute(
            update(sessions)
            .where(
                sessions.c.course_id.in_(select(courses.c.id).where(finished)),
                announced != without_staff,
            )
            .values(announced=cast(without_staff, JSON))
        )
        stale = await connection.execute(delete(group_changes).where(group_changes.c.as_of < cutoff))
        return people.rowcount + staff.rowcount + stale.rowcount

    return Shredder(
        "finished-courses",
        f"participants, contact persons and session staff of courses completed more than {days} days ago",
        shred,
    )
