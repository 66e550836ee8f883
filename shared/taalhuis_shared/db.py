"""Database access for a service: its engine, and bringing its schema up to date with Alembic."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import Connection, make_url, text
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

# Any constant will do: it only has to be the same for every process of every service.
MIGRATION_LOCK = 0x7A41_1405
HEALTH_CHECK_TIMEOUT = 3.0


DRIVER = "postgresql+asyncpg"
EXAMPLE_URL = f"{DRIVER}://gebruiker@host:5432/database"


def database_url_problem(database_url: str | None) -> str | None:
    """What is wrong with a DATABASE_URL, in one Dutch line (never the URL: it may hold a password).

    None when it looks usable; whether the database answers is found out by connecting.
    """
    if not database_url:
        return f"DATABASE_URL ontbreekt. Geef het adres van de database, zoals {EXAMPLE_URL}."
    try:
        url = make_url(database_url)
    except (ArgumentError, ValueError):
        return f"DATABASE_URL klopt niet: het is geen database-adres. Voorbeeld: {EXAMPLE_URL}."
    if url.drivername != DRIVER:
        return f"DATABASE_URL moet beginnen met {DRIVER}:// (nu {url.drivername}://)."
    if not url.database:
        return f"DATABASE_URL noemt geen database. Voorbeeld: {EXAMPLE_URL}."
    return None


def unreadable(error: BaseException) -> str:
    """Why the database could not be read, in one line: the driver's own first line, no statement."""
    cause = getattr(error, "orig", None) or error
    lines = str(cause).strip().splitlines() or [type(cause).__name__]
    return f"De database is niet te lezen: {lines[0]}"


# Seconds after which a pooled connection is replaced rather than reused.
POOL_RECYCLE = 300


def make_engine(database_url: str, *, pre_ping: bool = False) -> AsyncEngine:
    """A service's engine. Without `pre_ping`, a checkout costs no extra round trip.

    A connection the server dropped (a restart) then fails at its first statement; SQLAlchemy
    discards it and every connection pooled before it, and the consumer, which tells an outage
    from a bad message with `database_answers`, tries the message again. Connections older than
    POOL_RECYCLE are replaced, before something between the service and the server drops them.
    The console serves pages to people, who would see that failed first statement: it pings.
    """
    # An error quotes its statement, but not the values bound to it: those are personal data.
    return create_async_engine(
        database_url,
        pool_size=5,
        max_overflow=5,
        pool_pre_ping=pre_ping,
        pool_recycle=POOL_RECYCLE,
        hide_parameters=True,
    )


async def database_answers(engine: AsyncEngine) -> bool:
    """Whether the database answers a trivial query now: tells an outage from a bad message."""
    try:
        async with asyncio.timeout(HEALTH_CHECK_TIMEOUT), engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception:  # any failure to answer is an outage here; the caller waits and asks again
        return False
    return True


async def create_database_if_missing(database_url: str) -> None:
    """Create the service's database on first start (compose creates it already; local runs not)."""
    url = make_url(database_url)
    admin = create_async_engine(
        url.set(database="postgres"), isolation_level="AUTOCOMMIT", hide_parameters=True
    )
    try:
        async with admin.connect() as connection:
            exists = await connection.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": url.database}
            )
            if not exists:
                await connection.execute(text(f'CREATE DATABASE "{url.database}"'))
    finally:
        await admin.dispose()


async def upgrade_schema(database_url: str, migrations: Path) -> None:
    """Run the service's Alembic migrations to head; safe when several processes start at once."""
    await create_database_if_missing(database_url)
    engine = create_async_engine(database_url, hide_parameters=True)
    try:
        async with engine.begin() as connection:
            await connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
            await connection.run_sync(_upgrade, migrations)
    finally:
        await engine.dispose()


def _upgrade(connection: Connection, migrations: Path) -> None:
    config = Config()
    config.set_main_option("script_location", str(migrations))
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


def run_migrations() -> None:
    """The body of every service's `migrations/env.py`: migrate on the connection we were given."""
    connection = context.config.attributes["connection"]
    context.configure(connection=connection, target_metadata=None)
    with context.begin_transaction():
        context.run_migrations()
