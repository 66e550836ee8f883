"""Reading a message body as JSON, with guards against bodies made to hurt the reader.

Python's `json` reads anything it is given: a body of many megabytes, nesting thousands of
levels deep (`RecursionError`), integers of thousands of digits (`ValueError` past 4300 digits,
and slow arithmetic below that), `NaN` and `Infinity`. `load_json` refuses each of these before
or while parsing and raises one exception, `Unreadable`, with a stable reason code, so that
the consumer parks the message with that reason at once instead of failing on every delivery.
"""

from __future__ import annotations

import json
import re
from typing import Any, NoReturn

# Every event that keeps to its contract's limits fits: the largest (a CourseScheduled with 20
# sessions, each naming its own place, teacher and five volunteers, and every text at its limit)
# is about 110 KB, and about 210 KB if every letter takes two bytes, as accented letters do in
# UTF-8 (tests/unit/shared/test_limits.py keeps this true). An ordinary event is one to five
# kilobytes. A bigger body cannot be a valid event, so it is refused before it is parsed.
MAX_MESSAGE_BYTES = 256 * 1024
# Our events nest four levels deep (envelope, data, a session, its teacher); 32 is generous.
MAX_DEPTH = 32
# No number in our contracts needs more (positions, levels, revisions); an int64 has 19.
MAX_DIGITS = 20

NOT_JSON = "not-json"
TOO_LARGE = "too-large"
TOO_DEEP = "too-deep"
NUMBER_TOO_LONG = "number-too-long"


class Unreadable(Exception):  # noqa: N818 - it names what the message is, and is also a verdict
    """Why a message cannot be read: a stable reason code and a detail for operations.

    The detail names positions, sizes and fields, never values: a body may hold personal data.
    Raised by `load_json`, returned by `parking.classify`.
    """

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Unreadable) and (self.reason, self.detail) == (other.reason, other.detail)

    def __hash__(self) -> int:
        return hash((self.reason, self.detail))

    def __repr__(self) -> str:
        return f"Unreadable({self.reason!r}, {self.detail!r})"


# A JSON string, written so that the regex engine does not backtrack: runs of plain characters,
# each escape taken as a pair.
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKETS = re.compile(r"[^\[\]{}]+")
_PAIR = re.compile(r"\(\)")
_AS_PARENTHESES = str.maketrans("[{]}", "(())")


def nests_deeper_than(text: str, limit: int) -> bool:
    """Whether arrays and objects in a JSON text nest more than `limit` levels, found without
    parsing it (brackets inside strings do not count). Each pass removes the innermost pairs,
    so the work is at most `limit` passes over the brackets, all in the regex engine."""
    brackets = _NOT_BRACKETS.sub("", _STRING.sub("", text)).translate(_AS_PARENTHESES)
    for _ in range(limit):
        brackets, removed = _PAIR.subn("", brackets)
        if not removed:
            # What is left is never closed: `)))(((`. Every open one left is inside the others.
            return brackets.count("(") > limit
    return "(" in brackets


def _integer(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_DIGITS:
        raise Unreadable(NUMBER_TOO_LONG, f"an integer has more than {MAX_DIGITS} digits")
    return int(digits)


def _constant(name: str) -> NoReturn:
    raise Unreadable(NOT_JSON, f"{name} is not a JSON number")


def load_json(body: bytes) -> Any:
    """The JSON document in `body` (UTF-8), or `Unreadable` with the reason it cannot be read."""
    if len(body) > MAX_MESSAGE_BYTES:
        raise Unreadable(TOO_LARGE, f"{len(body)} bytes; at most {MAX_MESSAGE_BYTES}")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise Unreadable(NOT_JSON, f"not UTF-8 at byte {error.start}") from None
    if nests_deeper_than(text, MAX_DEPTH):
        raise Unreadable(TOO_DEEP, f"arrays and objects nested more than {MAX_DEPTH} levels deep")
    try:
        document = json.loads(text, parse_int=_integer, parse_constant=_constant)
    except json.JSONDecodeError as error:
        # Its message says what was expected where (line, column), and quotes nothing.
        raise Unreadable(NOT_JSON, str(error)[:200]) from None
    except (RecursionError, ValueError) as error:  # the guards above should leave nothing here
        raise Unreadable(NOT_JSON, type(error).__name__) from None
    try:
        # An escaped lone surrogate (`"\ud800"`) parses, but no database or queue can take it.
        json.dumps(document, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise Unreadable(NOT_JSON, "a string holds a lone surrogate (\\ud800-\\udfff)") from None
    return document
