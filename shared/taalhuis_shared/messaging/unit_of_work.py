"""One database transaction for handlers: their writes, the inbox entries and the outbox rows."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ..clock import Clock
from ..events.envelope import CloudEvent
from . import store

Repository = TypeVar("Repository")


@dataclass
class Handled:
    """An event handled in this unit of work for the first time, and the events its handler published."""

    event: CloudEvent
    published: list[dict[str, Any]] = field(default_factory=list)


class UnitOfWork(Generic[Repository]):
    """`async with uow:` opens a transaction; leaving the block commits it, an error rolls back.

    `uow.repository` is the service's own repository on the same connection. One unit of work
    may handle several events (a batch): each starts with `first_time`, and `handled` keeps, per
    new event, what its handler published. Writes a repository keeps back (to send many rows in
    one statement) are written by the steps it registers with `before_commit`; the outbox rows
    are written last, in one statement, just before the commit. After a commit that added events,
    `on_events_committed` runs (it wakes the outbox relay). The inbox records when an event was
    handled by the service's `clock` (the inbox period counts from it).
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
        self._before_commit: list[Callable[[], Awaitable[None]]] = []
        self._outbox: list[dict[str, Any]] = []
        self.handled: list[Handled] = []
        self._claimed: set[tuple[str, str]] = set()  # by `claim`: (source, id)
        self._new: set[tuple[str, str]] = set()  # of those, the ones not handled before

    @property
    def connection(self) -> AsyncConnection:
        assert self._connection is not None, "use the unit of work inside `async with`"
        return self._connection

    async def __aenter__(self) -> UnitOfWork[Repository]:
        self._connection = await self._engine.connect()
        await self._connection.begin()
        self.repository = self._make_repository(self._connection)
        self._added_events = False
        self._after_commit, self._before_commit, self._outbox, self.handled = [], [], [], []
        self._claimed, self._new = set(), set()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if exc_type is None:
                await self.flush()
                await self.connection.commit()
                # Right after the commit, before giving the connection back (a round trip): a
                # callback that updates what the process knows (scheduling's booking index) runs
                # before another unit of work of the process, let in by the commit, reads it.
                if self._added_events and self._on_events_committed:
                    self._on_events_committed()
                for callback in self._after_commit:
                    callback()
            else:
                await self.connection.rollback()
        finally:
            await self.connection.close()
            self._connection = None

    async def flush(self) -> None:
        """Write what was kept back: the repository's changes (in the order registered), then the outbox."""
        while self._before_commit:
            await self._before_commit.pop(0)()
        if self._outbox:
            await store.add_many_to_outbox(self.connection, self._outbox)
            self._outbox = []

    async def write_out(self) -> None:
        """Write what was kept back and the events published so far now, and let go of those events.

        For a handler that publishes thousands of events in one transaction (a measure), so that
        memory follows a part of its work, not all of it. The rows stay in the transaction: they
        commit or roll back with it. The events are also dropped from `handled` (`Handled.published`),
        so use it only where nothing reads them there (enrolment's counting does).
        """
        await self.flush()
        for handled in self.handled:
            handled.published.clear()

    def before_commit(self, step: Callable[[], Awaitable[None]]) -> None:
        """Run `step` (which writes kept-back changes) before the outbox rows and the commit."""
        self._before_commit.append(step)

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Call `callback` once this transaction has committed (to wake a worker for its rows)."""
        self._after_commit.append(callback)

    async def claim(self, events: Sequence[CloudEvent]) -> None:
        """Record a batch's events in the inbox in one statement; `first_time` then answers from it."""
        self._claimed.update((event.source, event.id) for event in events)
        self._new |= await store.claim(self.connection, events, self._clock.now())

    async def first_time(self, event: CloudEvent) -> bool:
        """Record the event as handled; False when it was handled before (in this unit of work too)."""
        key = (event.source, event.id)
        if key in self._claimed:
            first = key in self._new
            self._new.discard(key)  # the same event again in this batch is a repeat
        else:
            first = await store.first_time(self.connection, event, self._clock.now())
        if first:
            self.handled.append(Handled(event))
        return first

    async def publish(self, event: dict[str, Any]) -> None:
        """Keep an event for the outbox; it is published after this transaction commits."""
        self._outbox.append(event)
        if self.handled:
            self.handled[-1].published.append(event)
        self._added_events = True
