"""The shared handling step with fakes: inbox, retries through an outage, parking of what keeps failing.

Also batches: several events of one key in one unit of work, a duplicate within it, one bad
message among good ones, and an outage during a batch.
"""

from __future__ import annotations

import asyncio
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
    commits: list[list[str]] = field(default_factory=list)  # the events of each committed unit


class FakeUnitOfWork:
    def __init__(self, inbox: Inbox) -> None:
        self._inbox = inbox
        self._claimed: list[str] = []

    async def __aenter__(self) -> FakeUnitOfWork:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        if kind is None and self._claimed:
            self._inbox.handled.update(self._claimed)
            self._inbox.commits.append(self._claimed)

    async def claim(self, events: Any) -> None:
        """The real one records the batch at once; `first_time` below answers as it then does."""

    async def first_time(self, event: Any) -> bool:
        if event.id in self._inbox.handled or event.id in self._claimed:
            return False
        self._claimed.append(event.id)
        return True


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
    def __init__(self, event: Any = EVENT) -> None:
        self.raw_message = Raw(message_id=event.id)
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


def consumer_in(
    world: World, inbox: Inbox, broker: FakeBroker, patience: float = 60.0, **batching: Any
) -> Consumer:
    return Consumer(
        broker,  # type: ignore[arg-type]
        Topology("taalhuis.events", "", "enrolment"),
        handlers={ReferralSubmittedV1: world.handler},
        unit_of_work=lambda: FakeUnitOfWork(inbox),  # type: ignore[arg-type,return-value]
        publishers=Publishers.of({}, ["promen"]),
        healthy=world.healthy,
        outage_patience=patience,
        **batching,
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


def referrals(count: int) -> list[ReferralSubmittedV1]:
    return [ReferralSubmittedV1.model_validate(referral_event(n)) for n in range(count)]


def by_course_type(event: Any) -> str | None:
    return str(event.data.course.type)


async def deliver_together(consumer: Consumer, events: list[Any]) -> list[FakeMessage | BaseException]:
    """Deliver concurrently, as FastStream does with the deliveries in hand; the outcome of each."""
    messages = [FakeMessage(event) for event in events]
    outcomes = await asyncio.gather(
        *(consumer.deliver(event, message) for event, message in zip(events, messages, strict=True)),  # type: ignore[arg-type]
        return_exceptions=True,
    )
    return [o if isinstance(o, BaseException) else m for o, m in zip(outcomes, messages, strict=True)]


async def test_deliveries_of_one_key_in_hand_together_are_handled_in_one_unit_of_work() -> None:
    world, inbox, broker = World(database_up=[True], failures=0), Inbox(), FakeBroker()
    prepared: list[list[str]] = []

    async def prepare(batch: Any, uow: Any) -> None:
        prepared.append([event.id for event, _ in batch])

    events = referrals(5)
    consumer = consumer_in(world, inbox, broker, batch_key=by_course_type, prepare=prepare)
    await deliver_together(consumer, events)
    assert inbox.commits == [[e.id for e in events]]
    assert prepared == [[e.id for e in events]]
    assert world.calls == 5


async def test_a_batch_holds_at_most_batch_size_events_in_arrival_order() -> None:
    world, inbox = World(database_up=[True], failures=0), Inbox()
    events = referrals(7)
    consumer = consumer_in(world, inbox, FakeBroker(), batch_key=by_course_type, batch_size=3)
    await deliver_together(consumer, events)
    assert inbox.commits == [[e.id for e in events[i : i + 3]] for i in range(0, 7, 3)]


async def test_a_duplicate_within_one_batch_is_handled_once() -> None:
    world, inbox = World(database_up=[True], failures=0), Inbox()
    [event] = referrals(1)
    consumer = consumer_in(world, inbox, FakeBroker(), batch_key=by_course_type)
    await deliver_together(consumer, [event, event])
    assert inbox.commits == [[event.id]]
    assert world.calls == 1


async def test_one_bad_message_in_a_batch_is_parked_alone_and_the_others_commit() -> None:
    events = referrals(4)
    bad = events[2]
    handled: list[str] = []

    async def handler(event: Any, publisher: str, uow: Any) -> None:
        if event.id == bad.id:
            raise ValueError("this one cannot be handled")
        handled.append(event.id)

    inbox, broker = Inbox(), FakeBroker()
    consumer = consumer_in(World(database_up=[True], failures=0), inbox, broker, batch_key=by_course_type)
    consumer.handlers = {ReferralSubmittedV1: handler}
    outcomes = await deliver_together(consumer, events)
    assert inbox.handled == {e.id for e in events if e is not bad}
    [parked] = broker.published
    assert parked["message_id"] == bad.id
    assert parked["headers"]["x-parked-error"] == "ValueError"
    assert [o.acked for o in outcomes if isinstance(o, FakeMessage)] == [False, False, True, False]


async def test_a_batch_that_fails_while_the_database_is_away_is_tried_again_whole_without_counting() -> None:
    # The first two attempts fail with the database away; the batch then commits as one.
    world = World(database_up=[False, True, False, True, True], failures=2)
    inbox, broker = Inbox(), FakeBroker()
    events = referrals(3)
    consumer = consumer_in(world, inbox, broker, batch_key=by_course_type)
    await deliver_together(consumer, events)
    assert inbox.commits == [[e.id for e in events]]
    assert broker.published == []


async def test_an_outage_longer_than_the_patience_returns_every_message_of_the_batch() -> None:
    world = World(database_up=[False], failures=1)
    inbox = Inbox()
    consumer = consumer_in(world, inbox, FakeBroker(), patience=0.0, batch_key=by_course_type)
    outcomes = await deliver_together(consumer, referrals(3))
    assert all(isinstance(o, DatabaseAwayTooLongError) for o in outcomes)
    assert inbox.handled == set()


async def test_events_without_a_key_are_handled_alone() -> None:
    world, inbox = World(database_up=[True], failures=0), Inbox()
    events = referrals(3)
    consumer = consumer_in(world, inbox, FakeBroker(), batch_key=lambda event: None)
    await deliver_together(consumer, events)
    assert sorted(inbox.commits) == sorted([e.id] for e in events)
