"""Enrolment's shredders: what retention blanks of referrals, and when (see docs/privacy.md).

A referral's personal fields are blanked, not the row: the row keeps what the retake rule and
the numbers need (partner, course type, level, status, dates) and, for a completion, the keyed
hash of the person until the retake window has passed. Blanked means '' (the columns are NOT
NULL) and an empty list of preferred locations; a blanked row is not blanked again, so the
counts in `retention_runs` are rows changed by that run.

The history lines (partner, the partner's referral id, what happened, a waiting position, group
id or reason code) hold no name, reference or address and are not shredded yet; nor is a row's
own `partner_referral_id` (docs/privacy.md lists both as not yet enforced).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from taalhuis_shared.retention import Shredder

from ..domain.model import Policy, add_months, person_key
from ..settings import Settings
from .tables import referrals

LIBRARY_TIME = ZoneInfo("Europe/Amsterdam")

BLANKED = {
    "employee_reference": "",
    "display_name": "",
    "contact_name": "",
    "contact_email": "",
    "preferred_locations": [],
    "language_group": "",
    "municipality_of_residence": "",
}


def _library_day(now: datetime) -> date:
    return now.astimezone(LIBRARY_TIME).date()


def _ended_before(moment: datetime) -> ColumnElement[bool]:
    # Rows withdrawn before revision 0004 have no end time: their acceptance is the safe bound.
    return func.coalesce(referrals.c.ended_at, referrals.c.accepted_at) < moment


async def _blank(connection: AsyncConnection, which: ColumnElement[bool]) -> int:
    blanked = await connection.execute(
        update(referrals).where(which).where(referrals.c.employee_reference != "").values(**BLANKED)
    )
    return blanked.rowcount


def answered_referrals(days: int) -> Shredder:
    """Withdrawn referrals, `days` after the withdrawal: personal fields and the person's key.

    A rejected referral is never stored as a referral (only a history line with its reason code).
    A withdrawn one counts for nothing later, so its keyed hash goes too.
    """

    async def shred(connection: AsyncConnection, now: datetime) -> int:
        expired = and_(referrals.c.status == "withdrawn", _ended_before(now - timedelta(days=days)))
        blanked = await _blank(connection, expired)
        await connection.execute(
            update(referrals)
            .where(expired)
            .where(referrals.c.person_key.is_not(None))
            .values(person_key=None)
        )
        return blanked

    return Shredder(
        "answered-referrals",
        f"personal fields of referrals withdrawn more than {days} days ago",
        shred,
    )


def completed_referrals(days: int, person_key_secret: str) -> Shredder:
    """Completed or left participants, `days` after the end: personal fields, not the keyed hash."""

    async def shred(connection: AsyncConnection, now: datetime) -> int:
        expired = or_(
            and_(
                referrals.c.status == "completed",
                referrals.c.completed_on < _library_day(now) - timedelta(days=days),
            ),
            and_(referrals.c.status == "left", _ended_before(now - timedelta(days=days))),
        )
        await _add_missing_keys(connection, expired, person_key_secret)
        return await _blank(connection, expired)

    return Shredder(
        "completed-referrals",
        f"personal fields of participants who completed or left more than {days} days ago "
        "(the keyed hash stays for the retake rule)",
        shred,
    )


async def _add_missing_keys(
    connection: AsyncConnection, which: ColumnElement[bool], person_key_secret: str
) -> None:
    """Rows from before revision 0004 get their key before the reference goes (SQL lacks the secret)."""
    missing = await connection.execute(
        select(referrals.c.id, referrals.c.partner_id, referrals.c.employee_reference)
        .where(which)
        .where(referrals.c.person_key.is_(None))
        .where(referrals.c.employee_reference != "")
    )
    for row in missing:
        key = person_key(person_key_secret, row.partner_id, row.employee_reference)
        await connection.execute(update(referrals).where(referrals.c.id == row.id).values(person_key=key))


def expired_retake_keys(retake_after_months: int) -> Shredder:
    """The keyed hash, once the retake window plus one month has passed since the end."""

    async def shred(connection: AsyncConnection, now: datetime) -> int:
        today = _library_day(now)
        cutoff_day = add_months(today, -(retake_after_months + 1))
        cutoff = datetime.combine(cutoff_day, datetime.min.time(), LIBRARY_TIME)
        removed = await connection.execute(
            update(referrals)
            .where(referrals.c.person_key.is_not(None))
            .where(
                or_(
                    and_(referrals.c.status == "completed", referrals.c.completed_on < cutoff_day),
                    and_(referrals.c.status == "left", _ended_before(cutoff)),
                )
            )
            .values(person_key=None)
        )
        return removed.rowcount

    return Shredder(
        "expired-retake-keys",
        f"the keyed hash of participants whose course ended more than {retake_after_months} + 1 "
        "months ago (the retake rule no longer needs it)",
        shred,
    )


def enrolment_shredders(settings: Settings, policy: Policy) -> list[Shredder]:
    return [
        answered_referrals(settings.answered_retention_days),
        completed_referrals(settings.completed_personal_days, settings.person_key_secret),
        expired_retake_keys(policy.retake_after_months),
    ]
