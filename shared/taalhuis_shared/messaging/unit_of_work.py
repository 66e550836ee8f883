"""One database transaction for a handler: its writes, the inbox entry and the outbox rows."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Any, Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ..clock import Clock
from ..events.envelope import CloudEvent
from . import store

Repository = TypeVar("Repository")


class UnitOfWork(Generic[Repository]):
    """`async with uow:` opens a transaction; leaving the block commits it, an error rolls back.

    `uow.repository` is the service's own repository on the same connection. After a commit
    that added events, `on_events_committed` runs (it wakes the outbox relay). The inbox records
    when an event was handled by the service's `clock` (the inbox period counts from it).
    """

    repository: Repository

    def __init__(
        self,
        engine: AsyncEngine,
        make_repository: Callable[[AsyncConnection], Repository],
        on_events_committed: Callable[[], None] | None = None,
        *,
        clock: Clock | None = None,
    ) -> None:
        self._engine = engine
        self._clock = clock or Clock()
        self._make_repository = make_repository
        self._on_events_committed = on_events_committed
        self._connection: AsyncConnection | None = None
        self._added_events = False
        self._after_commit: list[Callable[[], None]] = []

    @property
    def connection(self) -> AsyncConnection:
        assert self._connection is not None, "use the unit of work inside `async with`"
        return self._connection

    async def __aenter__(self) -> UnitOfWork[Repository]:
        self._connection = await self._engine.connect()
        await self._connection.begin()
        self.repository = self._make_repository(self._connection)
        self._added_events = False
        self._after_commit = []
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if exc_type is None:
                await self.connection.commit()
            else:
                await self.connection.rollback()
        finally:
            await self.connection.close()
            self._connection = None
        if exc_type is None and self._added_events and self._on_events_committed:
            self._on_events_committed()
        if exc_type is None:
            for callback in self._after_commit:
                callback()

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Call `callback` once this transaction has committed (to wake a worker for its rows)."""
        self._after_commit.append(callback)

    async def first_time(self, event: CloudEvent) -> bool:
        """Record the event as handled; False when it was handled before."""
        return await store.first_time(self.connection, event, self._clock.now())

    async def publish(self, event: dict[str, Any]) -> None:
        """Add an event to the outbox; it is published after this transaction commits."""
        await store.add_to_outbox(self.connection, event)
        self._added_events = True
