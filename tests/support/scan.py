"""Everything a database holds as text: every text, JSON and byte column of every table, joined.

The retention and erasure tests search it for a person's strings: a column added later is
searched too, without the test naming it.
"""

from __future__ import annotations

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
