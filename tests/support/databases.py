"""Databases of their own for each test run, on the real PostgreSQL."""

from __future__ import annotations

import itertools

from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import create_async_engine


class Databases:
    """Creates `<run id>_<name>_<n>` databases and drops them all at the end of the run."""

    def __init__(self, server_url: str, run_id: str) -> None:
        self._server = make_url(server_url).set(database="postgres")
        self._run_id = run_id
        self._counter = itertools.count()
        self._created: list[str] = []

    async def create(self, name: str) -> str:
        database = f"{self._run_id}_{name}_{next(self._counter)}"
        await self._admin(f'CREATE DATABASE "{database}"')
        self._created.append(database)
        return self._server.set(database=database).render_as_string(hide_password=False)

    async def drop_all(self) -> None:
        for database in self._created:
            await self._admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')

    async def _admin(self, statement: str) -> None:
        engine = create_async_engine(self._server, isolation_level="AUTOCOMMIT")
        try:
            async with engine.connect() as connection:
                await connection.execute(text(statement))
        finally:
            await engine.dispose()
