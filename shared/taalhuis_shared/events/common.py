"""Value objects that several events share, and the bounded text types every contract field uses.

Every string and list in an event has a limit, so that no sender can make a service store or pass
on megabytes. Identifiers are normalised before they are compared (Unicode NFKC, invisible format
characters such as zero-width spaces removed), so that a variant that looks the same cannot slip
past a duplicate check; enrolment also compares partner referral ids and employee references
without regard to case. Control characters (NUL and the like) are refused everywhere, except
tabs and line breaks in free text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, EmailStr, Field, StringConstraints
from pydantic_core import PydanticCustomError

# Limits on lists: generous for what the library does (groups of five, courses of five sessions).
MAX_PEOPLE = 20  # participants of a group, their contact persons
MAX_SESSIONS = 20
MAX_LOCATIONS = 20
MAX_VOLUNTEERS = 5  # per session
MAX_PREFERRED_LOCATIONS = 5  # per referral; a group gathers those of all its participants

MAX_TEXT = 1000  # reason texts
MAX_EMAIL = 254  # what SMTP allows in a forward path (RFC 5321 with RFC 3696 erratum)

# Text allows tabs and line breaks; every other control character (category Cc) is refused.
_TEXT_CONTROLS_ALLOWED = frozenset("\t\n\r")
# A raw string this many times longer than its limit is refused before it is normalised: NFKC
# and the removal of format characters change a length, but never by this much in honest input.
_RAW_LENGTH_FACTOR = 4


def _too_long(max_length: int) -> PydanticCustomError:
    # The same error type pydantic uses, so that readers of errors see one kind of "too long".
    return PydanticCustomError(
        "string_too_long", "String should have at most {max_length} characters", {"max_length": max_length}
    )


_ASCII_CONTROL = re.compile("[\x00-\x1f\x7f]")


def _has_control(value: str, allowed: frozenset[str] = frozenset()) -> bool:
    if value.isascii():  # most values; looking at each character by itself is slow
        return any(c not in allowed for c in _ASCII_CONTROL.findall(value))
    # Cs: a lone surrogate (JSON `"\ud800"`) cannot be written as UTF-8 to a database or a queue.
    return any(unicodedata.category(c) in ("Cc", "Cs") and c not in allowed for c in value)


def _normalised(max_length: int, *, spaces: bool) -> Callable[[Any], Any]:
    """The cleaning of an identifier or name: NFKC, no format characters, no control characters."""

    def clean(value: Any) -> Any:
        if not isinstance(value, str):
            return value  # the str schema says what is wrong with it
        if len(value) > _RAW_LENGTH_FACTOR * max_length:
            raise _too_long(max_length)
        value = unicodedata.normalize("NFKC", value)
        if _has_control(value):
            raise PydanticCustomError("control_characters", "Value must not contain control characters")
        # Zero-width spaces and joiners, word joiner, byte order mark, direction marks: category Cf.
        if not value.isascii():  # no format characters in ASCII
            value = "".join(c for c in value if unicodedata.category(c) != "Cf")
        value = value.strip()
        if not spaces and any(c.isspace() for c in value):
            raise PydanticCustomError("whitespace", "Value must not contain spaces")
        return value

    return clean


def _free_text(max_length: int) -> Callable[[Any], Any]:
    def clean(value: Any) -> Any:
        if not isinstance(value, str):
            return value
        if len(value) > _RAW_LENGTH_FACTOR * max_length:
            raise _too_long(max_length)
        if _has_control(value, _TEXT_CONTROLS_ALLOWED):
            raise PydanticCustomError(
                "control_characters", "Value must not contain control characters other than line breaks"
            )
        return value.strip()

    return clean


# The constraints come first: the before-validator then runs ahead of them, so the limits apply
# to the normalised value and pydantic reports `string_too_long` with the limit.
Identifier = Annotated[
    str, StringConstraints(min_length=1, max_length=100), BeforeValidator(_normalised(100, spaces=False))
]
"""An id or reference (partner, referral, employee, group, session): 1 to 100 characters, no spaces."""

Code = Annotated[
    str, StringConstraints(min_length=1, max_length=50), BeforeValidator(_normalised(50, spaces=False))
]
"""A stable code (course type, reason code, outcome): 1 to 50 characters, no spaces."""

ShortName = Annotated[
    str, StringConstraints(min_length=1, max_length=100), BeforeValidator(_normalised(100, spaces=True))
]
"""A person's given or family name, a municipality, a room: 1 to 100 characters."""

Name = Annotated[
    str, StringConstraints(min_length=1, max_length=200), BeforeValidator(_normalised(200, spaces=True))
]
"""A full name, a place's name or address: 1 to 200 characters."""

Text = Annotated[
    str, StringConstraints(min_length=1, max_length=MAX_TEXT), BeforeValidator(_free_text(MAX_TEXT))
]
"""Free text for a person to read (a reason): up to 1000 characters, line breaks allowed."""

Email = Annotated[EmailStr, Field(max_length=MAX_EMAIL)]

Level = Annotated[int, Field(ge=1, le=9)]


class _Part(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class CourseRef(_Part):
    """Which course a referral or group is for: `klik-en-tik` or `digisterker`, and a level."""

    type: Code = Field(examples=["klik-en-tik"])
    level: Level = Field(examples=[1])


class ContactPerson(_Part):
    """The partner's contact person for the library: the one who tells participants at work."""

    name: Name
    email: Email


class GroupMember(_Part):
    """A participant as others need to see them: a short name, never a full personal record."""

    referral_id: Identifier
    partner_id: Identifier
    partner_referral_id: Identifier
    display_name: Name = Field(description="Given name and the first letter of the family name")


class PartnerContact(_Part):
    partner_id: Identifier
    contact: ContactPerson
