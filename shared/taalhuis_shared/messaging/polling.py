"""A background loop that works off a table of pending rows: the outbox relay, the mail sender.

It runs a round at once when woken (after a commit that added rows), otherwise every poll
interval; after failures it pauses longer and longer, up to half a minute, and keeps trying.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from abc import ABC, abstractmethod

log = logging.getLogger(__name__)

MAX_PAUSE = 30.0
STOP_WAIT = 20.0  # longer than a round can take (the mail sender's SMTP timeout is 15 s)


class PollingWorker(ABC):
    name = "polling-worker"

    def __init__(self, *, poll_interval: float, batch_size: int) -> None:
        self._poll_interval = poll_interval
        self._batch_size = batch_size
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self.failures_in_a_row = 0

    @abstractmethod
    async def run_once(self) -> tuple[int, bool]:
        """Work off up to a batch; return how many rows were done and whether one failed."""

    def wake(self) -> None:
        """Call after a commit that added rows: work now rather than at the next poll."""
        self._wakeup.set()

    @property
    def alive(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        """Finish the round in hand, do one more (for what the last handlers committed), stop.

        Cancelling in the middle of a round would interrupt a database transaction mid-way (the
        driver then has to cancel the statement on the server, which can hang); a round is short,
        so it is let finish. Only a round that takes longer than STOP_WAIT is cancelled.
        """
        if self._task is None:
            return
        self._stopping = True
        self._wakeup.set()
        try:
            await asyncio.wait_for(asyncio.shield(self._task), timeout=STOP_WAIT)
        except TimeoutError:
            log.warning("%s did not finish its round in %s s; cancelling it", self.name, STOP_WAIT)
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            # Cleared before the round: a wake-up during the round then starts the next at once.
            self._wakeup.clear()
            stopping = self._stopping
            try:
                done, failed = await self.run_once()
            except Exception:  # database unreachable: keep trying, the rows are safe
                log.exception("%s could not read its table", self.name)
                done, failed = 0, True
            if stopping:
                return  # that was the last round, after consuming had stopped
            self.failures_in_a_row = self.failures_in_a_row + 1 if failed else 0
            if done == self._batch_size and not failed:
                continue  # more may be waiting, unless stopping
            pause = self._poll_interval * 2 ** min(self.failures_in_a_row, 5)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), timeout=min(pause, MAX_PAUSE))
