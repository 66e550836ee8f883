"""The one handling step of every service: gate, inbox, handler in a unit of work, parking.

For each delivered message: the gate (`gate.admit`) decides whether it may be acted on. A refused
message is answered where the service can answer its sender (enrolment tells a partner why a
referral was refused) and otherwise parked with its reason; either way it is acked. An admitted
message goes to the service's handler for its type, in a unit of work that first records the
event in the inbox: an event handled before changes nothing.

Batches: a service may give each event a key (`batch_key`; enrolment: a referral's course type,
the lock boundary of its handlers). Events with a key are handled in batches (`batches.Batches`):
one batch at a time per key, in arrival order, up to `batch_size` of the deliveries in hand, and
different keys side by side. A batch is one unit of work: the service's `prepare` loads what the
batch needs in one go, then each event is recorded in the inbox (a duplicate within the batch
too) and handled; after the commit every message of the batch is acked. Events without a key are
handled alone, each in its own unit of work, after every event delivered before them
(`Batches.alone`). At most
`UNITS_OF_WORK_AT_ONCE` units of work are open at once, fewer than the engine's pool holds.

A failing handler is not the message's fault while the database does not answer: the step then
waits, with growing pauses, until it answers again and tries once more (a batch as a whole),
without counting (the messages stay in hand, and with them their prefetch slots, so a service in
an outage stops taking work). A batch that fails while the database answers is handled again
message by message, so that only the message at fault is counted: after a few such failures it
is parked with the exception's class and message, and the others commit. An outage longer than
`outage_patience` returns the message, or every message of the batch, to the queue (RabbitMQ
counts that delivery; one of them already committed is recognised by the inbox when it comes back).
"""
# No `from __future__ import annotations` here: the subscriber's event annotation is built at
# run time from the service's handler table, and FastStream reads it from the signature.

import asyncio
import contextvars
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, Union

from faststream import AckPolicy
from faststream.middlewares import BaseMiddleware
from faststream.rabbit import RabbitBroker, RabbitMessage, RabbitRouter
from pydantic import Field, ValidationError

from ..events.catalogue import type_of
from ..events.envelope import CloudEvent
from ..logs import summary
from . import gate, parking
from .batches import Batches
from .broker import declare_publishers, decode_json
from .topology import Topology
from .trust import Publishers, described_publishers
from .unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

# A handler gets the typed event, the RabbitMQ user that published it, and the open unit of work.
Handler = Callable[[Any, str, Any], Awaitable[None]]
# For a refused message: the handler that answers its sender (run like any other), or None.
Answer = Callable[[gate.Refused], Handler | None]
HealthCheck = Callable[[], Awaitable[bool]]
# The key a service batches an event by (events of one key are handled one batch at a time), or
# None to handle it alone.
BatchKey = Callable[[Any], str | None]
# Loads what a batch needs in one go, before its events are handled: the (event, publisher) pairs
# of the batch and the open unit of work. Only a speed-up: handlers load whatever it did not.
Prepare = Callable[[Sequence[tuple[Any, str]], Any], Awaitable[None]]

FAILURES_BEFORE_PARKING = 3
FIRST_PAUSE = 0.2
LONGEST_PAUSE = 5.0
# `db.make_engine`'s pool holds 10 connections: leave some for the relay and the health check,
# which would otherwise report an outage while every connection waits for a handler's lock.
UNITS_OF_WORK_AT_ONCE = 8
DEFAULT_BATCH_SIZE = 50


class DatabaseAwayTooLongError(Exception):
    """The database did not come back within the patience: the message goes back to the queue."""


@dataclass(frozen=True)
class Delivery:
    """An admitted message on its way through the handling step."""

    handler: Handler
    event: CloudEvent
    publisher: str  # the validated AMQP user_id
    msg: RabbitMessage


