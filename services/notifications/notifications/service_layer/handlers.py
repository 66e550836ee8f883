"""What notifications does with an event: write notices (who must hear what) into its database.

What is known of the event's group (its name, its sessions by date) is kept with it.
Nothing is sent here: the notices are stored in the same transaction as the inbox entry (the
shared handling step opens it and records the event), and the
mail sender composes and sends the mails after the commit. So a repeated event writes nothing,
and SMTP being down never makes the handler fail.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Sequence

from taalhuis_shared.events import (
    CloudEvent,
    CourseResumed,
    CourseScheduled,
    EventData,
    GroupChanged,
    MeasuresApplied,
)
from taalhuis_shared.messaging.unit_of_work import UnitOfWork

from ..adapters.repository import NoticeRepository
from ..domain import groups
from ..domain.notices import Audience, group_staff_of, hold_of, notices_for

log = logging.getLogger(__name__)

# Events about groups are batched in this many lanes, a group always in the same one: its events
# stay in arrival order and no two transactions of one process write the same group's row.
GROUP_LANES = 4


def batch_key(event: CloudEvent) -> str | None:
    """Which events may share a unit of work: those about groups per lane, referral answers together.

    A handler locks nothing but the rows it writes: its group's row in `group_staff` (read, then
    written with what the event taught) and new notices. Events of one group in one lane are
    handled one batch at a time, so a later one reads what an earlier one wrote. Referral answers
    only add notices. The erasure events are handled alone.
    """
    group_id = getattr(event.data, "group_id", None)
    if isinstance(group_id, str):
        return f"groups-{zlib.crc32(group_id.encode()) % GROUP_LANES}"
    if event.type in ("ReferralAccepted", "ReferralRejected"):
        return "referral-answers"
    return None


async def prepare(events: Sequence[tuple[CloudEvent, str]], uow: UnitOfWork[NoticeRepository]) -> None:
    """Before a batch's handlers run: read the rows of every group it names in one statement."""
    group_ids = [getattr(event.data, "group_id", None) for event, _ in events]
    await uow.repository.load_groups(group_id for group_id in group_ids if isinstance(group_id, str))


async def notify(event: CloudEvent, uow: UnitOfWork[NoticeRepository], audience: Audience) -> int:
    """Record the notices the event gives, in the open unit of work; returns how many.

    The repository keeps them (and what the event taught about its group) until the commit.
    """
    data: EventData = event.data
    staff: list[dict[str, str]] = []
    known = None
    group_id = getattr(data, "group_id", None)
    if group_id is not None:
        known = await uow.repository.known_group(group_id)
        await uow.repository.remember_group(group_id, groups.learn(known, data))
    if isinstance(data, CourseScheduled | CourseResumed):
        await uow.repository.remember_staff(data.group_id, group_staff_of(data))
    if isinstance(data, GroupChanged):
        staff = await uow.repository.staff_of(data.group_id)
    if isinstance(data, MeasuresApplied) and (hold := hold_of(data)) is not None:
        await uow.repository.release(hold)
    added = await uow.repository.add(notices_for(event.id, data, audience, staff, known))
    # Ids and counts only: names and addresses stay out of the logs.
    log.info("event %s (%s): %d notices", event.id, event.type, added)
    return added
