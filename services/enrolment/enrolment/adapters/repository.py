"""Reading and writing referrals, waiting lists, intakes and groups in enrolment's database."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Row, func, insert, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from taalhuis_shared.clock import Clock
from taalhuis_shared.events.erasure import SERVICES

from ..domain.model import WaitingList, person_key
from .tables import erasure_requests, groups, history, intakes, referrals

ACTIVE = ("waiting", "placed")
ENDED = ("withdrawn", "left")


def _same(column: ColumnElement[str], value: str) -> ColumnElement[bool]:
    """A partner's id of something, compared without regard to case, as the indexes are built."""
    return func.lower(column) == func.lower(value)


class EnrolmentRepository:
    def __init__(self, connection: AsyncConnection, *, person_key_secret: str, clock: Clock) -> None:
        self._connection = connection
        self._person_key_secret = person_key_secret
        # The service's clock: when a referral ended and when each history line happened, which
        # the retention periods count from.
        self._clock = clock

    def person_key(self, partner_id: str, employee: str) -> str:
        return person_key(self._person_key_secret, partner_id, employee)

    async def lock_course(self, course_type: str) -> None:
        """Serialise everything that touches one course type's waiting lists, intakes and groups.

        Held until commit. Cheap (one course type at a time, milliseconds each), and it makes
        positions, group forming and replacements exact with several enrolment processes.
        """
        await self._connection.execute(
            text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"enrolment:{course_type}"}
        )

    # --- referrals -----------------------------------------------------------------------

    async def find(self, partner_id: str, partner_referral_id: str) -> Row[Any] | None:
        return (
            await self._connection.execute(
                select(referrals)
                .where(referrals.c.partner_id == partner_id)
                .where(_same(referrals.c.partner_referral_id, partner_referral_id))
            )
        ).first()

    async def is_known(self, partner_id: str, partner_referral_id: str) -> bool:
        if await self.find(partner_id, partner_referral_id) is not None:
            return True
        noted = await self._connection.scalar(
            select(func.count())
            .select_from(history)
            .where(history.c.partner_id == partner_id)
            .where(_same(history.c.partner_referral_id, partner_referral_id))
        )
        return bool(noted)

    async def is_enrolled(self, partner_id: str, employee: str, course_type: str, level: int) -> bool:
        found = await self._connection.scalar(
            select(func.count())
            .select_from(referrals)
            .where(referrals.c.partner_id == partner_id)
            .where(_same(referrals.c.employee_reference, employee))
            .where(referrals.c.course_type == course_type)
            .where(referrals.c.level == level)
            .where(referrals.c.status.in_(ACTIVE))
        )
        return bool(found)

    async def last_completion(
        self, partner_id: str, employee: str, course_type: str, level: int
    ) -> date | None:
        """By the person's keyed hash: retention may have blanked the reference of a completion."""
        completed: date | None = await self._connection.scalar(
            select(func.max(referrals.c.completed_on))
            .where(referrals.c.partner_id == partner_id)
            .where(referrals.c.person_key == self.person_key(partner_id, employee))
            .where(referrals.c.course_type == course_type)
            .where(referrals.c.level == level)
            .where(referrals.c.status == "completed")
        )
        return completed

    async def add_referral(self, **values: Any) -> int:
        """Store an accepted referral as waiting, with the person's keyed hash; returns its arrival number."""
        key = self.person_key(values["partner_id"], values["employee_reference"])
        arrival = await self._connection.scalar(
            insert(referrals)
            .values(status="waiting", person_key=key, **values)
            .returning(referrals.c.arrival)
        )
        return int(arrival)

    async def waiting_position(self, course_type: str, level: int, language_group: str, arrival: int) -> int:
        position = await self._connection.scalar(
            select(func.count())
            .select_from(referrals)
            .where(referrals.c.status == "waiting")
            .where(referrals.c.course_type == course_type)
            .where(referrals.c.level == level)
            .where(referrals.c.language_group == language_group)
            .where(referrals.c.arrival <= arrival)
        )
        return int(position or 0)

    async def set_status(self, referral_id: str, status: str, **values: Any) -> None:
        if status in ENDED:
            values["ended_at"] = self._clock.now()  # retention of an ended referral counts from here
        await self._connection.execute(
            update(referrals).where(referrals.c.id == referral_id).values(status=status, **values)
        )

    async def note(self, partner_id: str, partner_referral_id: str, what: str, detail: str = "") -> None:
        """Add a line to a referral's history, for the coordinator and operations."""
        await self._connection.execute(
            insert(history).values(
                partner_id=partner_id,
                partner_referral_id=partner_referral_id,
                what=what,
                detail=detail,
                at=self._clock.now(),
            )
        )

    # --- waiting lists and intakes ---------------------------------------------------------

    async def add_intake(self, intake_id: str, course_type: str, groups_total: int, from_date: date,
                         locations: list[str]) -> bool:  # fmt: skip
        """Open capacity; False when this intake was opened before (changes nothing)."""
        added = await self._connection.execute(
            pg_insert(intakes)
            .values(
                id=intake_id,
                course_type=course_type,
                groups_total=groups_total,
                from_date=from_date,
                locations=locations,
            )
            .on_conflict_do_nothing()
            .returning(intakes.c.id)
        )
        return added.first() is not None

    async def intake_with_room(self, course_type: str) -> Row[Any] | None:
        """The oldest intake for this course type that still has room for a group."""
        return (
            await self._connection.execute(
                select(intakes)
                .where(intakes.c.course_type == course_type)
                .where(intakes.c.groups_used < intakes.c.groups_total)
                .order_by(intakes.c.opened_at, intakes.c.id)
                .limit(1)
            )
        ).first()

    async def use_intake(self, intake_id: str) -> None:
        await self._connection.execute(
            update(intakes).where(intakes.c.id == intake_id).values(groups_used=intakes.c.groups_used + 1)
        )

    async def waiting_lists(self, course_type: str) -> list[WaitingList]:
        rows = await self._connection.execute(
            select(
                referrals.c.level,
                referrals.c.language_group,
                func.count().label("waiting"),
                func.min(referrals.c.arrival).label("first_arrival"),
            )
            .where(referrals.c.status == "waiting")
            .where(referrals.c.course_type == course_type)
            .group_by(referrals.c.level, referrals.c.language_group)
        )
        return [WaitingList(r.level, r.language_group, r.waiting, r.first_arrival) for r in rows]

    async def first_waiting(
        self, course_type: str, level: int, language_group: str, limit: int
    ) -> list[Row[Any]]:
        rows = await self._connection.execute(
            select(referrals)
            .where(referrals.c.status == "waiting")
            .where(referrals.c.course_type == course_type)
            .where(referrals.c.level == level)
            .where(referrals.c.language_group == language_group)
            .order_by(referrals.c.arrival)
            .limit(limit)
        )
        return list(rows)

    # --- groups ------------------------------------------------------------------------------

    async def create_group(self, **values: Any) -> None:
        await self._connection.execute(insert(groups).values(**values))

    async def place(self, referral_id: str, group_id: str, capacity: int, seat: int) -> None:
        await self.set_status(referral_id, "placed", group_id=group_id, group_capacity=capacity, seat=seat)

    async def group(self, group_id: str) -> Row[Any] | None:
        return (await self._connection.execute(select(groups).where(groups.c.id == group_id))).first()

    async def members(self, group_id: str) -> list[Row[Any]]:
        rows = await self._connection.execute(
            select(referrals)
            .where(referrals.c.group_id == group_id)
            .where(referrals.c.status == "placed")
            .order_by(referrals.c.seat)
        )
        return list(rows)

    async def set_group(self, group_id: str, **values: Any) -> None:
        await self._connection.execute(update(groups).where(groups.c.id == group_id).values(**values))

    async def complete_members(self, group_id: str, completed_on: date) -> list[Row[Any]]:
        rows = await self._connection.execute(
            update(referrals)
            .where(referrals.c.group_id == group_id)
            .where(referrals.c.status == "placed")
            .values(status="completed", completed_on=completed_on)
            .returning(referrals.c.partner_id, referrals.c.partner_referral_id)
        )
        return list(rows)

    # --- erasure on request ----------------------------------------------------------------

    async def referrals_of_person(
        self, partner_id: str, employee: str, partner_referral_ids: list[str]
    ) -> list[Row[Any]]:
        """Every referral of one person: by reference, by keyed hash (after retention), by id."""
        wanted = [
            _same(referrals.c.employee_reference, employee),
            referrals.c.person_key == self.person_key(partner_id, employee),
            *(_same(referrals.c.partner_referral_id, ref) for ref in partner_referral_ids),
        ]
        rows = await self._connection.execute(
            select(referrals)
            .where(referrals.c.partner_id == partner_id, or_(*wanted))
            .order_by(referrals.c.arrival)
        )
        return list(rows)

    async def record_erasure_request(
        self, request_id: str, partner_id: str, asked_by: str, requested_by: str | None, outcome: str
    ) -> bool:
        """Keep the request for the coordinator's view; False when this request id was seen before."""
        added = await self._connection.execute(
            pg_insert(erasure_requests)
            .values(
                request_id=request_id,
                partner_id=partner_id,
                asked_by=asked_by,
                requested_by=requested_by,
                outcome=outcome,
            )
            .on_conflict_do_nothing()
            .returning(erasure_requests.c.request_id)
        )
        return added.first() is not None

    async def record_erasure_answer(self, request_id: str, service: str, counts: dict[str, int]) -> None:
        row = (
            await self._connection.execute(
                select(erasure_requests.c.answers)
                .where(erasure_requests.c.request_id == request_id)
                .with_for_update()
            )
        ).first()
        if row is None:
            return  # a request this enrolment did not take (another deployment's): nothing to show
        answers = {**row.answers, service: counts}
        done = func.now() if set(answers) >= set(SERVICES) else None
        await self._connection.execute(
            update(erasure_requests)
            .where(erasure_requests.c.request_id == request_id)
            .values(answers=answers, done_at=done)
        )
