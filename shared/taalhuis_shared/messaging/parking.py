"""Parking: a message the service cannot read goes to its parking queue with the reason.

`classify` (pure) says why a message body cannot be read, or None when it can. The middleware
runs it only after a handler failed: an unreadable message is parked and acked; a readable one
whose handling failed is returned to the queue (nack), so that a passing fault (database down)
does not park good messages; the queue's delivery limit parks it if the fault persists.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from faststream.middlewares import BaseMiddleware
from faststream.rabbit import RabbitBroker
from pydantic import ValidationError

from ..events.catalogue import type_of
from ..events.envelope import CloudEvent, event_key
from .decoding import NOT_JSON, NUMBER_TOO_LONG, TOO_DEEP, TOO_LARGE, Unreadable, load_json
from .topology import Topology

__all__ = [
    "NOT_CLOUDEVENT",
    "NOT_JSON",
    "NUMBER_TOO_LONG",
    "SCHEMA_INVALID",
    "TOO_DEEP",
    "TOO_LARGE",
    "UNKNOWN_TYPE",
    "UNKNOWN_VERSION",
    "Unreadable",
    "accepted_by",
    "classify",
    "park",
    "parking_middleware",
]

log = logging.getLogger(__name__)

NOT_CLOUDEVENT = "not-cloudevent"
UNKNOWN_TYPE = "unknown-type"
UNKNOWN_VERSION = "unknown-version"
SCHEMA_INVALID = "schema-invalid"


def _errors(error: ValidationError) -> str:
    # Field locations and messages only: the offending values may be personal data.
    return "; ".join(
        f"{'.'.join(str(part) for part in e['loc']) or '(root)'}: {e['msg']}" for e in error.errors()
    )[:1000]


def classify(body: bytes, accepted: Mapping[str, type[CloudEvent]]) -> Unreadable | None:
    """Why `body` is not an event this service accepts (keyed `Type.vN`), or None if it is."""
    try:
        document = load_json(body)
    except Unreadable as unreadable:
        return unreadable
    try:
        envelope = CloudEvent.model_validate(document)
    except ValidationError as error:
        return Unreadable(NOT_CLOUDEVENT, _errors(error))
    model = accepted.get(envelope.key)
    if model is None:
        known_types = {key.rsplit(".v", 1)[0] for key in accepted}
        if envelope.type in known_types:
            return Unreadable(UNKNOWN_VERSION, f"{envelope.type} version {envelope.dataversion}")
        return Unreadable(UNKNOWN_TYPE, envelope.type[:200])
    try:
        model.model_validate(document)
    except ValidationError as error:
        return Unreadable(SCHEMA_INVALID, _errors(error))
    return None


def accepted_by(*envelopes: type[CloudEvent]) -> dict[str, type[CloudEvent]]:
    """The catalogue keys of the given typed envelopes."""
    keys = {}
    for envelope in envelopes:
        keys[event_key(type_of(envelope), envelope.model_fields["dataversion"].default)] = envelope
    return keys


def parking_middleware(
    broker: RabbitBroker, topology: Topology, accepted: Mapping[str, type[CloudEvent]]
) -> type[BaseMiddleware]:
    """Build the broker middleware that parks what `classify` rejects."""

    class ParkUnreadable(BaseMiddleware):
        async def consume_scope(self, call_next: Any, msg: Any) -> Any:
            try:
                return await call_next(msg)
            except Exception:
                unreadable = classify(msg.body, accepted)
                if unreadable is None:
                    raise
                await park(broker, topology, msg, unreadable)
                await msg.ack()
                return None

    return ParkUnreadable


async def park(broker: RabbitBroker, topology: Topology, msg: Any, unreadable: Unreadable) -> None:
    raw = msg.raw_message
    log.warning(
        "parking message %s from %s: %s (%s)",
        raw.message_id,
        raw.routing_key,
        unreadable.reason,
        unreadable.detail,
    )
    # Publisher confirms are on: this returns once the parking queue has the message,
    # and only then is the original acked.
    await broker.publish(
        raw.body,
        exchange=topology.dead_letter(),
        routing_key=topology.queue_name,
        persist=True,
        mandatory=True,
        message_id=raw.message_id,
        content_type=raw.content_type,
        headers={
            **(raw.headers or {}),
            "x-parked-reason": unreadable.reason,
            "x-parked-detail": unreadable.detail,
            "x-parked-by": topology.service,
            "x-parked-at": datetime.now(UTC).isoformat(),
            "x-original-exchange": raw.exchange or "",
            "x-original-routing-key": raw.routing_key or "",
        },
    )
