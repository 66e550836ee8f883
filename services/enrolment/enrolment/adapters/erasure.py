"""What enrolment erases of one person: their referrals and the referrals' history lines."""

from __future__ import annotations

from sqlalchemy import delete, func
from sqlalchemy.ext.asyncio import AsyncConnection

from taalhuis_shared.erasure import Person

from .tables import history, referrals


async def erase(connection: AsyncConnection, person: Person) -> dict[str, int]:
    """Delete the rows outright: the report's counts live elsewhere, and nothing else needs them.

    The keyed hash goes with the rows, so the retake rule no longer knows this person: that is
    what erasure means (art. 17), and the partner is told so in the README's erasure section.
    """
    removed = await connection.execute(
        delete(referrals).where(
            referrals.c.partner_id == person.partner_id, referrals.c.id.in_(sorted(person.referral_ids))
        )
    )
    ids = sorted({ref.lower() for ref in person.partner_referral_ids})
    lines = await connection.execute(
        delete(history).where(
            history.c.partner_id == person.partner_id, func.lower(history.c.partner_referral_id).in_(ids)
        )
    )
    return {"referrals": removed.rowcount, "history-lines": lines.rowcount}
