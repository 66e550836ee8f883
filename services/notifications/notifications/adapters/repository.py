"""Writing notices and reading a group's staff, in the handler's (or the sender's) transaction."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from taalhuis_shared.clock import Clock

from ..domain.groups import Known
from ..domain.notices import Notice, Window
from .tables import group_staff, measure_releases, notices

# The advisory lock space of groups' rows (the two-number form keeps them apart from the mail
# sender's one-number locks of batch keys).
GROUP_LOCKS = 1
# Seconds a measure's held notices wait after its summary (at most the batch window).
RELEASE_SETTLE = 10.0


def notice_rows(
    found: Iterable[Notice],
    windows: Mapping[Window, float],
    now: datetime,
    max_waits: Mapping[Window, float] | None = None,
    hold_max: float = 3600.0,
) -> list[dict[str, Any]]:
    """The rows of notices found at `now` (the service's clock).

    A notice is due its window after `now`, by the same clock (a moved clock makes a day's digest
    due as a real day would), and a set-aside notice's period counts from it. Its deadline is
    its window's longest wait after `now` (`max_waits`), or the same moment when it has none:
    the mail sender composes a batch once its latest notice is due or its oldest one's deadline
    has passed (`mail_sender.MailSender.compose_due`). A notice held for a measure waits for its
    release, and at most `hold_max` seconds (`MEASURE_MAX_WAIT`).
    """

    def after(seconds: float) -> datetime:
        return now + timedelta(seconds=seconds)

    def deadline(notice: Notice) -> datetime:
        if notice.held_for is not None:
            return after(hold_max)
        return after(waits.get(notice.window, windows.get(notice.window, 0.0)))

    waits = max_waits or {}
    return [
        {
            "origin": notice.origin,
            "notice_key": notice.key,
            "batch_key": notice.batch_key,
            "kind": notice.kind,
            "recipient_role": notice.role,
            "language": notice.language,
            "recipient": notice.recipient,
            "recipient_name": notice.recipient_name,
            "payload": notice.payload,
            "created_at": now,
            "due_at": after(windows.get(notice.window, 0.0)),
            "deadline": deadline(notice),
            "held_for": notice.held_for,
        }
        for notice in found
    ]


async def insert_notices(connection: AsyncConnection, rows: Sequence[dict[str, Any]]) -> None:
    """Keep notices for the sender; one that exists already (same key) is not added again.

    Sent as one executemany: SQLAlchemy makes multi-row INSERTs of it from one cached statement
    (a statement with the rows' values in it would be compiled anew for every batch).
    """
    if rows:
        await connection.execute(
            insert(notices).on_conflict_do_nothing(index_elements=["notice_key"]), list(rows)
        )


async def add_notices(
    connection: AsyncConnection, found: Sequence[Notice], windows: Mapping[Window, float], now: datetime
) -> None:
    """Keep notices for the sender now (the mail sender's refusal notices)."""
    await insert_notices(connection, notice_rows(found, windows, now))


async def known_groups(connection: AsyncConnection) -> list[tuple[Known, list[dict[str, str]]]]:
    """What is known of every group, with its staff (name and address): what the feeds are made of."""
    rows = await connection.execute(
        select(group_staff.c.known, group_staff.c.staff).where(group_staff.c.known.is_not(None))
    )
    return [(dict(row.known), list(row.staff or [])) for row in rows]


class NoticeRepository:
    """The handlers' view of the database, keeping writes back for the unit of work's commit.

    A batch of events is one transaction: the groups it names are read in one statement
    (`load_groups`, or one by one when a handler asks first), their changes and the notices
    are kept in memory and written by `write_changes` (one executemany for the groups, one for
    the notices) just before the commit. A later event of the batch sees
    what an earlier one learned of its group.
    """

    def __init__(
        self,
        connection: AsyncConnection,
        windows: Mapping[Window, float],
        clock: Clock,
        max_waits: Mapping[Window, float] | None = None,
        hold_max: float = 3600.0,
    ) -> None:
        self._connection = connection
        self._windows = windows
        self._max_waits = max_waits
        self._hold_max = hold_max
        self._clock = clock
        # group id -> its row as it stands in this transaction (None: no row yet).
        self._groups: dict[str, dict[str, Any] | None] = {}
        self._changed_groups: set[str] = set()
        self._notices: list[dict[str, Any]] = []
        self._releases: dict[str, datetime] = {}

    async def load_groups(self, group_ids: Iterable[str]) -> None:
        """Lock and read the rows of the groups not read yet, in two statements.

        The groups are locked for the transaction (advisory locks, taken in id order so that two
        transactions never wait for each other crosswise): another notifications process
        handling an event of the same group waits, then reads what this one wrote, instead of
        both reading the old row and the later commit overwriting what the earlier one learned.
        A row that does not exist yet cannot be locked with `FOR UPDATE`; the id can.
        """
        missing = sorted(set(group_ids) - self._groups.keys())
        if not missing:
            return
        await self._connection.execute(
            text(
                "SELECT pg_advisory_xact_lock(CAST(:space AS integer), hashtext(g))"
                " FROM unnest(CAST(:groups AS text[])) WITH ORDINALITY AS t(g, n) ORDER BY n"
            ),
            {"space": GROUP_LOCKS, "groups": missing},
        )
        self._groups.update(dict.fromkeys(missing))
        rows = await self._connection.execute(
            select(group_staff.c.group_id, group_staff.c.staff, group_staff.c.known).where(
                group_staff.c.group_id.in_(missing)
            )
        )
        for row in rows:
            self._groups[row.group_id] = {"staff": list(row.staff or []), "known": row.known}

    async def _group(self, group_id: str) -> dict[str, Any]:
        await self.load_groups([group_id])
        group = self._groups[group_id]
        if group is None:
            group = self._groups[group_id] = {"staff": [], "known": None}
        return group

    async def add(self, found: Sequence[Notice]) -> int:
        """Keep the notices for the commit; returns how many were found."""
        self._notices += notice_rows(found, self._windows, self._clock.now(), self._max_waits, self._hold_max)
        return len(found)

    async def release(self, hold: str) -> None:
        """The measure is done: its held notices may go `RELEASE_SETTLE` seconds from now.

        This process has handled every event delivered before the summary (`Batches.alone`);
        the short wait is for events of the measure that another notifications process still
        has in hand, so that their notices join the same mails.
        """
        settle = min(self._windows.get("batch", 0.0), RELEASE_SETTLE)
        self._releases[hold] = self._clock.now() + timedelta(seconds=settle)

    async def remember_staff(self, group_id: str, staff: list[dict[str, str]]) -> None:
        (await self._group(group_id))["staff"] = staff
        self._changed_groups.add(group_id)

    async def known_group(self, group_id: str) -> Known | None:
        """What is known of the group (`domain.groups`), or None."""
        known = (await self._group(group_id))["known"]
        return dict(known) if known else None

    async def remember_group(self, group_id: str, known: Known) -> None:
        (await self._group(group_id))["known"] = known
        self._changed_groups.add(group_id)

    async def staff_of(self, group_id: str) -> list[dict[str, str]]:
        return list((await self._group(group_id))["staff"])

    async def write_changes(self) -> None:
        """Write the groups changed and the notices kept, in a few statements (groups in id order,
        so that two transactions never wait for each other's rows crosswise)."""
        if self._changed_groups:
            rows = []
            for group_id in sorted(self._changed_groups):
                group = self._groups[group_id]
                assert group is not None
                rows.append({"group_id": group_id, "staff": group["staff"], "known": group["known"]})
            statement = insert(group_staff)
            await self._connection.execute(
                statement.on_conflict_do_update(
                    index_elements=["group_id"],
                    set_={"staff": statement.excluded.staff, "known": statement.excluded.known},
                ),
                rows,
            )
            self._changed_groups.clear()
        kept, self._notices = self._notices, []
        await insert_notices(self._connection, kept)
        if self._releases:
            released = [{"hold": hold, "due_at": due_at} for hold, due_at in self._releases.items()]
            self._releases.clear()
            await self._connection.execute(
                insert(measure_releases).on_conflict_do_nothing(index_elements=["hold"]), released
            )
