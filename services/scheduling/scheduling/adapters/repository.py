"""Reading and writing courses and their sessions in scheduling's database."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy import func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncConnection

from taalhuis_shared.events import GroupFilled

from ..domain.model import CoursePlan
from .tables import courses, participants, partner_contacts, sessions

# Any constant will do, as long as every scheduling process uses the same one.
PLANNING_LOCK = 0x5C4E_D0E1


class SchedulingRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def lock_planning(self) -> None:
        """Plan one group at a time across all processes, until this transaction ends.

        Without it two processes could read the same free dates and both choose them; the
        unique (slot, date) would then fail one of them, and it would be redelivered.
        """
        await self._connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PLANNING_LOCK})

    async def has_course(self, group_id: str) -> bool:
        found = await self._connection.scalar(
            select(func.count()).select_from(courses).where(courses.c.group_id == group_id)
        )
        return bool(found)

    async def taken_dates(self, since: date) -> dict[str, set[date]]:
        """Per slot id, the dates from `since` on that already have a session."""
        rows = await self._connection.execute(
            select(sessions.c.slot_id, sessions.c.date).where(sessions.c.date >= since)
        )
        taken: defaultdict[str, set[date]] = defaultdict(set)
        for slot_id, day in rows:
            taken[slot_id].add(day)
        return dict(taken)

    async def add_course(self, course_id: str, group: GroupFilled, plan: CoursePlan) -> None:
        await self._connection.execute(
            insert(courses).values(
                id=course_id,
                group_id=group.group_id,
                slot_id=plan.slot.id,
                course_type=group.course.type,
                level=group.course.level,
            )
        )
        await self._connection.execute(
            insert(sessions),
            [
                {
                    "course_id": course_id,
                    "number": s.number,
                    "slot_id": plan.slot.id,
                    "date": s.date,
                    "start": s.start,
                    "end": s.end,
                }
                for s in plan.sessions
            ],
        )
        await self._connection.execute(
            insert(participants),
            [
                {
                    "course_id": course_id,
                    "referral_id": p.referral_id,
                    "partner_id": p.partner_id,
                    "partner_referral_id": p.partner_referral_id,
                    "display_name": p.display_name,
                }
                for p in group.participants
            ],
        )
        # Keyed as the table is: a contact the event repeats is stored once.
        contacts = {(c.partner_id, str(c.contact.email)): c.contact.name for c in group.contacts}
        await self._connection.execute(
            insert(partner_contacts),
            [
                {"course_id": course_id, "partner_id": partner_id, "email": email, "name": name}
                for (partner_id, email), name in contacts.items()
            ],
        )
