"""Parking: a message the service will not act on goes to its parking queue with the reason.

The reason codes are part of the contract (README, "Event catalogue"): operations read them in
the `x-parked-reason` header, with field names or an exception's class in `x-parked-detail`,
never values (they may be personal data).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from faststream.rabbit import RabbitBroker
from pydantic import ValidationError

from ..events.catalogue import type_of
from ..events.envelope import CloudEvent, event_key
from ..events.problems import describe_errors
from .decoding import NOT_JSON, NUMBER_TOO_LONG, TOO_DEEP, TOO_LARGE, Unreadable
from .topology import Topology

__all__ = [
    "HANDLING_FAILED",
    "NOT_ALLOWED",
    "NOT_CLOUDEVENT",
    "NOT_JSON",
    "NO_USER_ID",
    "NUMBER_TOO_LONG",
    "SCHEMA_INVALID",
    "TOO_DEEP",
    "TOO_LARGE",
    "TYPE_MISMATCH",
    "UNKNOWN_TYPE",
    "UNKNOWN_VERSION",
    "Unreadable",
    "accepted_by",
    "describe_problems",
    "field_errors",
    "park",
]

log = logging.getLogger(__name__)

NOT_CLOUDEVENT = "not-cloudevent"
UNKNOWN_TYPE = "unknown-type"
UNKNOWN_VERSION = "unknown-version"
SCHEMA_INVALID = "schema-invalid"
TYPE_MISMATCH = "type-mismatch"  # the routing key is not the body's type
NO_USER_ID = "no-user-id"  # nobody can be told who sent it
NOT_ALLOWED = "not-allowed"  # its user may not publish this type
HANDLING_FAILED = "handling-failed"  # handling kept failing while the database answered


def field_errors(error: ValidationError) -> str:
    # Field locations and messages only: the offending values may be personal data. A value
    # error's reason, after the colon, may quote the value (an e-mail address's domain).
    return "; ".join(
        f"{'.'.join(str(part) for part in e['loc']) or '(root)'}: "
        + (e["msg"].split(":")[0] if e["type"] == "value_error" else e["msg"])
        for e in error.errors()
    )[:1000]


def describe_problems(error: ValidationError) -> tuple[str, str]:
    """What is wrong with a message's data, for its sender (Dutch, English); never the values."""
    return describe_errors(error)


def accepted_by(*envelopes: type[CloudEvent]) -> dict[str, type[CloudEvent]]:
    """The catalogue keys of the given typed envelopes."""
    keys = {}
    for envelope in envelopes:
        keys[event_key(type_of(envelope), envelope.model_fields["dataversion"].default)] = envelope
    return keys


async def park(
    broker: RabbitBroker,
    topology: Topology,
    msg: Any,
    unreadable: Unreadable,
    extra_headers: Mapping[str, str] | None = None,
) -> None:
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
            # RabbitMQ lets only the sender's own connection set its user_id; keep it as a header.
            "x-original-user-id": raw.user_id or "",
            **(extra_headers or {}),
        },
    )
