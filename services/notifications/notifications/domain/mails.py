"""Composing e-mails from notices: Jinja2 templates (plain text and HTML), subject and calendar.

Pure functions: the same notices give the same mail, including its Message-ID, so that a repeat
is recognisable by the receiving side too. Dutch (B1) by default; English, for every kind and
the calendar invitation too, where a recipient reads English. The words are in the message
catalogues (`wording`); one template per kind serves both languages.
"""

from __future__ import annotations

import email.policy
import email.utils
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address, BaseHeader, HeaderRegistry
from email.message import EmailMessage
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from babel.support import Translations

from . import calendar, sections
from .notices import Notice, one_line
from .wording import Language, Words, translations

# Any fixed UUID: it only has to stay the same, so that Message-IDs stay the same.
MESSAGE_ID_NAMESPACE = uuid.UUID("6f1d8a52-3c1e-4c55-9a43-2b7f0e6c1d90")

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


class Headers(HeaderRegistry):
    """The standard library's header registry, making each kind of header's class once.

    `HeaderRegistry` builds a new class for every header set (`type(...)` in `__getitem__`),
    about 18 a mail; made once, the same headers cost a fraction.
    """

    def __init__(self) -> None:
        super().__init__()
        self._made: dict[str, type[BaseHeader]] = {}

    def __getitem__(self, name: str) -> type[BaseHeader]:
        key = name.lower()
        made = self._made.get(key)
        if made is None:
            made = self._made[key] = super().__getitem__(name)
        return made


# How a mail goes over SMTP: RFC 5322 with CRLF line ends, the header classes made once.
SMTP_POLICY = email.policy.SMTP.clone(header_factory=Headers())


@cache
def environment(language: Language) -> jinja2.Environment:
    """The templates with the language's catalogue: `_`, `ngettext` and `pgettext` (new style)."""
    templates = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        # HTML escapes every value from an event; the plain-text part has nothing to escape.
        autoescape=jinja2.select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
        extensions=["jinja2.ext.i18n"],
    )
    templates.install_gettext_translations(translations(language), newstyle=True)  # type: ignore[attr-defined]
    return templates


def subject_line(kind: str, t: Translations) -> str:
    """The subject of each kind of mail; `{title}` is the course, `{first}` its first day."""
    subjects = {
        "referrals": t.gettext("Answer to your referrals"),
        "digest": t.gettext("Overview: referrals that were not accepted"),
        "group": t.gettext("Group {title} is full"),
        "course": t.gettext("Course {title}: starts on {first}"),
        "cancellation": t.gettext("Sessions cancelled"),
        "change": t.gettext("Change to your course"),
        "unschedulable": t.gettext("Action needed: group {title} cannot be scheduled"),
        "refused": t.gettext("E-mail not delivered"),
        "measure": t.gettext("Measures: what has changed"),
    }
    return subjects[kind]


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
    # One invitation per course the mail concerns (`calendar.invitations`); none for most mails.
    calendars: tuple[bytes, ...]
    message_id: str


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
    text = subject_line(kind, words.t).format(
        title=words.title(course) if course else "",
        first=words.day(min(starts)) if starts else "",
    )
    return one_line(text)


def compose(
    notices: Sequence[Notice],
    *,
    timezone: ZoneInfo,
    mail_from: str,
    mail_domain: str,
    now: datetime,
    feed: calendar.FeedLinks | None = None,
) -> Mail:
    """One e-mail from all notices of one batch (one recipient, one kind, one language), composed `now`.

    With `feed`, a staff member's course mail gives the link to their calendar feed.
    """
    head = notices[0]
    language = head.language
    words = Words(language, timezone)
    items = [n.payload for n in notices]
    context = {
        "name": head.recipient_name,
        "role": head.role,
        "items": items,
        "sections": sections.by_group(head.kind, items, now),
        "w": words,
        "feed_url": feed.url_for(head.recipient) if feed is not None and head.role == "staff" else None,
    }
    templates = environment(language)
    # Optional paragraphs leave blank lines behind: never more than one in a row.
    text = re.sub(r"\n{3,}", "\n\n", templates.get_template(f"{head.kind}.txt").render(context))
    html = templates.get_template(f"{head.kind}.html").render(context)
    invitations: list[bytes] = []
    if head.role == "staff":
        invitations = calendar.invitations(
            items,
            organizer=mail_from,
            attendee=head.recipient,
            attendee_name=head.recipient_name,
            words=words,
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
        tuple(invitations),
        message_id([n.key for n in notices], mail_domain),
    )


def address(addr_spec: str, display_name: str | None = None) -> Address:
    """A header address; the display name can hold no line break, so it cannot add a header."""
    return Address(display_name=one_line(display_name or ""), addr_spec=one_line(addr_spec))


def as_email(mail: Mail, *, mail_from: str, composed_at: datetime) -> EmailMessage:
    """The message as it goes over SMTP; the same on every attempt, dated when it was composed.

    Its bytes: `message.as_bytes()` (its policy is `SMTP_POLICY`).
    """
    message = EmailMessage(policy=SMTP_POLICY)
    message["Message-ID"] = mail.message_id
    message["Date"] = email.utils.format_datetime(composed_at)
    message["From"] = mail_from
    message["To"] = address(mail.recipient, mail.recipient_name)
    message["Subject"] = one_line(mail.subject)
    message.set_content(mail.text)
    message.add_alternative(mail.html, subtype="html")
    for number, invitation in enumerate(mail.calendars, start=1):
        # One name for every language; numbered when a mail concerns several courses.
        name = "taalhuis.ics" if len(mail.calendars) == 1 else f"taalhuis-{number}.ics"
        message.add_attachment(
            invitation,
            maintype="text",
            subtype="calendar",
            filename=name,
            params={"method": calendar.method_of(invitation)},
        )
    return message


def bare_address(mail_from: str) -> str:
    """`taalhuis@bibliotheekgouda.nl`, also from `Taalhuis Gouda <taalhuis@bibliotheekgouda.nl>`."""
    return email.utils.parseaddr(mail_from)[1]


def domain_of(mail_from: str) -> str:
    """The part after the @, for Message-IDs: `bibliotheekgouda.nl`."""
    _, at, domain = bare_address(mail_from).rpartition("@")
    return domain if at and domain else "localhost"
