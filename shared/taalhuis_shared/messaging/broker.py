"""The RabbitMQ broker of a service, and the subscriber options every service consumes with."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from faststream import AckPolicy
from faststream.rabbit import Channel, RabbitBroker

from ..events.envelope import CloudEvent
from .parking import parking_middleware
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
        default_channel=Channel(prefetch_count=prefetch_count),
    )
    broker.add_middleware(parking_middleware(broker, topology, accepted))
    return broker


async def decode_json(message: Any, original: Any = None) -> Any:
    """Read the body as JSON whatever the content type says: partners do not always set it."""
    return json.loads(message.body)


# Ack after handling; an exception in a handler of a readable message returns it to the queue,
# where the delivery limit bounds the retries (parking middleware handles unreadable ones).
SUBSCRIBER_OPTIONS: dict[str, Any] = {
    "decoder": decode_json,
    "ack_policy": AckPolicy.NACK_ON_ERROR,
}
