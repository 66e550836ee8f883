"""Reading and writing referrals and groups in enrolment's database."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, insert, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.model import Group
from .tables import groups, referrals, rejections


class EnrolmentRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def is_known(self, partner_id: str, partner_referral_id: str) -> bool:
        found = await self._connection.scalar(
            select(func.count())
            .select_from(referrals)
            .where(referrals.c.partner_id == partner_id)
            .where(referrals.c.partner_referral_id == partner_referral_id)
        )
        return bool(found)

    async def is_enrolled(self, partner_id: str, employee_reference: str, course_type: str) -> bool:
        found = await self._connection.scalar(
            select(func.count())
            .select_from(referrals)
            .where(referrals.c.partner_id == partner_id)
            .where(referrals.c.employee_reference == employee_reference)
            .where(referrals.c.course_type == course_type)
        )
        return bool(found)

    async def add_referral(self, **values: Any) -> None:
        await self._connection.execute(insert(referrals).values(**values))

    async def add_rejection(self, **values: Any) -> None:
        await self._connection.execute(insert(rejections).values(**values))

    async def open_group(self, course_type: str, level: int, capacity: int) -> Group:
        """The open group for this course and level, created if there is none, locked until commit.

        Another transaction may fill the open group while we wait for its lock; then the row no
        longer matches, and we go round again: by then there is a new open group, or none.
        """
        while True:
            await self._connection.execute(
                pg_insert(groups)
                .values(id=str(uuid.uuid4()), course_type=course_type, level=level, capacity=capacity)
                .on_conflict_do_nothing(
                    index_elements=["course_type", "level"], index_where=text("status = 'open'")
                )
            )
            row = (
                await self._connection.execute(
                    select(groups.c.id, groups.c.capacity)
                    .where(groups.c.course_type == course_type)
                    .where(groups.c.level == level)
                    .where(groups.c.status == "open")
                    .with_for_update()
                )
            ).first()
            if row is not None:
                break
        members = await self._connection.scalars(
            select(referrals.c.id).where(referrals.c.group_id == row.id).order_by(referrals.c.accepted_at)
        )
        return Group(row.id, course_type, level, row.capacity, list(members))

    async def mark_filled(self, group_id: str) -> None:
        await self._connection.execute(
            update(groups).where(groups.c.id == group_id).values(status="filled", filled_at=func.now())
        )

    async def members_of(self, group_id: str) -> list[Any]:
        rows = await self._connection.execute(
            select(referrals)
            .where(referrals.c.group_id == group_id)
            .order_by(referrals.c.accepted_at, referrals.c.id)
        )
        return list(rows)
