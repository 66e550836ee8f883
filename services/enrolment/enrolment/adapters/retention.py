"""Enrolment's shredders: what retention removes of referrals and their history, and when.

See docs/privacy.md ("Retention periods"). Three kinds of ended referral:

- **Rejected**: never a referral row, only a history line (partner, the partner's referral id,
  `rejected`, the reason code). `answered-referrals` deletes it `ANSWERED_RETENTION_DAYS` after
  it was written: nothing needs it afterwards.
- **Withdrawn** (before the course): counts for nothing later. `answered-referrals` deletes the
  row and its history lines the same number of days after the withdrawal.
- **Completed, or left during the course**: the retake rule needs them for 12 months.
  `completed-referrals` reduces the row `COMPLETED_PERSONAL_DAYS` after the end to what that rule
  needs: the keyed hash `person_key`, course type, level, status and the dates. It blanks the
  personal fields, sets the partner's referral id to NULL and the event id to '' (the partner
  knows both, so either would say who it was), gives the row a new random id (the old one is in
  scheduling's and notifications' copies until their own periods end), and deletes the
  referral's history lines (they are found by the partner's referral id, so first).
  `expired-completions` deletes the row once the retake window (`retake_after_months`) plus one
  month has passed since the end.

Blanked means '' (the columns are NOT NULL) and an empty list of preferred locations; a reduced
row is not reduced again, so the counts in `retention_runs` are rows changed by that run.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, String, and_, cast, delete, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from taalhuis_shared.retention import Shredder

from ..domain.model import Policy, add_months, person_key
from ..settings import Settings
from .tables import history, referrals

LIBRARY_TIME = ZoneInfo("Europe/Amsterdam")

REDUCED: dict[str, Any] = {
    "employee_reference": "",
    "display_name": "",
    "contact_name": "",
    "contact_email": "",
    "preferred_locations": [],
    "language_group": "",
    "partner_referral_id": None,
    "event_id": "",
    "municipality_of_residence": "",
}


def _library_day(now: datetime) -> date:
    return now.astimezone(LIBRARY_TIME).date()


def _ended_before(moment: datetime) -> ColumnElement[bool]:
    # Rows withdrawn before revision 0004 have no end time: their acceptance is the safe bound.
    return func.coalesce(referrals.c.ended_at, referrals.c.accepted_at) < moment


def _lines_of_referrals(which: ColumnElement[bool]) -> ColumnElement[bool]:
    """History lines of the referrals `which` selects (lines name a referral by partner and id)."""
    return exists(
        select(referrals.c.id)
        .where(which)
        .where(referrals.c.partner_id == history.c.partner_id)
        .where(func.lower(referrals.c.partner_referral_id) == func.lower(history.c.partner_referral_id))
    )


def _without_referral() -> ColumnElement[bool]:
    """History lines no referral row belongs to: those of rejected referrals."""
    return ~exists(
        select(referrals.c.id)
        .where(referrals.c.partner_id == history.c.partner_id)
        .where(func.lower(referrals.c.partner_referral_id) == func.lower(history.c.partner_referral_id))
    )


def answered_referrals(days: int) -> Shredder:
    """Rejected and withdrawn referrals, `days` after the answer: every trace of them."""

    async def shred(connection: AsyncConnection, now: datetime) -> int:
        cutoff = now - timedelta(days=days)
        withdrawn = and_(referrals.c.status == "withdrawn", _ended_before(cutoff))
        lines = await connection.execute(delete(history).where(_lines_of_referrals(withdrawn)))
        rows = await connection.execute(delete(referrals).where(withdrawn))
        rejected = await connection.execute(
            delete(history).where(history.c.at < cutoff).where(_without_referral())
        )
        return rows.rowcount + lines.rowcount + rejected.rowcount

    return Shredder(
        "answered-referrals",
        f"referrals withdrawn, and history lines of referrals rejected, more than {days} days ago",
        shred,
    )


def _ended_for_the_retake_rule(now: datetime, days: int) -> ColumnElement[bool]:
    """Completed (by completion date) or left (by end time) more than `days` before `now`."""
    return or_(
        and_(
            referrals.c.status == "completed",
            referrals.c.completed_on < _library_day(now) - timedelta(days=days),
        ),
        and_(referrals.c.status == "left", _ended_before(now - timedelta(days=days))),
    )


def completed_referrals(days: int, person_key_secret: str) -> Shredder:
    """Completed or left participants, `days` after the end: all but what the retake rule needs."""

    async def shred(connection: AsyncConnection, now: datetime) -> int:
        expired = and_(_ended_for_the_retake_rule(now, days), referrals.c.partner_referral_id.is_not(None))
        await _add_missing_keys(connection, expired, person_key_secret)
        await connection.execute(delete(history).where(_lines_of_referrals(expired)))
        reduced = await connection.execute(
            update(referrals).where(expired).values(**REDUCED, id=cast(func.gen_random_uuid(), String))
        )
        return reduced.rowcount

    return Shredder(
        "completed-referrals",
        f"personal fields, references and history of participants who completed or left more than "
        f"{days} days ago (the keyed hash, course and dates stay for the retake rule)",
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


def expired_completions(retake_after_months: int) -> Shredder:
    """Completed or left referrals, once the retake window plus one month has passed: the row goes."""

    async def shred(connection: AsyncConnection, now: datetime) -> int:
        cutoff_day = add_months(_library_day(now), -(retake_after_months + 1))
        cutoff = datetime.combine(cutoff_day, datetime.min.time(), LIBRARY_TIME)
        removed = await connection.execute(
            delete(referrals).where(
                or_(
                    and_(referrals.c.status == "completed", referrals.c.completed_on < cutoff_day),
                    and_(referrals.c.status == "left", _ended_before(cutoff)),
                )
            )
        )
        return removed.rowcount

    return Shredder(
        "expired-completions",
        f"referrals whose course ended more than {retake_after_months} + 1 months ago, with their "
        "keyed hash (the retake rule no longer needs them)",
        shred,
    )


def enrolment_shredders(settings: Settings, policy: Policy) -> list[Shredder]:
    return [
        answered_referrals(settings.answered_retention_days),
        completed_referrals(settings.completed_personal_days, settings.person_key_secret),
        expired_completions(policy.retake_after_months),
    ]
