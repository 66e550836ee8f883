"""Batching of deliveries per key: one batch at a time per key, in arrival order, keys side by side.

Each delivery is submitted with its key (for enrolment, a referral's course type: the lock
boundary of its handlers) and waits until the batch it ends up in has been handled. While a
batch for a key is being handled, newcomers for that key wait; when it ends, up to `batch_size`
of them form the next batch. There is no timer: at low load a batch is the one message that
came, so batching adds no latency; under load the batches grow by themselves. Different keys are
handled concurrently. How many deliveries are in hand at once is bounded by the broker's
prefetch, and so is a batch.

An item without a key is handled `alone`, after every item submitted before it. So a withdrawal
or an erasure never overtakes the referral it is about while that referral waits in a batch,
and an event that closes a stream (a measure's summary) is handled after the stream. Items
submitted after it do not wait for it: blocking them too made every unkeyed event (enrolment
hears ten `CourseScheduled` a second under load) a point where all batching stopped, and
enrolment fell behind at 50 referrals a second.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

Item = TypeVar("Item")


@dataclass
class _Waiting(Generic[Item]):
    item: Item
    done: asyncio.Future[None]


@dataclass
class Batches(Generic[Item]):
    """`await batches.submit(key, item)` returns once `handle` has handled the item's batch.

    When `handle` raises, every item of that batch gets the error (for a consumer: each of its
    messages goes back to the queue). A submitter cancelled while it still waits (a graceful
    stop that timed out) leaves its item out of later batches; one cancelled while its batch is
    being handled does not stop the batch.
    """

    handle: Callable[[list[Item]], Awaitable[None]]
    batch_size: int
    _waiting: dict[str, deque[_Waiting[Item]]] = field(default_factory=dict, init=False)
    _runners: set[asyncio.Task[None]] = field(default_factory=set, init=False)
    # Every item submitted and not yet done (handled, failed or cancelled): what an item alone waits for.
    _open: set[asyncio.Future[None]] = field(default_factory=set, init=False)

    def __post_init__(self) -> None:
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, not {self.batch_size}")

    def _track(self) -> asyncio.Future[None]:
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._open.add(done)
        done.add_done_callback(self._open.discard)
        return done

    async def alone(self, handle: Callable[[], Awaitable[None]]) -> None:
        """Run `handle` after every item submitted before (items alone among them)."""
        earlier = list(self._open)
        done = self._track()
        try:
            if earlier:
                await asyncio.wait(earlier)
            await handle()
        finally:
            if not done.done():
                done.set_result(None)

    async def submit(self, key: str, item: Item) -> None:
        waiting = _Waiting(item, self._track())
        queue = self._waiting.get(key)
        if queue is None:
            # Nobody handles this key now: start its runner, which ends when the key runs dry.
            queue = self._waiting[key] = deque()
            runner = asyncio.create_task(self._run(key, queue))
            self._runners.add(runner)
            runner.add_done_callback(self._runners.discard)
        queue.append(waiting)
        await waiting.done

    async def _run(self, key: str, queue: deque[_Waiting[Item]]) -> None:
        try:
            while queue:
                batch: list[_Waiting[Item]] = []
                while queue and len(batch) < self.batch_size:
                    waiting = queue.popleft()
                    if not waiting.done.done():  # else its submitter was cancelled meanwhile
                        batch.append(waiting)
                if batch:
                    await self._handle(batch)
        finally:
            del self._waiting[key]
            for waiting in queue:  # only when the runner itself is cancelled (the loop ends)
                waiting.done.cancel()

    async def _handle(self, batch: list[_Waiting[Item]]) -> None:
        try:
            await self.handle([waiting.item for waiting in batch])
        except Exception as error:
            for waiting in batch:
                if not waiting.done.done():
                    waiting.done.set_exception(error)
        except BaseException:
            for waiting in batch:
                waiting.done.cancel()
            raise
        else:
            for waiting in batch:
                if not waiting.done.done():
                    waiting.done.set_result(None)
