"""The clock's edge: a background loop that completes courses whose last session has ended."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from taalhuis_shared.messaging.polling import PollingWorker
from taalhuis_shared.messaging.unit_of_work import UnitOfWork

from ..adapters.repository import SchedulingRepository
from ..service_layer import handlers


def _now() -> datetime:
    return datetime.now(UTC)


class CourseCompletion(PollingWorker):
    """Every `interval` seconds, publishes `CourseCompleted` for each course that has ended."""

    name = "course-completion"

    def __init__(
        self,
        new_uow: Callable[[], UnitOfWork[SchedulingRepository]],
        zone: ZoneInfo,
        *,
        interval: float,
        batch_size: int = 20,
        clock: Callable[[], datetime] = _now,
    ) -> None:
        super().__init__(poll_interval=interval, batch_size=batch_size)
        self._new_uow = new_uow
        self._zone = zone
        self._clock = clock

    async def run_once(self) -> tuple[int, bool]:
        done = await handlers.complete_courses(self._new_uow, self._clock(), self._zone, self._batch_size)
        return done, False
