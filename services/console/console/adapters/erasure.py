"""What the console erases of one person: their referrals, their history lines, and them in groups.

The console's read model holds a person as a referral row (partner referral id, display name,
status), its history lines, a member of a group (referral id, partner referral id, display name),
and in texts written about them: a command's label and outcome, a notice's subject and reason, an
audit line's subject. Rows that are only about the person go; a group keeps its other members;
texts that name the person are deleted with their row (commands, notices) or lose the subject
(audit: who did what and when stays).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Text, cast, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from taalhuis_shared.erasure import Person

from .tables import audit, commands, groups, notices, referral_events, referrals


def _is_person(member: dict[str, Any], person: Person) -> bool:
    references = {ref.casefold() for ref in person.partner_referral_ids}
    return member.get("referral_id") in person.referral_ids or (
        member.get("partner_id") == person.partner_id
        and str(member.get("partner_referral_id", "")).casefold() in references
    )


async def _named_rows(
    connection: AsyncConnection, table: Any, key: Any, texts: list[Any], person: Person
) -> list[Any]:
    """Keys of rows whose texts name the person: a quick filter in the database, then whole words."""
    if not person.strings:
        return []
    joined = func.lower(func.concat_ws(" ", *texts))
    mentions = [func.strpos(joined, s.casefold()) > 0 for s in person.strings]
    rows = await connection.execute(select(key, joined.label("text")).where(or_(*mentions)))
    return [row[0] for row in rows if person.named_in(row.text)]


async def erase(connection: AsyncConnection, person: Person) -> dict[str, int]:
    keys = sorted({ref.casefold() for ref in person.partner_referral_ids})
    mine = or_(
        referrals.c.referral_id.in_(sorted(person.referral_ids)), referrals.c.partner_referral_key.in_(keys)
    )
    removed = await connection.execute(
        delete(referrals).where(referrals.c.partner_id == person.partner_id, mine)
    )
    lines = await connection.execute(
        delete(referral_events).where(
            referral_events.c.partner_id == person.partner_id,
            referral_events.c.partner_referral_key.in_(keys),
        )
    )
    members = 0
    listed = func.lower(cast(groups.c.members, Text))
    strings = [*person.referral_ids, *person.partner_referral_ids]
    if strings:
        found = await connection.execute(
            select(groups.c.group_id, groups.c.members).where(
                or_(*(func.strpos(listed, s.casefold()) > 0 for s in strings))
            )
        )
        for row in found.all():
            kept = [m for m in row.members if not _is_person(m, person)]
            if len(kept) != len(row.members):
                members += len(row.members) - len(kept)
                await connection.execute(
                    update(groups).where(groups.c.group_id == row.group_id).values(members=kept)
                )
    named_commands = await _named_rows(
        connection,
        commands,
        commands.c.id,
        [commands.c.correlation, commands.c.label, commands.c.outcome_text],
        person,
    )
    if named_commands:
        await connection.execute(delete(commands).where(commands.c.id.in_(named_commands)))
    named_notices = await _named_rows(
        connection, notices, notices.c.event_id, [notices.c.subject, notices.c.reason], person
    )
    if named_notices:
        await connection.execute(delete(notices).where(notices.c.event_id.in_(named_notices)))
    named_audit = await _named_rows(connection, audit, audit.c.id, [audit.c.subject], person)
    if named_audit:
        await connection.execute(update(audit).where(audit.c.id.in_(named_audit)).values(subject=None))
    return {
        "referrals": removed.rowcount,
        "history-lines": lines.rowcount,
        "group-members": members,
        "commands": len(named_commands),
        "notices": len(named_notices),
        "audit-subjects": len(named_audit),
    }