@dataclass
class Consumer:
    """What a service consumes, from whom, and how it handles, answers and parks."""

    broker: RabbitBroker
    topology: Topology
    handlers: Mapping[type[CloudEvent], Handler]
    unit_of_work: Callable[[], UnitOfWork[Any]]
    publishers: Publishers
    healthy: HealthCheck
    answer: Answer | None = None
    outage_patience: float = 20 * 60.0  # below RabbitMQ's 30-minute delivery acknowledgement timeout
    batch_key: BatchKey | None = None
    prepare: Prepare | None = None
    batch_size: int = DEFAULT_BATCH_SIZE
    _batches: Batches[Delivery] = field(init=False)
    _units_of_work: asyncio.Semaphore = field(init=False)

    def __post_init__(self) -> None:
        self._batches = Batches(self._handle_batch, self.batch_size)
        self._units_of_work = asyncio.Semaphore(UNITS_OF_WORK_AT_ONCE)

    @property
    def accepted(self) -> dict[str, type[CloudEvent]]:
        return parking.accepted_by(*self.handlers)

    @property
    def routing_keys(self) -> list[str]:
        return [type_of(envelope) for envelope in self.handlers]

    async def on_refused(self, refused: gate.Refused, msg: RabbitMessage) -> None:
        answer = self.answer(refused) if self.answer is not None else None
        if answer is not None and refused.envelope is not None and refused.publisher is not None:
            delivery = Delivery(answer, refused.envelope, refused.publisher, msg)
            await self._persist(self._handle([delivery], prepared=False), msg)
            log.info("message %s refused (%s); its sender is answered", msg.message_id, refused.reason)
            return
        await parking.park(
            self.broker, self.topology, msg, parking.Unreadable(refused.reason, refused.detail)
        )
        await msg.ack()

    async def deliver(self, event: CloudEvent, msg: RabbitMessage) -> None:
        """Handle an admitted event; returns once it is committed (FastStream then acks it)."""
        delivery = Delivery(self.handlers[type(event)], event, msg.raw_message.user_id or "", msg)
        if self.batch_key is None:
            await self._persist(self._handle([delivery], prepared=False), msg)
            return
        key = self.batch_key(event)
        if key is None:
            # After what came before it (a withdrawal after its referral's batch).
            await self._batches.alone(lambda: self._persist(self._handle([delivery], prepared=False), msg))
        else:
            await self._batches.submit(key, delivery)

    async def _handle_batch(self, batch: list[Delivery]) -> None:
        """One unit of work for the batch; message by message when it fails with a healthy database."""
        if len(batch) == 1:
            await self._persist(self._handle(batch, prepared=True), batch[0].msg)
            return
        attempt = self._handle(batch, prepared=True)
        while True:
            try:
                await attempt()
                log.info("handled a batch of %d events in one transaction", len(batch))
                return
            except Exception as error:
                if await self._waited_for_database():
                    continue
                log.warning(
                    "a batch of %d events failed (%s); handling them one by one",
                    len(batch),
                    type(error).__name__,
                )
                break
        for delivery in batch:
            await self._persist(self._handle([delivery], prepared=True), delivery.msg)

    def _handle(self, deliveries: list[Delivery], *, prepared: bool) -> Callable[[], Awaitable[None]]:
        """One attempt: inbox and handler of each event in one unit of work; a repeat changes nothing."""

        async def attempt() -> None:
            async with self._units_of_work, self.unit_of_work() as uow:
                if prepared and self.prepare is not None:
                    await self.prepare([(d.event, d.publisher) for d in deliveries], uow)
                if len(deliveries) > 1:
                    await uow.claim([d.event for d in deliveries])  # the inbox in one statement
                for delivery in deliveries:
                    event = delivery.event
                    if not await uow.first_time(event):
                        log.info("event %s (%s) was handled before; nothing to do", event.id, event.type)
                        continue
                    await delivery.handler(event, delivery.publisher, uow)

        return attempt

    async def _persist(self, attempt: Callable[[], Awaitable[None]], msg: RabbitMessage) -> None:
        """Run `attempt` until it succeeds; park the message when it fails with a healthy database."""
        failures = 0
        while True:
            try:
                await attempt()
                return
            except Exception as error:
                if await self._waited_for_database():
                    continue
                failures += 1
                if failures >= FAILURES_BEFORE_PARKING:
                    await self._park_failed(msg, error)
                    return
                log.warning(
                    "handling %s failed (%s), attempt %d; trying again",
                    msg.message_id,
                    type(error).__name__,
                    failures,
                )
                await asyncio.sleep(FIRST_PAUSE * failures)

    async def _waited_for_database(self) -> bool:
        """False when the database answers now; else wait until it does and return True."""
        if await self.healthy():
            return False
        log.warning("the database does not answer; holding messages until it does")
        pause, waited = FIRST_PAUSE, 0.0
        while not await self.healthy():
            if waited >= self.outage_patience:
                raise DatabaseAwayTooLongError(f"database away for more than {self.outage_patience:.0f} s")
            await asyncio.sleep(pause)
            waited += pause
            pause = min(pause * 2, LONGEST_PAUSE)
        log.info("the database answers again")
        return True

    async def _park_failed(self, msg: RabbitMessage, error: Exception) -> None:
        error_class, detail = describe_failure(error)
        log.error("parking %s: handling failed with %s", msg.message_id, error_class)
        await parking.park(
            self.broker,
            self.topology,
            msg,
            parking.Unreadable(parking.HANDLING_FAILED, f"{error_class}: {detail}"),
            extra_headers={"x-parked-error": error_class},
        )
        await msg.ack()


