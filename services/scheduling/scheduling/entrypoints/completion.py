"""The clock's edge: a background loop that completes courses whose last session has ended."""

from __future__ import annotations

from collections.abc import Callable
from zoneinfo import ZoneInfo

from taalhuis_shared.clock import Clock
from taalhuis_shared.messaging.polling import PollingWorker
from taalhuis_shared.messaging.unit_of_work import UnitOfWork

from ..adapters.repository import SchedulingRepository
from ..service_layer import handlers


class CourseCompletion(PollingWorker):
    """Every `interval` seconds, publishes `CourseCompleted` for each course that has ended.

    "Ended" by the service's clock: with `CLOCK_OFFSET` past a course's last session, the course
    completes now, which is how a test or a rehearsal sees `CourseCompleted` without waiting weeks.
    """

    name = "course-completion"

    def __init__(
        self,
        new_uow: Callable[[], UnitOfWork[SchedulingRepository]],
        zone: ZoneInfo,
        clock: Clock,
        *,
        interval: float,
        batch_size: int = 20,
    ) -> None:
        super().__init__(poll_interval=interval, batch_size=batch_size)
        self._new_uow = new_uow
        self._zone = zone
        self._clock = clock

    async def run_once(self) -> tuple[int, bool]:
        now = self._clock.now()
        done = await handlers.complete_courses(self._new_uow, now, self._zone, self._batch_size)
        return done, False
