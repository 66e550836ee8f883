"""Everything a database holds as text: every text, JSON and byte column of every table, joined.

The retention and erasure tests search it for a person's strings: a column added later is
searched too, without the test naming it.
"""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

TEXT_TYPES = ("text", "character varying", "character", "json", "jsonb", "bytea")


async def all_text(engine: AsyncEngine) -> str:
    async with engine.connect() as connection:
        columns = (
            await connection.execute(
                text(
                    "SELECT table_name, column_name, data_type FROM information_schema.columns"
                    " WHERE table_schema = 'public' AND data_type = ANY(:types)"
                ),
                {"types": list(TEXT_TYPES)},
            )
        ).all()
        found: list[str] = []
        for table, column, data_type in columns:
            # bytea as escaped text: the ASCII of a MIME message stays readable.
            value = f"encode(\"{column}\", 'escape')" if data_type == "bytea" else f'"{column}"::text'
            rows = await connection.scalars(text(f'SELECT {value} FROM "{table}"'))
            found.extend(row for row in rows if row is not None)
    assert columns, "no text columns found: wrong database?"
    return "\n".join(found)


async def mail_text(engine: AsyncEngine) -> str:
    """Notifications' stored mails as their reader sees them: every part decoded.

    A mail's body may be stored base64 or quoted-printable encoded, where a name is not
    readable in the raw bytes; searched together with `all_text`, nothing hides that way.
    """
    async with engine.connect() as connection:
        contents = await connection.scalars(text("SELECT content FROM mails"))
        parts: list[str] = []
        for content in contents:
            if not content:
                continue
            message = email.message_from_bytes(bytes(content), policy=email.policy.default)
            assert isinstance(message, EmailMessage)
            for part in message.walk():
                if not part.is_multipart():
                    payload = part.get_payload(decode=True)
                    parts.append(payload.decode(errors="replace") if isinstance(payload, bytes) else "")
    return "\n".join(parts)
