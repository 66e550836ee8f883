"""The polling worker: a wake-up during a round is not lost, and stopping runs a last round."""

from __future__ import annotations

from taalhuis_shared.messaging.polling import PollingWorker
from tests.support.waiting import eventually


class Recorder(PollingWorker):
    """Counts its rounds; during the first one a commit wakes it, as a handler would."""

    def __init__(self) -> None:
        super().__init__(poll_interval=60.0, batch_size=10)
        self.rounds = 0

    async def run_once(self) -> tuple[int, bool]:
        self.rounds += 1
        if self.rounds == 1:
            self.wake()
        return 0, False


async def test_a_wake_up_during_a_round_starts_the_next_round_at_once() -> None:
    worker = Recorder()
    worker.start()
    try:
        # Without the wake-up the next round would come only after the 60 s poll interval.
        await eventually(lambda: worker.rounds >= 2, timeout=5, what="a second round")
    finally:
        await worker.stop()


async def test_stopping_runs_one_last_round() -> None:
    worker = Recorder()
    worker.start()
    await eventually(lambda: worker.rounds >= 2, timeout=5, what="the first rounds")
    rounds = worker.rounds
    await worker.stop()
    assert worker.rounds == rounds + 1
    assert not worker.alive