def describe_failure(error: BaseException) -> tuple[str, str]:
    """The class and what may be told of the innermost cause; field names for validation errors.

    The innermost cause is the driver's own error (asyncpg's, not SQLAlchemy's wrapper, whose
    text would carry the statement). It is told as the logs tell it (`logs.summary`): PostgreSQL's
    message without its detail (the values of a violated constraint), and no text at all of an
    exception that might quote a value.
    """
    root = error
    while root.__cause__ is not None:
        root = root.__cause__
    if isinstance(root, ValidationError):
        return type(root).__name__, parking.field_errors(root)
    return type(root).__name__, summary(root)


# The message being handled, set by the gate. Asking FastStream for it as a handler parameter
# (`message: RabbitMessage`) made fast_depends solve it in a worker thread for every message.
in_hand: contextvars.ContextVar[RabbitMessage] = contextvars.ContextVar("in_hand")


def consumer_router(
    consumer: Consumer,
    *,
    consumes: Sequence[type[CloudEvent]],
    publishes: Sequence[type[CloudEvent]],
    title: str,
    description: str,
) -> RabbitRouter:
    """The service's one subscriber, the gate in front of it, and what it publishes (AsyncAPI)."""
    if set(consumer.handlers) != set(consumes):
        raise ValueError(
            f"{title}: handlers for {sorted(map(type_of, consumer.handlers))}, "
            f"but it consumes {sorted(map(type_of, consumes))}"
        )
    topology = consumer.topology
    event_union: Any = Annotated[Union[tuple(consumer.handlers)], Field(discriminator="type")]  # noqa: UP007

    class Gate(BaseMiddleware):
        async def consume_scope(self, call_next: Any, msg: Any) -> Any:
            raw = msg.raw_message
            verdict = gate.admit(
                msg.body, raw.routing_key, raw.user_id, consumer.accepted, consumer.publishers
            )
            if isinstance(verdict, gate.Refused):
                await consumer.on_refused(verdict, msg)
                return None
            in_hand.set(msg)
            return await call_next(msg)

    router = RabbitRouter(middlewares=[Gate])

    async def on_event(event: event_union) -> None:
        await consumer.deliver(event, in_hand.get())

    router.subscriber(
        topology.queue(consumer.routing_keys[0]),
        topology.exchange(),
        title=title,
        description=f"{description} Acted on only from the RabbitMQ users (AMQP `user_id`) of the "
        "role that publishes each type: "
        + ", ".join(f"{type_of(e)} ({described_publishers(type_of(e))})" for e in consumes)
        + ".",
        decoder=decode_json,
        # An exception here means the database stayed away too long: back to the queue.
        ack_policy=AckPolicy.NACK_ON_ERROR,
    )(on_event)
    declare_publishers(router, topology, publishes)
    return router
