"""`taalhuis-notifications`: what was sent to whom and when, what is waiting, what failed (Dutch).

Reads the notifications database (DATABASE_URL) and changes nothing. Bodies are not shown.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from taalhuis_shared.db import database_url_problem, unreadable

from ..adapters.tables import batch_due_at, mails, notices, pending_batches
from ..settings import Settings

KINDS = ["verzonden", "wachtend", "mislukt"]


def _address(recipient: str) -> str:
    """A mail's address, or a word saying it was blanked after the retention period."""
    return recipient or "(verwijderd)"


def _when(moment: datetime | None, timezone: ZoneInfo) -> str:
    return f"{moment.astimezone(timezone):%Y-%m-%d %H:%M}" if moment else "-"


def table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """Plain columns, as wide as their widest cell."""
    cells = [[str(c) for c in header], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = ("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in cells)
    return "\n".join(line.rstrip() for line in lines)


async def sent(connection: AsyncConnection, timezone: ZoneInfo) -> str:
    rows = await connection.execute(
        select(mails).where(mails.c.sent_at.is_not(None)).order_by(mails.c.sent_at, mails.c.id)
    )
    found = [
        (r.id, _when(r.sent_at, timezone), _address(r.recipient), r.recipient_role, r.kind, r.subject)
        for r in rows
    ]
    return "Verzonden\n" + table(["nr", "verzonden", "aan", "rol", "soort", "onderwerp"], found)


async def pending(connection: AsyncConnection, timezone: ZoneInfo) -> str:
    waiting = await connection.execute(
        select(mails)
        .where(mails.c.sent_at.is_(None), mails.c.failed_at.is_(None))
        .order_by(mails.c.next_attempt_at, mails.c.id)
    )
    mail_rows = [
        (r.id, r.recipient, r.kind, r.attempts, _when(r.next_attempt_at, timezone), (r.last_error or "")[:60])
        for r in waiting
    ]
    batches = await connection.execute(
        pending_batches(
            notices.c.recipient,
            notices.c.kind,
            func.count().label("count"),
            batch_due_at.label("due_at"),
        )
        .group_by(notices.c.recipient, notices.c.kind)
        .order_by(batch_due_at)
    )
    notice_rows = [(r.recipient, r.kind, r.count, _when(r.due_at, timezone)) for r in batches]
    return (
        "Wachtend op verzenden\n"
        + table(["nr", "aan", "soort", "pogingen", "volgende poging", "laatste fout"], mail_rows)
        + "\n\nNog te maken (berichten verzameld per ontvanger)\n"
        + table(["aan", "soort", "berichten", "maken vanaf"], notice_rows)
    )


async def failed(connection: AsyncConnection, timezone: ZoneInfo) -> str:
    rows = await connection.execute(
        select(mails).where(mails.c.failed_at.is_not(None)).order_by(mails.c.failed_at, mails.c.id)
    )
    found = [
        (
            r.id,
            _when(r.failed_at, timezone),
            _address(r.recipient),
            r.kind,
            r.subject,
            (r.last_error or "")[:80],
        )
        for r in rows
    ]
    set_aside = await connection.execute(
        select(notices.c.recipient, notices.c.kind, func.count().label("count"), notices.c.compose_error)
        .where(notices.c.mail_id.is_(None), notices.c.compose_error.is_not(None))
        .group_by(notices.c.recipient, notices.c.kind, notices.c.compose_error)
    )
    not_made = [(_address(r.recipient), r.kind, r.count, r.compose_error) for r in set_aside]
    return (
        "Mislukt (adres geweigerd, niet opnieuw geprobeerd)\n"
        + table(["nr", "mislukt", "aan", "soort", "onderwerp", "fout"], found)
        + "\n\nNiet te maken (fout in gegevens of sjabloon; opzij gezet)\n"
        + table(["aan", "soort", "berichten", "fout"], not_made)
    )


async def show(database_url: str, what: Sequence[str], timezone: ZoneInfo) -> str:
    engine = create_async_engine(database_url)
    views = {"verzonden": sent, "wachtend": pending, "mislukt": failed}
    try:
        async with engine.connect() as connection:
            return "\n\n".join([await views[name](connection, timezone) for name in what])
    finally:
        await engine.dispose()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="taalhuis-notifications", description="E-mails: verzonden, wachtend, mislukt (DATABASE_URL)."
    )
    # No `choices`: Python 3.11 refuses an empty list against them, so none given is checked here.
    parser.add_argument(
        "wat", nargs="*", metavar="{" + ",".join(KINDS) + "}", help="welk overzicht; zonder: alle drie"
    )
    arguments = parser.parse_args(argv)
    unknown = [name for name in arguments.wat if name not in KINDS]
    if unknown:
        parser.error(f"onbekend overzicht: {', '.join(unknown)} (kies uit {', '.join(KINDS)})")
    problem = database_url_problem(os.environ.get("DATABASE_URL"))
    if problem:
        print(problem, file=sys.stderr)
        return 2
    try:
        settings = Settings()
    except ValidationError as error:
        names = ", ".join(str(e["loc"][0]).upper() for e in error.errors() if e["loc"])
        print(f"Een instelling klopt niet: {names}.", file=sys.stderr)
        return 2
    try:
        print(asyncio.run(show(settings.database_url, arguments.wat or KINDS, ZoneInfo(settings.timezone))))
    except (OSError, SQLAlchemyError) as error:
        print(unreadable(error), file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
