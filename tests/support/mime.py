"""Reading received e-mails as a mail program would: text and HTML parts, calendar attachments.

Also an SMTP server that refuses some recipients for good (550), as for a wrong address, and
one that offers STARTTLS and notes which mails came over TLS.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from icalendar import Calendar

from .smtp import Mailbox, SmtpServer


def text_part(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None, "no text/plain part"
    return str(part.get_content())


def html_part(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("html",))
    assert part is not None, "no text/html part"
    return str(part.get_content())


def calendars(message: EmailMessage) -> list[Calendar]:
    """Every text/calendar part, parsed with icalendar."""
    found = []
    for part in message.walk():
        if part.get_content_type() == "text/calendar":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            found.append(Calendar.from_ical(payload))
    return found


def events_of(calendar: Calendar) -> list[Any]:
    return list(calendar.walk("VEVENT"))


def sessions_of(calendar: Calendar) -> list[Any]:
    """The sessions of a course's series: its overrides (RECURRENCE-ID), by start."""
    found = [event for event in events_of(calendar) if "recurrence-id" in event]
    return sorted(found, key=lambda event: event.decoded("dtstart"))


def series_of(calendar: Calendar) -> Any:
    """The series itself: the one event without a RECURRENCE-ID."""
    [master] = [event for event in events_of(calendar) if "recurrence-id" not in event]
    return master


@dataclass
class RefusingMailbox(Mailbox):
    """Refuses the listed recipients with a permanent 550, and counts how often each was tried."""

    refused: set[str] = field(default_factory=set)
    refusals: list[str] = field(default_factory=list)

    async def handle_RCPT(  # noqa: N802 (aiosmtpd's name)
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if address in self.refused:
            self.refusals.append(address)
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"


class RefusingSmtpServer(SmtpServer):
    def __init__(self, refused: set[str]) -> None:
        super().__init__()
        self.refusing = RefusingMailbox(refused=refused)
        self.mailbox = self.refusing
        self._controller = Controller(self.refusing, hostname="127.0.0.1", port=self.port)


@dataclass
class TlsMailbox(Mailbox):
    """Notes, for each mail received, whether its connection was upgraded with STARTTLS."""

    over_tls: list[bool] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd's name)
        self.over_tls.append(session.ssl is not None)
        return await super().handle_DATA(server, session, envelope)


class StartTlsSmtpServer(SmtpServer):
    """Offers STARTTLS with the given certificate; does not demand it."""

    def __init__(self, certificate: Path, key: Path) -> None:
        super().__init__()
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(certificate, key)
        self.tls_mailbox = TlsMailbox()
        self.mailbox = self.tls_mailbox
        self._controller = Controller(
            self.tls_mailbox, hostname="127.0.0.1", port=self.port, tls_context=context
        )
