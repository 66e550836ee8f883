"""The shared handling step with fakes: inbox, retries through an outage, parking of what keeps failing."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import pytest

from taalhuis_shared.events import ReferralSubmittedV1
from taalhuis_shared.messaging import consumer as consumer_module
from taalhuis_shared.messaging.consumer import Consumer, DatabaseAwayTooLongError
from taalhuis_shared.messaging.topology import Topology
from taalhuis_shared.messaging.trust import Publishers
from tests.support.referrals import referral_event

EVENT = ReferralSubmittedV1.model_validate(referral_event(1))


@dataclass
class Inbox:
    """Event ids recorded by committed units of work (a failed one records nothing)."""

    handled: set[str] = field(default_factory=set)


class FakeUnitOfWork:
    def __init__(self, inbox: Inbox) -> None:
        self._inbox = inbox
        self._claimed: str | None = None

    async def __aenter__(self) -> FakeUnitOfWork:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        if kind is None and self._claimed is not None:
            self._inbox.handled.add(self._claimed)

    async def first_time(self, event: Any) -> bool:
        self._claimed = None if event.id in self._inbox.handled else event.id
        return self._claimed is not None


@dataclass
class FakeBroker:
    published: list[dict[str, Any]] = field(default_factory=list)

    async def publish(self, body: bytes, **options: Any) -> None:
        self.published.append({"body": body, **options})


@dataclass
class Raw:
    body: bytes = b"{}"
    message_id: str = EVENT.id
    routing_key: str = "ReferralSubmitted"
    user_id: str = "promen"
    headers: dict[str, Any] = field(default_factory=dict)
    content_type: str = "application/cloudevents+json"
    exchange: str = "taalhuis.events"


class FakeMessage:
    def __init__(self) -> None:
        self.raw_message = Raw()
        self.message_id = self.raw_message.message_id
        self.acked = False

    async def ack(self) -> None:
        self.acked = True


@dataclass
class World:
    """A database that answers or not, and a handler that fails a given number of times."""

    database_up: list[bool]  # answers of the health check, in turn; the last one repeats
    failures: int
    calls: int = 0
    health_checks: int = 0

    async def healthy(self) -> bool:
        self.health_checks += 1
        return self.database_up.pop(0) if len(self.database_up) > 1 else self.database_up[0]

    async def handler(self, event: Any, publisher: str, uow: Any) -> None:
        self.calls += 1
        if self.calls <= self.failures:
            raise ConnectionRefusedError("the database is not there")


@pytest.fixture(autouse=True)
def no_pauses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(consumer_module, "FIRST_PAUSE", 0.0)
    monkeypatch.setattr(consumer_module, "LONGEST_PAUSE", 0.0)


def consumer_in(world: World, inbox: Inbox, broker: FakeBroker, patience: float = 60.0) -> Consumer:
    return Consumer(
        broker,  # type: ignore[arg-type]
        Topology("taalhuis.events", "", "enrolment"),
        handlers={ReferralSubmittedV1: world.handler},
        unit_of_work=lambda: FakeUnitOfWork(inbox),  # type: ignore[arg-type,return-value]
        publishers=Publishers.of({}, ["promen"]),
        healthy=world.healthy,
        outage_patience=patience,
    )


async def test_failures_while_the_database_is_away_do_not_count_and_the_event_is_handled_once_back() -> None:
    # Five failures, each with the database away at first: far more than would park a message.
    world = World(database_up=[False, False, True] * 5 + [True], failures=5)
    inbox, broker, message = Inbox(), FakeBroker(), FakeMessage()
    await consumer_in(world, inbox, broker).deliver(EVENT, message)  # type: ignore[arg-type]
    assert world.calls == 6
    assert inbox.handled == {EVENT.id}
    assert broker.published == []  # nothing parked
    assert not message.acked  # acked by FastStream after the handler returns, not here


async def test_a_handler_that_keeps_failing_while_the_database_answers_is_parked_with_its_error() -> None:
    world = World(database_up=[True], failures=100)
    inbox, broker, message = Inbox(), FakeBroker(), FakeMessage()
    await consumer_in(world, inbox, broker).deliver(EVENT, message)  # type: ignore[arg-type]
    assert world.calls == consumer_module.FAILURES_BEFORE_PARKING
    [parked] = broker.published
    assert parked["routing_key"] == "enrolment"
    assert parked["headers"]["x-parked-reason"] == "handling-failed"
    assert parked["headers"]["x-parked-error"] == "ConnectionRefusedError"
    assert parked["headers"]["x-original-user-id"] == "promen"
    assert message.acked
    assert inbox.handled == set()


async def test_an_event_handled_before_changes_nothing() -> None:
    world = World(database_up=[True], failures=0)
    inbox, broker = Inbox({EVENT.id}), FakeBroker()
    await consumer_in(world, inbox, broker).deliver(EVENT, FakeMessage())  # type: ignore[arg-type]
    assert world.calls == 0


async def test_an_outage_longer_than_the_patience_returns_the_message_to_the_queue() -> None:
    world = World(database_up=[False], failures=1)
    with pytest.raises(DatabaseAwayTooLongError):
        await consumer_in(world, Inbox(), FakeBroker(), patience=0.0).deliver(EVENT, FakeMessage())  # type: ignore[arg-type]
    assert world.calls == 1
