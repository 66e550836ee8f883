"""Logging for a service: one format, and no personal data at any level (`configure_logging`).

Personal data could reach the logs in three ways; each is closed here or at its source.

- Libraries that print what passes through them. aiormq logs every AMQP frame at DEBUG, event
  bodies (names, addresses) included; aio_pika's DEBUG lines show message properties with the
  headers partners fill. Both are held at INFO whatever `LOG_LEVEL` says: a logger's level is
  the simplest reliable means, as the line is never made (a filter would have to recognise
  personal data in free text). Neither logs a body at INFO or above. SQLAlchemy's engine logger
  would print statements with their parameters and result rows: it stays at WARNING (its own
  default, pinned here) and engines hide parameters in errors too (`db.make_engine`). FastStream
  logs message ids, not bodies; aiosmtplib logs nothing, asyncpg nothing of a query.
- Exception texts. A database error quotes the key or row that failed (PostgreSQL's DETAIL), a
  pydantic ValidationError its input, an SMTP refusal the address; FastStream logs a failing
  handler's exception with its text. `WithoutExceptionTexts` keeps an exception's type, the
  place it was raised and its trace, and leaves out its text, except what is known to carry no
  data: network and broker errors, PostgreSQL's message without its DETAIL (which quotes the
  failing key or row), the SQL statement (placeholders only), a ValidationError's field names.
  It sits on the root logger's handlers and on FastStream's own loggers, which do not
  propagate to the root.
- Our own lines carry ids, counts and codes, never names, addresses or partners' references.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable

import asyncpg  # type: ignore[import-untyped]  # (it ships no type information)
from aiormq.exceptions import AMQPError
from pydantic import ValidationError
from sqlalchemy.exc import StatementError

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# The lowest level these libraries log at, whatever the service's level.
LIBRARY_FLOORS = {"aiormq": logging.INFO, "aio_pika": logging.INFO, "sqlalchemy.engine": logging.WARNING}
FASTSTREAM_LOGGERS = ("faststream", "faststream.access.rabbit")
LEFT_OUT = "(text left out of the log)"

log = logging.getLogger(__name__)


def configure_logging(level: str) -> None:
    """Log to stderr at `level`, with the library floors and exception texts left out."""
    logging.basicConfig(level=level, format=FORMAT)
    root = logging.getLogger()
    for name, floor in LIBRARY_FLOORS.items():
        logging.getLogger(name).setLevel(max(floor, root.level))
    without_texts = WithoutExceptionTexts()
    for handler in root.handlers:
        handler.addFilter(without_texts)
    for name in FASTSTREAM_LOGGERS:
        logging.getLogger(name).addFilter(without_texts)
    log.debug("logging at %s; %s at their floors", level, ", ".join(LIBRARY_FLOORS))


class WithoutExceptionTexts(logging.Filter):
    """Rewrites a record so that exceptions in it show type, place and trace, not their texts."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any(isinstance(a, BaseException) for a in record.args):
            record.args = tuple(_described(a) if isinstance(a, BaseException) else a for a in record.args)
        error = record.exc_info[1] if record.exc_info else None
        if error is not None:
            # FastStream puts the exception's text in the message as well.
            message = record.getMessage()
            for link in _chain(error):
                for text in (_text(link, str), _text(link, repr)):
                    if text:
                        message = message.replace(text, summary(link))
            record.msg, record.args = message, None
            record.exc_info, record.exc_text = None, _trace(error)
        return True


def summary(error: BaseException) -> str:
    """What of an exception's text may be logged: the parts known to carry no personal data."""
    if isinstance(error, ValidationError):
        fields = (
            f"{'.'.join(str(part) for part in e['loc']) or '(root)'}: {e['type']}"
            for e in error.errors(include_input=False, include_url=False)
        )
        return "; ".join(fields)[:1000]
    if isinstance(error, asyncpg.PostgresError):
        code = f"SQLSTATE {error.sqlstate}"
        # The message names tables, columns and constraints; the values are in its DETAIL, left
        # out here. Only data exceptions (class 22: "invalid input syntax ...") quote a value.
        message = str(getattr(error, "message", None) or "")
        if message and not str(error.sqlstate).startswith("22"):
            return f"{message.splitlines()[0][:300]} ({code})"
        names = {"table": "table_name", "column": "column_name", "constraint": "constraint_name"}
        found = [f"{word} {value}" for word, name in names.items() if (value := getattr(error, name, None))]
        return ", ".join([code, *found])
    if isinstance(error, StatementError):
        return f"[SQL: {error.statement}]" if error.statement else LEFT_OUT
    if type(error).__module__.split(".")[0] in ("aiosmtplib", "smtplib"):
        reply = getattr(error, "code", None)  # the server's reply text may repeat the address
        if isinstance(reply, int):
            return f"SMTP reply {reply}"
        # Every recipient refused (aiosmtplib's SMTPRecipientsRefused): their codes, in order.
        codes = [getattr(refused, "code", None) for refused in getattr(error, "recipients", [])]
        known = [str(code) for code in codes if isinstance(code, int)]
        if known:
            return f"SMTP replies {', '.join(known)}"
        # Without a reply code the text is the library's own (no STARTTLS, a TLS or connection
        # failure): it names the server, never a recipient.
        return _text(error, str)[:300] or LEFT_OUT
    if isinstance(error, OSError | TimeoutError | AMQPError):
        return _text(error, str)  # servers, ports, reply codes: nothing from an event
    return LEFT_OUT


def _described(error: BaseException) -> str:
    return f"{type(error).__name__}: {summary(error)}"


def stored_error(error: BaseException) -> str:
    """An error as it may be stored (a mail's or outbox row's `last_error`): classes and the safe parts.

    The error and its causes, each as `logs.summary` tells it: an SMTP reply's code but not its
    text (which often repeats the address), a TLS or connection failure's text, never an event.
    """
    parts, seen = [], set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        parts.append(f"{type(current).__name__}: {summary(current)}")
        current = current.__cause__ or current.__context__
    return " <- ".join(parts)[:1000]


def _text(error: BaseException, render: Callable[[object], str]) -> str:
    try:
        return render(error)
    except Exception:
        return ""


def _chain(error: BaseException) -> list[BaseException]:
    """The exception and those it arose from, newest first, as a traceback shows them in reverse."""
    chain: list[BaseException] = []
    link: BaseException | None = error
    while link is not None and link not in chain:
        chain.append(link)
        link = link.__cause__ or (None if link.__suppress_context__ else link.__context__)
    return chain


def _trace(error: BaseException) -> str:
    parts: list[str] = []
    for link in reversed(_chain(error)):
        if parts:
            parts.append("\nThe above exception led to the following exception:\n\n")
        parts.append("Traceback (most recent call last):\n")
        parts.extend(traceback.format_tb(link.__traceback__))
        parts.append(f"{type(link).__module__}.{type(link).__qualname__}: {summary(link)}\n")
    return "".join(parts).rstrip("\n")
