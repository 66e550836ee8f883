"""The time a service works with: the machine's clock, moved by `CLOCK_OFFSET` seconds.

One setting for every service, so that a test (or an operator's rehearsal) can move time forward
in all of them at once, for example past a course's last session or a retention period, without
waiting for it. Each service's bootstrap builds one `Clock` from its settings and hands it to
everything that decides by time: handlers ("today" for the retake rule, "now" for planning),
the course-completion loop, the mail sender, the retention job, and the times they store that a
period counts from. A non-zero offset is refused unless `ALLOW_CLOCK_OFFSET` is set
(`ServiceSettings`), so production cannot run on a moved clock by a stray variable.

What the database stamps itself (`now()` as a column default, the mail sender's retry pauses and
leases) stays the machine's time: those are waits measured against each other, not dates a
person or a period depends on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .messaging.settings import ServiceSettings


@dataclass
class Clock:
    offset: timedelta = timedelta(0)

    @classmethod
    def moved_by(cls, seconds: float) -> Clock:
        return cls(timedelta(seconds=seconds))

    @classmethod
    def of(cls, settings: ServiceSettings) -> Clock:
        """A service's clock: the machine's, moved by its `CLOCK_OFFSET` (checked by the settings)."""
        return cls.moved_by(settings.clock_offset)

    def now(self) -> datetime:
        """The current moment, timezone-aware in UTC."""
        return datetime.now(UTC) + self.offset

    def today(self, zone: tzinfo) -> date:
        """The date it is now in `zone` (the library's day, not UTC's)."""
        return self.now().astimezone(zone).date()
