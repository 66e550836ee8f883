"""The CloudEvents 1.0 envelope (JSON structured mode) that every Taalhuis event travels in."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, model_validator

CONTENT_TYPE = "application/cloudevents+json"
SPEC_VERSION = "1.0"

# Extension attributes (CloudEvents 1.0): lower-case letters and digits, scalar values. A sender
# may add a few (tracing, for one), but not a pile of them or a large one.
MAX_EXTENSIONS = 10
# Attributes end up in logs and AMQP properties: no control characters in them.
_PRINTABLE = r"^[^\x00-\x1f\x7f-\x9f]*$"
EXTENSION_NAME = r"^[a-z0-9]{1,20}$"
ExtensionValue = (
    Annotated[str, StringConstraints(max_length=512)]  # a W3C tracestate fits
    | Annotated[int, Field(ge=-(2**31), le=2**31 - 1)]  # the CloudEvents Integer type
    | bool
    | None
)


class EventData(BaseModel):
    """Base of every event's `data`: the class knows its event type and contract version.

    Consumers are tolerant readers: unknown fields are ignored, so adding an optional field is
    not a breaking change. Removing or retyping a field is, and makes a new version.
    """

    model_config = ConfigDict(extra="ignore", frozen=True)

    event_type: ClassVar[str]
    version: ClassVar[str] = "1"


class CloudEvent(BaseModel):
    """Any CloudEvent: the attributes we require, extensions allowed, `data` not yet typed."""

    model_config = ConfigDict(
        extra="allow",
        frozen=True,
        # The schema says what the validator below checks: ten attributes of the spec, ten more.
        json_schema_extra={
            "maxProperties": 10 + MAX_EXTENSIONS,
            "propertyNames": {"pattern": EXTENSION_NAME},
        },
    )
    __pydantic_extra__: dict[str, ExtensionValue] = Field(init=False)

    specversion: Literal["1.0"]
    id: str = Field(min_length=1, max_length=200, pattern=_PRINTABLE)
    source: str = Field(min_length=1, max_length=500, pattern=_PRINTABLE)
    type: str = Field(min_length=1, max_length=200, pattern=_PRINTABLE)
    time: AwareDatetime | None = None
    datacontenttype: Literal["application/json"] = "application/json"
    subject: str | None = Field(default=None, max_length=200, pattern=_PRINTABLE)
    # Extension attribute: the version of the `data` contract. Absent means "1".
    dataversion: str = Field(default="1", min_length=1, max_length=10, pattern=_PRINTABLE)
    data: Any = None

    @model_validator(mode="after")
    def _few_extensions(self) -> CloudEvent:
        extensions = self.__pydantic_extra__ or {}
        if len(extensions) > MAX_EXTENSIONS:
            raise ValueError(f"at most {MAX_EXTENSIONS} extension attributes")
        for name in extensions:
            if not re.fullmatch(EXTENSION_NAME, name):
                raise ValueError("extension attribute names are 1 to 20 lower-case letters and digits")
        return self

    @property
    def key(self) -> str:
        """Type and version together, as the catalogue knows them: `ReferralSubmitted.v1`."""
        return event_key(self.type, self.dataversion)


def event_key(event_type: str, version: str) -> str:
    return f"{event_type}.v{version}"


def new_event(
    data: EventData,
    *,
    source: str,
    subject: str | None = None,
    event_id: str | None = None,
    time: datetime | None = None,
) -> dict[str, Any]:
    """Wrap event data in a CloudEvent, ready to serialise as JSON."""
    return {
        "specversion": SPEC_VERSION,
        "id": event_id or str(uuid.uuid4()),
        "source": source,
        "type": data.event_type,
        "time": (time or datetime.now(UTC)).isoformat(),
        "datacontenttype": "application/json",
        **({"subject": subject} if subject else {}),
        "dataversion": data.version,
        "data": data.model_dump(mode="json"),
    }
