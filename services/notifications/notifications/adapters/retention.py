"""What notifications removes by itself: the bodies and addresses of mails sent long ago.

A mail's `content` is the whole message (names, addresses, course details), `recipient` the
address it went to, and `last_error` an SMTP server's answer, which often quotes the address.
Once the mail has been sent (or refused for good) more than the period ago, all three are
blanked; the row stays with its kind, role, subject (course and date, no names), Message-ID and
times, so the mail view still shows that a mail went out and when. `content` and `recipient`
are NOT NULL: blank is ''.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, or_, update
from sqlalchemy.ext.asyncio import AsyncConnection

from taalhuis_shared.retention import Shredder

from .tables import mails


def mail_bodies(days: int) -> Shredder:
    async def shred(connection: AsyncConnection, now: datetime) -> int:
        finished = func.coalesce(mails.c.sent_at, mails.c.failed_at)
        blanked = await connection.execute(
            update(mails)
            .where(
                finished < now - timedelta(days=days),
                or_(mails.c.content != b"", mails.c.recipient != "", mails.c.last_error.is_not(None)),
            )
            .values(content=b"", recipient="", last_error=None)
        )
        return blanked.rowcount

    return Shredder(
        "mail-bodies",
        f"body, address and SMTP answer of mails sent or refused more than {days} days ago",
        shred,
    )
