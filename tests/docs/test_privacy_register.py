"""The privacy register (docs/privacy.md) names every column of every table and every field of every event.

A table or event model that gains a field the register does not name fails here, and so does a
register entry for a field that no longer exists: the register stays the list the privacy officer
can trust. Every personal field says why it is needed, who sees it and how long it is kept.
"""

from __future__ import annotations

import re
import types
import typing
from pathlib import Path

import pytest
from pydantic import BaseModel
from sqlalchemy import MetaData

from console.adapters import tables as console_tables
from enrolment.adapters import tables as enrolment_tables
from notifications.adapters import tables as notifications_tables
from scheduling.adapters import tables as scheduling_tables
from taalhuis_shared import erasure, retention
from taalhuis_shared.events import CATALOGUE
from taalhuis_shared.messaging import store

ROOT = Path(__file__).resolve().parents[2]
REGISTER = ROOT / "docs" / "privacy.md"

# The register's heading for each database's tables; `shared` holds the tables every service's
# database has (inbox, outbox, retention runs).
METADATA: list[tuple[str, MetaData]] = [
    ("enrolment", enrolment_tables.metadata),
    ("scheduling", scheduling_tables.metadata),
    ("notifications", notifications_tables.metadata),
    ("console", console_tables.metadata),
    ("shared", store.metadata),
    ("shared", retention.metadata),
    ("shared", erasure.metadata),
]

HEADING = re.compile(r"^### (table|event) (\S+)\s*$")
ENTRY = re.compile(r"^\|\s*`([^`]+)`\s*\|")
COLUMNS = ("field", "personal", "why", "who", "kept")


class Entry(typing.NamedTuple):
    name: str
    personal: str
    why: str
    who: str
    kept: str


def parse(text: str) -> dict[tuple[str, str], dict[str, Entry]]:
    """Register entries by (`table` or `event`, heading name), each by field name."""
    sections: dict[tuple[str, str], dict[str, Entry]] = {}
    current: dict[str, Entry] | None = None
    for line in text.splitlines():
        if line.startswith("#"):
            heading = HEADING.match(line)
            current = None
            if heading:
                key = (heading[1], heading[2])
                assert key not in sections, f"{key} appears twice in the register"
                current = sections[key] = {}
            continue
        if current is None or not ENTRY.match(line):
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        assert len(cells) == len(COLUMNS), f"an entry needs {len(COLUMNS)} cells: {line}"
        entry = Entry(cells[0].strip("`"), *cells[1:])
        assert entry.name not in current, f"{entry.name} is named twice under one heading"
        current[entry.name] = entry
    return sections


def model_of(annotation: typing.Any) -> type[BaseModel] | None:
    """The model a field holds, through `X | None` and `list[X]`; None for plain values."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType, list, typing.Annotated):
        for argument in typing.get_args(annotation):
            if (found := model_of(argument)) is not None:
                return found
    return None


def field_paths(model: type[BaseModel], prefix: str = "") -> set[str]:
    """Every leaf field of a model as a dotted path, nested models and lists of models followed."""
    paths: set[str] = set()
    for name, field in model.model_fields.items():
        path = f"{prefix}{name}"
        nested = model_of(field.annotation)
        if nested is None:
            paths.add(path)
        else:
            paths |= field_paths(nested, f"{path}.")
    return paths


def tables_in_code() -> dict[str, set[str]]:
    return {
        f"{database}.{table.name}": {column.name for column in table.columns}
        for database, metadata in METADATA
        for table in metadata.tables.values()
    }


def events_in_code() -> dict[str, set[str]]:
    return {
        key: field_paths(typing.cast(type[BaseModel], envelope.model_fields["data"].annotation))
        for key, envelope in CATALOGUE.items()
    }


@pytest.fixture(scope="module")
def register() -> dict[tuple[str, str], dict[str, Entry]]:
    return parse(REGISTER.read_text(encoding="utf-8"))


def named(register: dict[tuple[str, str], dict[str, Entry]], kind: str) -> dict[str, set[str]]:
    return {name: set(entries) for (what, name), entries in register.items() if what == kind}


def test_every_column_of_every_table_is_in_the_register(
    register: dict[tuple[str, str], dict[str, Entry]],
) -> None:
    in_code, in_register = tables_in_code(), named(register, "table")
    assert set(in_code) - set(in_register) == set(), "tables without a register section"
    assert set(in_register) - set(in_code) == set(), "register sections for tables that do not exist"
    for table, columns in in_code.items():
        assert columns - in_register[table] == set(), f"columns of {table} the register does not name"
        assert in_register[table] - columns == set(), f"register entries for columns {table} lacks"


def test_every_field_of_every_event_is_in_the_register(
    register: dict[tuple[str, str], dict[str, Entry]],
) -> None:
    in_code, in_register = events_in_code(), named(register, "event")
    assert set(in_code) - set(in_register) == set(), "events without a register section"
    assert set(in_register) - set(in_code) == set(), "register sections for events that do not exist"
    for event, fields in in_code.items():
        assert fields - in_register[event] == set(), f"fields of {event} the register does not name"
        assert in_register[event] - fields == set(), f"register entries for fields {event} lacks"


def test_every_entry_says_whether_it_is_personal_and_why_it_exists(
    register: dict[tuple[str, str], dict[str, Entry]],
) -> None:
    for (kind, name), entries in register.items():
        for entry in entries.values():
            assert entry.personal in ("yes", "no"), f"{kind} {name}: `{entry.name}` personal is yes or no"
            assert entry.why.strip("—- "), f"{kind} {name}: `{entry.name}` has no reason to exist"


def test_every_personal_field_says_who_sees_it_and_how_long_it_is_kept(
    register: dict[tuple[str, str], dict[str, Entry]],
) -> None:
    personal = [(kind, name, e) for (kind, name), entries in register.items() for e in entries.values()]
    personal = [(kind, name, e) for kind, name, e in personal if e.personal == "yes"]
    assert personal, "the register names no personal field at all"
    for kind, name, entry in personal:
        assert entry.who.strip("—- "), f"{kind} {name}: who sees `{entry.name}`?"
        assert entry.kept.strip("—- "), f"{kind} {name}: how long is `{entry.name}` kept?"


def test_the_parser_reads_a_register_section() -> None:
    sample = (
        "### table enrolment.referrals\n\n"
        "| field | personal | why | who | kept |\n| --- | --- | --- | --- | --- |\n"
        "| `display_name` | yes | the teacher's list | teacher | 3 months |\n"
        "### event ReferralSubmitted.v1\n"
        "| `participant.given_name` | yes | a short name | enrolment | in flight |\n"
    )
    parsed = parse(sample)
    assert parsed[("table", "enrolment.referrals")]["display_name"].kept == "3 months"
    assert set(parsed[("event", "ReferralSubmitted.v1")]) == {"participant.given_name"}


def test_nested_models_and_lists_of_models_are_followed() -> None:
    fields = events_in_code()
    assert {"participant.given_name", "participant.family_name", "contact.email"} <= fields[
        "ReferralSubmitted.v1"
    ]
    assert "participants.display_name" in fields["CourseScheduled.v1"]
    assert "sessions.volunteers.email" in fields["CourseScheduled.v1"]
    assert "sessions.location.address" in fields["CourseScheduled.v1"]  # through `Location | None`
    assert "participants" not in fields["CourseScheduled.v1"]
