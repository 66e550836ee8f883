"""One clock per service: CLOCK_OFFSET is refused unless allowed, and bootstrap hands the same
clock to everything in the service that decides by time."""

from __future__ import annotations

import importlib
from datetime import timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from taalhuis_shared.clock import Clock
from taalhuis_shared.messaging.settings import ServiceSettings

NOWHERE = "postgresql+asyncpg://nobody@127.0.0.1:1/none"


def test_a_moved_clock_is_refused_unless_allowed() -> None:
    with pytest.raises(ValidationError, match="ALLOW_CLOCK_OFFSET"):
        ServiceSettings(database_url=NOWHERE, clock_offset=86400.0)
    allowed = ServiceSettings(database_url=NOWHERE, clock_offset=86400.0, allow_clock_offset=True)
    assert Clock.of(allowed).offset == timedelta(days=1)
    assert Clock.of(ServiceSettings(database_url=NOWHERE)).offset == timedelta(0)


def test_the_settings_read_both_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLOCK_OFFSET", "3600")
    with pytest.raises(ValidationError, match="ALLOW_CLOCK_OFFSET"):
        ServiceSettings(database_url=NOWHERE)
    monkeypatch.setenv("ALLOW_CLOCK_OFFSET", "true")
    assert ServiceSettings(database_url=NOWHERE).clock_offset == 3600.0


def clocks_in(wiring: dict[str, Any]) -> dict[str, Clock]:
    """The clock of each worker, and of a unit of work the service would open."""
    found: dict[str, Clock] = {}
    for worker in wiring["workers"]:
        clock = getattr(worker, "clock", None) or getattr(worker, "_clock", None)
        assert isinstance(clock, Clock), f"{worker.name} has no clock"
        found[worker.name] = clock
    found["unit-of-work"] = wiring["unit_of_work"]()._clock
    return found


@pytest.mark.parametrize(
    ("package", "workers"),
    [
        ("enrolment", {"outbox-relay", "eraser", "retention"}),
        ("scheduling", {"outbox-relay", "eraser", "course-completion", "retention"}),
        ("notifications", {"mail-sender", "outbox-relay", "eraser", "retention"}),
    ],
)
def test_every_part_of_a_service_that_decides_by_time_follows_its_clock(
    package: str, workers: set[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    bootstrap = importlib.import_module(f"{package}.bootstrap")
    settings = importlib.import_module(f"{package}.settings").Settings(
        database_url=NOWHERE, clock_offset=90 * 86400.0, allow_clock_offset=True
    )
    seen: dict[str, Any] = {}
    monkeypatch.setattr(bootstrap, "consuming_service", lambda **wiring: seen.update(wiring))

    bootstrap.build_app(settings)  # builds only; nothing connects

    clocks = clocks_in(seen)
    assert set(clocks) == {*workers, "unit-of-work"}
    assert {name: clock.offset for name, clock in clocks.items()} == dict.fromkeys(
        clocks, timedelta(days=90)
    )
    # One clock, not several that happen to agree.
    assert len({id(clock) for clock in clocks.values()}) == 1
