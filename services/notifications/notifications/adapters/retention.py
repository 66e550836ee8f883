"""What notifications removes by itself: mails, notices and staff lists of courses long past.

A mail's `content` is the whole message (names, addresses, course details), `recipient` the
address it went to, and `last_error` an SMTP server's answer, which often quotes the address.
Once the mail has been sent (or refused for good) more than the period ago, all three are
blanked; the row stays with its kind, role, subject (course and date, no names), Message-ID and
times, so the mail view still shows that a mail went out and when. `content` and `recipient`
are NOT NULL: blank is ''. The mail's `batch_key` (kind, role, language and the address) goes too.

The notices a mail was composed from hold the same facts (`payload`: participants' short names,
staff, contact persons) and the recipient's name and address; once their mail is finished more
than the period ago, or the notice was set aside (`compose_error`) that long ago, they keep only
kind, role, language, origin, times and the mail they went into. `notice_key` (origin, kind and
address) must stay unique: it becomes `shredded/<id>`; an event that old cannot come again (the
inbox's reasoning), so nothing needs the key to recognise it. A group's staff list
(`group_staff`: names and addresses from `CourseScheduled`, and `known`: what names the group and
dates its sessions) is deleted when all of that group's
notices have reached that point: no mail about the group is waiting or recent. (A course
paused for longer than the period loses it too; `CourseResumed` brings the staff again, and a
`GroupChanged` in the pause then reaches the contact persons but not the teacher.)
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, cast, delete, exists, func, or_, select, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncConnection

from taalhuis_shared.retention import Shredder

from .tables import group_staff, mails, notices


def mail_bodies(days: int) -> Shredder:
    async def shred(connection: AsyncConnection, now: datetime) -> int:
        finished = func.coalesce(mails.c.sent_at, mails.c.failed_at)
        blanked = await connection.execute(
            update(mails)
            .where(
                finished < now - timedelta(days=days),
                or_(
                    mails.c.content != b"",
                    mails.c.recipient != "",
                    mails.c.last_error.is_not(None),
                    mails.c.batch_key != "",
                ),
            )
            .values(content=b"", recipient="", last_error=None, batch_key="")
        )
        return blanked.rowcount

    return Shredder(
        "mail-bodies",
        f"body, address, batch key and SMTP answer of mails sent or refused more than {days} days ago",
        shred,
    )


def old_notices(days: int) -> Shredder:
    async def shred(connection: AsyncConnection, now: datetime) -> int:
        cutoff = now - timedelta(days=days)
        finished_mails = select(mails.c.id).where(func.coalesce(mails.c.sent_at, mails.c.failed_at) < cutoff)
        done = or_(
            notices.c.mail_id.in_(finished_mails),
            and_(notices.c.compose_error.is_not(None), notices.c.created_at < cutoff),
        )
        group_of_notice = cast(notices.c.payload, JSONB)["course"]["group_id"].astext
        still_needed = exists().where(group_of_notice == group_staff.c.group_id, ~done)
        # Before the notices lose their payload, which is what names their group.
        staff = await connection.execute(delete(group_staff).where(~still_needed))
        blanked = await connection.execute(
            update(notices)
            .where(done, notices.c.batch_key != "")
            .values(
                recipient="",
                recipient_name=None,
                payload={},
                batch_key="",
                notice_key=func.concat("shredded/", notices.c.id),
            )
        )
        return staff.rowcount + blanked.rowcount

    return Shredder(
        "old-notices",
        f"recipients, names and facts of notices whose mail finished more than {days} days ago,"
        " and the staff of groups with no newer notice",
        shred,
    )
