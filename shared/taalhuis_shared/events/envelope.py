"""The CloudEvents 1.0 envelope (JSON structured mode) that every Taalhuis event travels in."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

CONTENT_TYPE = "application/cloudevents+json"
SPEC_VERSION = "1.0"


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

    model_config = ConfigDict(extra="allow", frozen=True)

    specversion: Literal["1.0"]
    id: str = Field(min_length=1, max_length=200)
    source: str = Field(min_length=1, max_length=500)
    type: str = Field(min_length=1, max_length=200)
    time: AwareDatetime | None = None
    datacontenttype: Literal["application/json"] = "application/json"
    subject: str | None = None
    # Extension attribute: the version of the `data` contract. Absent means "1".
    dataversion: str = "1"
    data: Any = None

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
