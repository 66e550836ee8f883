"""The RabbitMQ broker of a service, and the subscriber options every service consumes with."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from faststream.rabbit import Channel, RabbitBroker, RabbitRouter

from ..events.catalogue import type_of
from ..events.envelope import CloudEvent
from .settings import ServiceSettings
from .topology import Topology
from .trust import described_publishers


def service_broker(settings: ServiceSettings) -> RabbitBroker:
    """A service's broker, not yet connected, with bounded prefetch."""
    return RabbitBroker(
        settings.amqp_url,
        graceful_timeout=settings.graceful_timeout,
        # A parked message that RabbitMQ cannot route must raise, not be acked and lost.
        default_channel=Channel(prefetch_count=settings.prefetch_count, on_return_raises=True),
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
            description=f"Published by the RabbitMQ user of role `{described_publishers(event_type)}`.",
            schema=envelope,
            persist=True,
        )


async def decode_json(message: Any, original: Any = None) -> Any:
    """Read the body as JSON whatever the content type says: partners do not always set it."""
    return json.loads(message.body)

