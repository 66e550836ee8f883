"""Writing notices and reading a group's staff, in the handler's (or the sender's) transaction."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from taalhuis_shared.clock import Clock

from ..domain.groups import Known
from ..domain.notices import Notice, Window
from .tables import group_staff, notices


async def add_notices(
    connection: AsyncConnection, found: Sequence[Notice], windows: Mapping[Window, float], now: datetime
) -> int:
    """Keep notices for the sender; one that exists already (same key) is not added again.

    `now` is the service's clock: a notice is due its window after it, by the same clock (a
    moved clock makes a day's digest due as a real day would), and a set-aside notice's period
    counts from it.
    """
    added = 0
    for notice in found:
        result = await connection.execute(
            insert(notices)
            .values(
                origin=notice.origin,
                notice_key=notice.key,
                batch_key=notice.batch_key,
                kind=notice.kind,
                recipient_role=notice.role,
                language=notice.language,
                recipient=notice.recipient,
                recipient_name=notice.recipient_name,
                payload=notice.payload,
                created_at=now,
                due_at=now + timedelta(seconds=windows.get(notice.window, 0.0)),
            )
            .on_conflict_do_nothing(index_elements=["notice_key"])
        )
        added += result.rowcount
    return added


class NoticeRepository:
    def __init__(self, connection: AsyncConnection, windows: Mapping[Window, float], clock: Clock) -> None:
        self._connection = connection
        self._windows = windows
        self._clock = clock

    async def add(self, found: Sequence[Notice]) -> int:
        return await add_notices(self._connection, found, self._windows, self._clock.now())

    async def remember_staff(self, group_id: str, staff: list[dict[str, str]]) -> None:
        statement = insert(group_staff).values(group_id=group_id, staff=staff)
        await self._connection.execute(
            statement.on_conflict_do_update(
                index_elements=["group_id"], set_={"staff": statement.excluded.staff}
            )
        )

    async def known_group(self, group_id: str) -> Known | None:
        """What is known of the group (`domain.groups`), or None."""
        known = await self._connection.scalar(
            select(group_staff.c.known).where(group_staff.c.group_id == group_id)
        )
        return dict(known) if known else None

    async def remember_group(self, group_id: str, known: Known) -> None:
        statement = insert(group_staff).values(group_id=group_id, staff=[], known=known)
        await self._connection.execute(
            statement.on_conflict_do_update(
                index_elements=["group_id"], set_={"known": statement.excluded.known}
            )
        )

    async def staff_of(self, group_id: str) -> list[dict[str, str]]:
        staff = await self._connection.scalar(
            select(group_staff.c.staff).where(group_staff.c.group_id == group_id)
        )
        return list(staff or [])
