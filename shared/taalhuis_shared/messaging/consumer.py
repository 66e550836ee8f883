"""The one handling step of every service: gate, inbox, handler in a unit of work, parking.

For each delivered message: the gate (`gate.admit`) decides whether it may be acted on. A refused
message is answered where the service can answer its sender (enrolment tells a partner why a
referral was refused) and otherwise parked with its reason; either way it is acked. An admitted
message goes to the service's handler for its type, in a unit of work that first records the
event in the inbox: an event handled before changes nothing.

A failing handler is not the message's fault while the database does not answer: the step then
waits, with growing pauses, until it answers again and tries once more, without counting (the
message stays in hand, and with it the prefetch slot, so a service in an outage stops taking
work). Only a message whose handling fails while the database answers is counted; after a few
such failures it is parked with the exception's class and message. An outage longer than
`outage_patience` returns the message to the queue (RabbitMQ counts that delivery).
"""

# No `from __future__ import annotations` here: the subscriber's event annotation is built at
# run time from the service's handler table, and FastStream reads it from the signature.

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Union

from faststream import AckPolicy
from faststream.middlewares import BaseMiddleware
from faststream.rabbit import RabbitBroker, RabbitMessage, RabbitRouter
from pydantic import Field, ValidationError

from ..events.catalogue import type_of
from ..events.envelope import CloudEvent
from ..logs import summary
from . import gate, parking
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

FAILURES_BEFORE_PARKING = 3
FIRST_PAUSE = 0.2
LONGEST_PAUSE = 5.0


class DatabaseAwayTooLongError(Exception):
    """The database did not come back within the patience: the message goes back to the queue."""


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

    @property
    def accepted(self) -> dict[str, type[CloudEvent]]:
        return parking.accepted_by(*self.handlers)

    @property
    def routing_keys(self) -> list[str]:
        return [type_of(envelope) for envelope in self.handlers]

    async def on_refused(self, refused: gate.Refused, msg: RabbitMessage) -> None:
        answer = self.answer(refused) if self.answer is not None else None
        if answer is not None and refused.envelope is not None and refused.publisher is not None:
            await self._persist(self._handle(answer, refused.envelope, refused.publisher), msg)
            log.info("message %s refused (%s); its sender is answered", msg.message_id, refused.reason)
            return
        await parking.park(
            self.broker, self.topology, msg, parking.Unreadable(refused.reason, refused.detail)
        )
        await msg.ack()

    async def deliver(self, event: CloudEvent, msg: RabbitMessage) -> None:
        handler = self.handlers[type(event)]
        await self._persist(self._handle(handler, event, msg.raw_message.user_id or ""), msg)

    def _handle(self, handler: Handler, event: CloudEvent, publisher: str) -> Callable[[], Awaitable[None]]:
        """One attempt: inbox and handler in one unit of work; a repeated event changes nothing."""

        async def attempt() -> None:
            async with self.unit_of_work() as uow:
                if not await uow.first_time(event):
                    log.info("event %s (%s) was handled before; nothing to do", event.id, event.type)
                    return
                await handler(event, publisher, uow)

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
            return await call_next(msg)

    router = RabbitRouter(middlewares=[Gate])

    async def on_event(event: event_union, message: RabbitMessage) -> None:
        await consumer.deliver(event, message)

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
