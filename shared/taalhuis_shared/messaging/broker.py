"""The RabbitMQ broker of a service, and the subscriber options every service consumes with."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from faststream import AckPolicy
from faststream.rabbit import Channel, RabbitBroker, RabbitRouter

from ..events.catalogue import type_of
from ..events.envelope import CloudEvent
from .parking import accepted_by, parking_middleware
from .settings import ServiceSettings
from .topology import Topology


def make_broker(
    amqp_url: str,
    *,
    topology: Topology,
    accepted: Mapping[str, type[CloudEvent]],
    prefetch_count: int,
    graceful_timeout: float,
) -> RabbitBroker:
    """A broker that does not connect yet, with bounded prefetch and parking of unreadable input."""
    broker = RabbitBroker(
        amqp_url,
        graceful_timeout=graceful_timeout,
        # A parked message that RabbitMQ cannot route must raise, not be acked and lost.
        default_channel=Channel(prefetch_count=prefetch_count, on_return_raises=True),
    )
    broker.add_middleware(parking_middleware(broker, topology, accepted))
    return broker


def service_broker(
    settings: ServiceSettings, topology: Topology, consumes: Sequence[type[CloudEvent]]
) -> RabbitBroker:
    """The broker of a service that consumes the given event types, from its settings."""
    return make_broker(
        settings.amqp_url,
        topology=topology,
        accepted=accepted_by(*consumes),
        prefetch_count=settings.prefetch_count,
        graceful_timeout=settings.graceful_timeout,
    )


def declare_publishers(
    router: RabbitRouter, topology: Topology, publishes: Sequence[type[CloudEvent]]
) -> None:
    """Describe what a service publishes (through its outbox relay) in the AsyncAPI document."""
    for envelope in publishes:
        event_type = type_of(envelope)
        router.publisher(
            exchange=topology.exchange(),
            routing_key=event_type,
            title=f"{topology.service}:{event_type}",
            schema=envelope,
            persist=True,
        )


async def decode_json(message: Any, original: Any = None) -> Any:
    """Read the body as JSON whatever the content type says: partners do not always set it."""
    return json.loads(message.body)


# Ack after handling; an exception in a handler of a readable message returns it to the queue,
# where the delivery limit bounds the retries (parking middleware handles unreadable ones).
SUBSCRIBER_OPTIONS: dict[str, Any] = {
    "decoder": decode_json,
    "ack_policy": AckPolicy.NACK_ON_ERROR,
}
