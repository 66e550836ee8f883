"""What scheduling erases of one person: them as a member of courses and of kept group changes.

Scheduling holds a person only as a `GroupMember` (referral id, partner referral id, display
name) in the lists of `courses` and `group_changes`. The member goes from each list; the course
and its other members stay. Contact persons and staff are not the person asked about.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, Text, cast, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from taalhuis_shared.erasure import Person

from .tables import courses, group_changes


def _is_person(member: dict[str, Any], person: Person) -> bool:
    # By the partner's referral id too: once enrolment reduced a completed referral to its keyed
    # hash it gave the row a new id, and only the partner's numbers (`--referral`) still match.
    references = {ref.lower() for ref in person.partner_referral_ids}
    return member.get("referral_id") in person.referral_ids or (
        member.get("partner_id") == person.partner_id
        and str(member.get("partner_referral_id", "")).lower() in references
    )


def _others(members: list[dict[str, Any]], person: Person) -> list[dict[str, Any]]:
    return [m for m in members if not _is_person(m, person)]


async def _remove_member(connection: AsyncConnection, table: Table, key: str, person: Person) -> int:
    listed = func.lower(cast(table.c.participants, Text))
    strings = [*person.referral_ids, *person.partner_referral_ids]
    mentions = [func.strpos(listed, s.lower()) > 0 for s in strings]
    if not mentions:
        return 0
    rows = await connection.execute(select(table.c[key], table.c.participants).where(or_(*mentions)))
    removed = 0
    for row in rows.all():
        kept = _others(row.participants, person)
        if len(kept) != len(row.participants):
            removed += len(row.participants) - len(kept)
            await connection.execute(update(table).where(table.c[key] == row[0]).values(participants=kept))
    return removed


async def erase(connection: AsyncConnection, person: Person) -> dict[str, int]:
    return {
        "course-members": await _remove_member(connection, courses, "id", person),
        "group-change-members": await _remove_member(connection, group_changes, "group_id", person),
    }
