"""Composing e-mails from notices: Jinja2 templates (plain text and HTML), subject and calendar.

Pure functions: the same notices give the same mail, including its Message-ID, so that a repeat
is recognisable by the receiving side too. Dutch (B1) by default; English, for every kind and
the calendar invitation too, where a recipient reads English.
"""

from __future__ import annotations

import email.utils
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2

from . import calendar
from .notices import Language, Notice, one_line

# Written out here: the machine's locale may not be Dutch, or may not exist at all.
DAYS = {
    "nl": ["maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"],
    "en": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
}
MONTHS = {
    "nl": [
        "januari",
        "februari",
        "maart",
        "april",
        "mei",
        "juni",
        "juli",
        "augustus",
        "september",
        "oktober",
        "november",
        "december",
    ],
    "en": [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
}
COURSE_NAMES = {"klik-en-tik": "Klik & Tik", "digisterker": "Digisterker"}
LEVEL = {"nl": "niveau", "en": "level"}

# Any fixed UUID: it only has to stay the same, so that Message-IDs stay the same.
MESSAGE_ID_NAMESPACE = uuid.UUID("6f1d8a52-3c1e-4c55-9a43-2b7f0e6c1d90")

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
_environment = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES),
    # HTML escapes every value from an event; the plain-text part has nothing to escape.
    autoescape=jinja2.select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
    undefined=jinja2.StrictUndefined,
)

SUBJECTS: dict[str, dict[str, str]] = {
    "nl": {
        "referrals": "Antwoord op uw aanmeldingen",
        "digest": "Overzicht: aanmeldingen die niet zijn aangenomen",
        "group": "Groep {title} is compleet",
        "course": "Cursus {title}: start op {first}",
        "cancellation": "Lessen gaan niet door",
        "change": "Wijziging in de cursus",
        "unschedulable": "Actie nodig: groep {title} kan niet worden ingepland",
        "refused": "E-mail niet afgeleverd",
    },
    "en": {
        "referrals": "Answer to your referrals",
        "digest": "Overview: referrals that were not accepted",
        "group": "Group {title} is full",
        "course": "Course {title}: starts on {first}",
        "cancellation": "Sessions cancelled",
        "change": "Change to your course",
        "unschedulable": "Action needed: group {title} cannot be scheduled",
        "refused": "E-mail not delivered",
    },
}


@dataclass(frozen=True)
class Mail:
    """One composed e-mail to one person, ready to keep in the mail outbox."""

    kind: str
    recipient_role: str
    recipient: str
    recipient_name: str | None
    subject: str
    text: str
    html: str
    calendar: bytes | None
    message_id: str


class Words:
    """Dates, times and course names in one language and time zone, for the templates."""

    def __init__(self, language: Language, timezone: ZoneInfo) -> None:
        self.language, self.timezone = language, timezone

    def moment(self, iso: str) -> datetime:
        return datetime.fromisoformat(iso).astimezone(self.timezone)

    def date(self, value: str | date) -> str:
        """`dinsdag 8 december 2026` / `Tuesday 8 December 2026`, from a moment or a day."""
        if isinstance(value, str):
            value = self.moment(value).date() if "T" in value else date.fromisoformat(value)
        days, months = DAYS[self.language], MONTHS[self.language]
        return f"{days[value.weekday()]} {value.day} {months[value.month - 1]} {value.year}"

    def time(self, iso: str) -> str:
        return f"{self.moment(iso):%H:%M}"

    def when(self, iso: str) -> str:
        """`dinsdag 8 december 2026 om 13:30`."""
        return f"{self.date(iso)} {'om' if self.language == 'nl' else 'at'} {self.time(iso)}"

    def session(self, session: dict[str, Any]) -> str:
        """`dinsdag 8 december 2026, 13:30 tot 15:30`."""
        until = "tot" if self.language == "nl" else "to"
        start, end = session["start"], session["end"]
        return f"{self.date(start)}, {self.time(start)} {until} {self.time(end)}"

    def place(self, session: dict[str, Any]) -> str:
        room = session.get("room")
        word = "zaal" if self.language == "nl" else "room"
        return f"{session['location']}, {session['address']}" + (f", {word} {room}" if room else "")

    def title(self, course: dict[str, Any]) -> str:
        """`Klik & Tik niveau 1`; an unknown course type is shown as it came."""
        return f"{COURSE_NAMES.get(course['type'], course['type'])} {LEVEL[self.language]} {course['level']}"


