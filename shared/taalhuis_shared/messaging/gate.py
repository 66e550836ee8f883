"""The door of every service: whether a delivered message may be acted on, and if not, why.

Pure: from the body, the routing key and the validated AMQP `user_id` to a verdict. The checks
run in an order that gives the most useful reason: an unreadable body, a routing key that is not
the body's type, a missing user id, a type this service does not take, a user who may not send
that type, and only then the schema of `data`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from ..events.envelope import CloudEvent
from . import parking
from .decoding import Unreadable, load_json
from .trust import Publishers


@dataclass(frozen=True)
class Admitted:
    event: CloudEvent  # the typed envelope of the catalogue
    publisher: str  # the validated AMQP user_id


@dataclass(frozen=True)
class Refused:
    reason: str  # a parking reason code
    detail: str  # field names or types, never values
    envelope: CloudEvent | None = None  # when the envelope itself was readable
    publisher: str | None = None
    errors: ValidationError | None = None  # for `schema-invalid`: what is wrong with `data`


def admit(
    body: bytes,
    routing_key: str | None,
    user_id: str | None,
    accepted: Mapping[str, type[CloudEvent]],
    publishers: Publishers,
) -> Admitted | Refused:
    document = _load(body)
    if isinstance(document, Refused):
        return document
    try:
        envelope = CloudEvent.model_validate(document)
    except ValidationError as error:
        return Refused(parking.NOT_CLOUDEVENT, parking.field_errors(error))
    if routing_key != envelope.type:
        return Refused(
            parking.TYPE_MISMATCH,
            f"routing key {str(routing_key)[:200]!r}, body type {envelope.type[:200]!r}",
            envelope,
        )
    if not user_id:
        return Refused(parking.NO_USER_ID, "the message has no AMQP user_id", envelope)
    model = accepted.get(envelope.key)
    if model is None:
        known_types = {key.rsplit(".v", 1)[0] for key in accepted}
        if envelope.type in known_types:
            return Refused(
                parking.UNKNOWN_VERSION, f"{envelope.type} version {envelope.dataversion[:20]}", envelope
            )
        return Refused(parking.UNKNOWN_TYPE, envelope.type[:200], envelope)
    if not publishers.may_publish(user_id, envelope.type):
        return Refused(
            parking.NOT_ALLOWED, f"user {user_id[:100]!r} may not publish {envelope.type}", envelope
        )
    try:
        event = model.model_validate(document)
    except ValidationError as error:
        return Refused(parking.SCHEMA_INVALID, parking.field_errors(error), envelope, user_id, error)
    return Admitted(event, user_id)


def _load(body: bytes) -> Any:
    try:
        return load_json(body)
    except Unreadable as unreadable:
        return Refused(unreadable.reason, unreadable.detail)
