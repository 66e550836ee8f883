"""What notifications erases of one person: the facts of notices that name them, and those notices' mails.

A notice names participants by display name (and a referral answer by the partner's referral
id); its mail holds the same in its body. Such a notice keeps only its bookkeeping (kind, role,
origin, times), as after the mail period, and its mail only its headers' facts (kind, subject,
Message-ID, times, recipient), with an empty body. The other people of that mail lose their copy
in it too: a stored mail cannot be cut into parts without composing it again, and nothing reads
old bodies except the mail view. Mails go out first: the erasure waits while a notice naming the
person has not become a mail, or its mail has not been sent (or refused for good).
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Text, cast, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from taalhuis_shared.erasure import Person

from .tables import mails, notices


async def _naming(connection: AsyncConnection, person: Person) -> list[Any]:
    """The notices naming the person: a quick filter in the database, then whole words."""
    if not person.strings:
        return []
    text = func.lower(cast(notices.c.payload, Text))
    mentions = [func.strpos(text, s.casefold()) > 0 for s in person.strings]
    rows = await connection.execute(
        select(notices.c.id, notices.c.mail_id, notices.c.compose_error, notices.c.payload).where(
            or_(*mentions)
        )
    )
    return [row for row in rows if person.named_in(json.dumps(row.payload, ensure_ascii=False))]


async def in_flight(connection: AsyncConnection, person: Person) -> bool:
    named = await _naming(connection, person)
    if any(row.mail_id is None and row.compose_error is None for row in named):
        return True
    mail_ids = {row.mail_id for row in named if row.mail_id is not None}
    if not mail_ids:
        return False
    unsent = await connection.scalar(
        select(func.count())
        .select_from(mails)
        .where(mails.c.id.in_(mail_ids), mails.c.sent_at.is_(None), mails.c.failed_at.is_(None))
    )
    return bool(unsent)


async def erase(connection: AsyncConnection, person: Person) -> dict[str, int]:
    named = await _naming(connection, person)
    notice_ids = [row.id for row in named]
    mail_ids = sorted({row.mail_id for row in named if row.mail_id is not None})
    blanked = 0
    if mail_ids:
        blanked = (
            await connection.execute(
                update(mails).where(mails.c.id.in_(mail_ids)).values(content=b"", last_error=None)
            )
        ).rowcount
    if notice_ids:
        await connection.execute(
            update(notices)
            .where(notices.c.id.in_(notice_ids))
            .values(payload={}, notice_key=func.concat("erased/", notices.c.id))
        )
    return {"notices": len(notice_ids), "mails": blanked}