def course_title(course: dict[str, Any], language: Language = "nl") -> str:
    return Words(language, ZoneInfo("UTC")).title(course)


def message_id(notice_keys: Sequence[str], domain: str) -> str:
    """An RFC 5322 Message-ID made from the notices it tells: the same notices, the same id."""
    key = uuid.uuid5(MESSAGE_ID_NAMESPACE, "\n".join(sorted(k.casefold() for k in notice_keys)))
    return f"<{key}@{domain}>"


def subject(kind: str, language: Language, items: Sequence[dict[str, Any]], words: Words) -> str:
    first = items[0]
    course = first.get("course")
    starts = [s["start"] for item in items for s in item.get("sessions", [])]
    text = SUBJECTS[language][kind].format(
        title=words.title(course) if course else "",
        first=words.date(min(starts)).rsplit(" ", 1)[0] if starts else "",
    )
    return one_line(text)


def compose(
    notices: Sequence[Notice], *, timezone: ZoneInfo, mail_from: str, mail_domain: str, now: datetime
) -> Mail:
    """One e-mail from all notices of one batch (one recipient, one kind, one language), composed `now`."""
    head = notices[0]
    language = head.language
    words = Words(language, timezone)
    items = [n.payload for n in notices]
    context = {"name": head.recipient_name, "role": head.role, "items": items, "w": words}
    text = _environment.get_template(f"{language}/{head.kind}.txt").render(context)
    html = _environment.get_template(f"{language}/{head.kind}.html").render(context)
    invitation = None
    if head.role == "staff":
        invitation = calendar.invitation(
            head.kind,
            items,
            organizer=mail_from,
            attendee=head.recipient,
            attendee_name=head.recipient_name,
            summary=words.title,
            language=language,
            now=now,
        )
    return Mail(
        head.kind,
        head.role,
        head.recipient,
        head.recipient_name,
        subject(head.kind, language, items, words),
        text,
        html,
        invitation,
        message_id([n.key for n in notices], mail_domain),
    )


def address(addr_spec: str, display_name: str | None = None) -> Address:
    """A header address; the display name can hold no line break, so it cannot add a header."""
    return Address(display_name=one_line(display_name or ""), addr_spec=one_line(addr_spec))


def as_email(mail: Mail, *, mail_from: str, composed_at: datetime) -> EmailMessage:
    """The message as it goes over SMTP; the same on every attempt, dated when it was composed."""
    message = EmailMessage()
    message["Message-ID"] = mail.message_id
    message["Date"] = email.utils.format_datetime(composed_at)
    message["From"] = mail_from
    message["To"] = address(mail.recipient, mail.recipient_name)
    message["Subject"] = one_line(mail.subject)
    message.set_content(mail.text)
    message.add_alternative(mail.html, subtype="html")
    if mail.calendar is not None:
        method = calendar.method_of(mail.calendar)
        message.add_attachment(
            mail.calendar,
            maintype="text",
            subtype="calendar",
            filename="uitnodiging.ics",
            params={"method": method},
        )
    return message


def bare_address(mail_from: str) -> str:
    """`taalhuis@bibliotheekgouda.nl`, also from `Taalhuis Gouda <taalhuis@bibliotheekgouda.nl>`."""
    return email.utils.parseaddr(mail_from)[1]


def domain_of(mail_from: str) -> str:
    """The part after the @, for Message-IDs: `bibliotheekgouda.nl`."""
    _, at, domain = bare_address(mail_from).rpartition("@")
    return domain if at and domain else "localhost"
