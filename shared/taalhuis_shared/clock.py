"""The time a service works with: the machine's clock, moved by `CLOCK_OFFSET` seconds.

One setting for every service, so that a test (or a rehearsal) can move time forward in all of
them at once, for example past a retention period, without waiting for it. Production leaves the
offset at 0. Only code that takes a `Clock` follows the setting (so far the retention job).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo


@dataclass
class Clock:
    offset: timedelta = timedelta(0)

    @classmethod
    def moved_by(cls, seconds: float) -> Clock:
        return cls(timedelta(seconds=seconds))

    def now(self) -> datetime:
        """The current moment, timezone-aware in UTC."""
        return datetime.now(UTC) + self.offset

    def today(self, zone: tzinfo) -> date:
        """The date it is now in `zone` (the library's day, not UTC's)."""
        return self.now().astimezone(zone).date()
