"""A real database error, logged: the statement and constraint, not the values that clashed."""

from __future__ import annotations

import io
import logging

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from taalhuis_shared.db import make_engine
from taalhuis_shared.logs import FORMAT, WithoutExceptionTexts
from tests.support.databases import Databases

# A module constant: a traceback shows the line that bound it, not the value.
REFERENCE = "EMP-QX-4711"


async def test_a_unique_violation_is_logged_without_the_key_or_the_parameters(databases: Databases) -> None:
    engine = make_engine(await databases.create("logs"))
    try:
        async with engine.begin() as connection:
            await connection.execute(text("CREATE TABLE people (reference text CONSTRAINT one_each UNIQUE)"))
        with pytest.raises(IntegrityError) as caught:
            async with engine.begin() as connection:
                insert = text("INSERT INTO people (reference) VALUES (:reference)")
                for _ in range(2):
                    await connection.execute(insert, {"reference": REFERENCE})
    finally:
        await engine.dispose()
    error = caught.value
    assert error.__cause__ is not None
    assert "SQL parameters hidden" in str(error)  # the engine hides what was bound
    # But asyncpg's error, which it arose from, has PostgreSQL's DETAIL: the key that clashed.
    assert any(REFERENCE in str(link) for link in (error.__cause__, error.__cause__.__cause__))

    output = io.StringIO()
    handler = logging.StreamHandler(output)
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(WithoutExceptionTexts())
    logger = logging.getLogger("tests.logs.database")
    logger.addHandler(handler)
    logger.propagate = False
    logger.error(f"{type(error).__name__}: {error}", exc_info=error)
    logger.removeHandler(handler)

    logged = output.getvalue()
    assert REFERENCE not in logged
    assert "IntegrityError: [SQL: INSERT INTO people (reference) VALUES ($1)]" in logged
    violation = 'UniqueViolationError: duplicate key value violates unique constraint "one_each"'
    assert f"{violation} (SQLSTATE 23505)" in logged
