"""A per-test namespace on the real RabbitMQ, and taps that collect the events published in it."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

import aio_pika
from aio_pika.abc import AbstractIncomingMessage, AbstractRobustConnection

from taalhuis_shared.events import CONTENT_TYPE
from taalhuis_shared.messaging.topology import Topology

from .waiting import eventually


@dataclass(frozen=True)
class Namespace:
    """An events exchange and queue prefix of its own, so tests and runs do not meet."""

    run_id: str
    events_exchange: str
    queue_prefix: str

    @classmethod
    def new(cls, run_id: str) -> Namespace:
        name = f"{run_id}.{uuid.uuid4().hex[:6]}"
        return cls(run_id, f"{name}.events", f"{name}.")

    def topology(self, service: str, delivery_limit: int = 10) -> Topology:
        return Topology(self.events_exchange, self.queue_prefix, service, delivery_limit)

    def env(self) -> dict[str, str]:
        return {"EVENTS_EXCHANGE": self.events_exchange, "QUEUE_PREFIX": self.queue_prefix}


@dataclass
class Received:
    body: bytes
    message_id: str | None
    routing_key: str | None
    headers: dict[str, Any]

    @property
    def event(self) -> dict[str, Any]:
        return json.loads(self.body)  # type: ignore[no-any-return]


@dataclass
class Tap:
    """Collects every message routed to it, acking each."""

    queue: aio_pika.abc.AbstractQueue
    received: list[Received] = field(default_factory=list)

    async def _on_message(self, message: AbstractIncomingMessage) -> None:
        self.received.append(
            Received(message.body, message.message_id, message.routing_key, dict(message.headers or {}))
        )
        await message.ack()

    def of_type(self, event_type: str) -> list[dict[str, Any]]:
        return [r.event for r in self.received if r.routing_key == event_type]

    def distinct(self, event_type: str) -> dict[str, dict[str, Any]]:
        """Events of one type by id: a redelivered duplicate counts once."""
        return {e["id"]: e for e in self.of_type(event_type)}

    async def wait_for(self, event_type: str, count: int, timeout: float = 30.0) -> list[dict[str, Any]]:
        await eventually(
            lambda: len(self.distinct(event_type)) >= count,
            timeout=timeout,
            what=f"{count} distinct {event_type}",
        )
        return list(self.distinct(event_type).values())


async def declare_exchange(
    channel: aio_pika.abc.AbstractChannel, namespace: Namespace
) -> aio_pika.abc.AbstractExchange:
    return await channel.declare_exchange(
        namespace.events_exchange, aio_pika.ExchangeType.TOPIC, durable=True
    )


async def open_tap(
    connection: AbstractRobustConnection, namespace: Namespace, routing_keys: list[str]
) -> Tap:
    channel = await connection.channel()
    exchange = await declare_exchange(channel, namespace)
    queue = await channel.declare_queue(f"{namespace.queue_prefix}tap.{uuid.uuid4().hex[:6]}", exclusive=True)
    for key in routing_keys:
        await queue.bind(exchange, routing_key=key)
    tap = Tap(queue)
    await queue.consume(tap._on_message)
    return tap


async def publish(
    connection: AbstractRobustConnection,
    namespace: Namespace,
    event: dict[str, Any] | bytes,
    routing_key: str | None = None,
    message_id: str | None = None,
    user_id: str | None = "guest",
) -> None:
    """Publish as a partner would: persistent, confirmed, message id = CloudEvents id.

    `user_id` is the connection's user, as RabbitMQ requires; None sends none.
    """
    channel = await connection.channel(publisher_confirms=True)
    try:
        exchange = await declare_exchange(channel, namespace)
        body = event if isinstance(event, bytes) else json.dumps(event).encode()
        key = routing_key or (event["type"] if isinstance(event, dict) else "")
        await exchange.publish(
            aio_pika.Message(
                body,
                message_id=message_id or (event["id"] if isinstance(event, dict) else None),
                content_type=CONTENT_TYPE,
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                user_id=user_id,
            ),
            routing_key=key,
        )
    finally:
        await channel.close()


async def drain(connection: AbstractRobustConnection, queue_name: str) -> list[Received]:
    """Everything waiting in a queue now (for parking queues), acked."""
    channel = await connection.channel()
    try:
        queue = await channel.declare_queue(queue_name, passive=True)
        messages = []
        while (message := await queue.get(fail=False, no_ack=False)) is not None:
            messages.append(
                Received(message.body, message.message_id, message.routing_key, dict(message.headers or {}))
            )
            await message.ack()
        return messages
    finally:
        await channel.close()


async def drain_until(connection: AbstractRobustConnection, queue_name: str, count: int) -> list[Received]:
    """Drain a queue until `count` messages came out, with a deadline."""
    collected: list[Received] = []

    async def enough() -> bool:
        collected.extend(await drain(connection, queue_name))
        return len(collected) >= count

    await eventually(enough, what=f"{count} messages in {queue_name}")
    return collected


async def delete_namespace(
    connection: AbstractRobustConnection, namespace: Namespace, services: list[str]
) -> None:
    channel = await connection.channel()
    for service in services:
        topology = namespace.topology(service)
        for queue in (topology.queue_name, topology.parking_queue_name):
            await channel.queue_delete(queue)
    await channel.exchange_delete(namespace.events_exchange)
    await channel.exchange_delete(f"{namespace.events_exchange}.dead-letter")
    await channel.close()
