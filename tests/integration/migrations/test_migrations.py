"""Each service's migrations, run one revision at a time on an empty database, give its models' schema.

Two comparisons, because neither sees everything. Alembic's autogenerate (`compare_metadata`)
compares tables, columns, types, nullability, server defaults, unique constraints, indexes and
foreign keys, but not check constraints nor the WHERE of a partial index. The catalogue snapshot
compares what PostgreSQL itself reports, by name, against a database made from the models with
`create_all`: that covers checks, partial indexes, identity columns and sequences too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, MetaData, text
from sqlalchemy.ext.asyncio import create_async_engine

import console
import enrolment
import notifications
import scheduling
from console.adapters import tables as console_tables
from enrolment.adapters import tables as enrolment_tables
from notifications.adapters import tables as notifications_tables
from scheduling.adapters import tables as scheduling_tables
from taalhuis_shared import erasure, retention
from taalhuis_shared.messaging import store
from tests.support.databases import Databases


@dataclass(frozen=True)
class Service:
    name: str
    migrations: Path
    tables: MetaData
    # The console keeps no retention record (yet): inbox, outbox and the erasure work list.
    shared: tuple[MetaData, ...] = (store.metadata, retention.metadata, erasure.metadata)

    def models(self) -> MetaData:
        """The service's own tables, the shared inbox and outbox and the retention record, as one metadata."""
        combined = MetaData()
        for metadata in (self.tables, *self.shared):
            for table in metadata.tables.values():
                table.to_metadata(combined)
        return combined


SERVICES = [
    Service("enrolment", Path(enrolment.__file__).parent / "migrations", enrolment_tables.metadata),
    Service("scheduling", Path(scheduling.__file__).parent / "migrations", scheduling_tables.metadata),
    Service(
        "notifications", Path(notifications.__file__).parent / "migrations", notifications_tables.metadata
    ),
    Service(
        "console",
        Path(console.__file__).parent / "migrations",
        console_tables.metadata,
        (store.metadata, erasure.metadata),
    ),
]


@pytest.fixture(params=SERVICES, ids=[service.name for service in SERVICES])
def service(request: pytest.FixtureRequest) -> Service:
    assert isinstance(request.param, Service)
    return request.param


def alembic_config(migrations: Path, connection: Connection | None = None) -> Config:
    """As `taalhuis_shared.db` configures Alembic: the service's env.py migrates on `connection`."""
    config = Config()
    config.set_main_option("script_location", str(migrations))
    config.attributes["connection"] = connection
    return config


def revisions_in_order(migrations: Path) -> list[str]:
    script = ScriptDirectory.from_config(alembic_config(migrations))
    assert len(script.get_heads()) == 1, "one line of revisions, not branches"
    return [revision.revision for revision in reversed(list(script.walk_revisions()))]


async def on_database(url: str, work: Callable[[Connection], Any]) -> Any:
    """Run `work` on a sync connection in a transaction of its own, committed at the end."""
    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            return await connection.run_sync(work)
    finally:
        await engine.dispose()


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


async def migrate(url: str, service: Service, step: Callable[[Config, str], None], target: str) -> None:
    """One Alembic command (upgrade or downgrade to `target`) in a transaction of its own."""
    await on_database(url, lambda connection: step(alembic_config(service.migrations, connection), target))


async def upgrade_one_by_one(url: str, service: Service) -> None:
    """Each revision in a transaction of its own, as a database that is updated release by release."""
    for revision in revisions_in_order(service.migrations):
        await migrate(url, service, command.upgrade, revision)
        assert await on_database(url, current_revision) == revision


async def downgrade_one_by_one(url: str, service: Service) -> None:
    for revision in reversed(revisions_in_order(service.migrations)):
        assert await on_database(url, current_revision) == revision
        await migrate(url, service, command.downgrade, "-1")
    assert await on_database(url, current_revision) is None


def differences_from_models(service: Service) -> Callable[[Connection], list[Any]]:
    def compare(connection: Connection) -> list[Any]:
        # compare_server_default: the defaults are part of the schema (now(), 0, 'formed', false);
        # on PostgreSQL Alembic compares them by evaluating both on the server, so it is not noisy.
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "compare_server_default": True}
        )
        return list(compare_metadata(context, service.models()))

    return compare


# What PostgreSQL reports of a schema, each part by name; alembic's own table left out.
CATALOGUE = {
    "columns": """
        SELECT table_name, column_name, data_type, character_maximum_length, is_nullable,
               column_default, is_identity, identity_generation
        FROM information_schema.columns
        WHERE table_schema = 'public' AND table_name <> 'alembic_version'""",
    "constraints": """
        SELECT rel.relname, con.conname, pg_get_constraintdef(con.oid)
        FROM pg_constraint con JOIN pg_class rel ON rel.oid = con.conrelid
        JOIN pg_namespace ns ON ns.oid = rel.relnamespace
        WHERE ns.nspname = 'public' AND rel.relname <> 'alembic_version'""",
    "indexes": """
        SELECT tablename, indexname, indexdef FROM pg_indexes
        WHERE schemaname = 'public' AND tablename <> 'alembic_version'""",
    "sequences": """
        SELECT sequencename, data_type::text, start_value, increment_by, min_value, max_value, cycle
        FROM pg_sequences WHERE schemaname = 'public'""",
}


async def catalogue(url: str) -> dict[str, set[tuple[Any, ...]]]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            return {
                part: {tuple(row) for row in await connection.execute(text(query))}
                for part, query in CATALOGUE.items()
            }
    finally:
        await engine.dispose()


def catalogue_differences(
    migrated: dict[str, set[tuple[Any, ...]]], modelled: dict[str, set[tuple[Any, ...]]]
) -> dict[str, dict[str, set[tuple[Any, ...]]]]:
    """Per part of the catalogue, only the rows that differ: readable when the test fails."""
    return {
        part: {
            "only after the migrations": migrated[part] - modelled[part],
            "only from the models": modelled[part] - migrated[part],
        }
        for part in CATALOGUE
        if migrated[part] != modelled[part]
    }


async def database_from_models(databases: Databases, service: Service) -> str:
    url = await databases.create(f"{service.name}_models")
    await on_database(url, service.models().create_all)
    return url


async def test_every_revision_in_turn_gives_the_schema_of_the_models(
    databases: Databases, service: Service
) -> None:
    migrated = await databases.create(f"{service.name}_migrated")

    await upgrade_one_by_one(migrated, service)

    assert await on_database(migrated, differences_from_models(service)) == []
    modelled = await database_from_models(databases, service)
    assert catalogue_differences(await catalogue(migrated), await catalogue(modelled)) == {}


async def test_downgrading_to_nothing_and_upgrading_again_gives_the_same_schema(
    databases: Databases, service: Service
) -> None:
    migrated = await databases.create(f"{service.name}_downgraded")
    await upgrade_one_by_one(migrated, service)
    first_time = await catalogue(migrated)

    await downgrade_one_by_one(migrated, service)
    assert await catalogue(migrated) == {part: set() for part in CATALOGUE}

    await upgrade_one_by_one(migrated, service)
    assert await catalogue(migrated) == first_time
    assert await on_database(migrated, differences_from_models(service)) == []
