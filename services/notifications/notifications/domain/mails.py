"""The e-mails about a scheduled course, in plain Dutch (B1): one to the teacher, one per contact.

Pure functions: the same event gives the same mails, including their Message-ID, so that a
repeat is recognisable by the receiving side too.
"""

from __future__ import annotations

import email.utils
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from typing import Literal
from zoneinfo import ZoneInfo

from taalhuis_shared.events import ContactPerson, CourseRef, CourseScheduled, GroupMember, Session

# Written out here: the machine's locale may not be Dutch, or may not exist at all.
DAYS = ["maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"]
MONTHS = [
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
]
COURSE_NAMES = {"klik-en-tik": "Klik & Tik", "digisterker": "Digisterker"}

# Any fixed UUID: it only has to stay the same, so that Message-IDs stay the same.
MESSAGE_ID_NAMESPACE = uuid.UUID("6f1d8a52-3c1e-4c55-9a43-2b7f0e6c1d90")

SIGNATURE = "Met vriendelijke groet,\nHet Taalhuis van de bibliotheek"

Role = Literal["teacher", "contact"]


@dataclass(frozen=True)
class Mail:
    """One e-mail to one person, ready to keep in the mail outbox."""

    recipient_role: Role
    recipient: str
    subject: str
    body: str
    message_id: str


def course_title(course: CourseRef) -> str:
    """`Klik & Tik niveau 1`; an unknown course type is shown as it came."""
    return f"{COURSE_NAMES.get(course.type, course.type)} niveau {course.level}"


def day_and_month(moment: datetime) -> str:
    """`dinsdag 8 december`."""
    return f"{DAYS[moment.weekday()]} {moment.day} {MONTHS[moment.month - 1]}"


def course_title_en(course: CourseRef) -> str:
    return f"{COURSE_NAMES.get(course.type, course.type)} level {course.level}"


def dutch_date(moment: datetime) -> str:
    """`dinsdag 8 december 2026`."""
    return f"{day_and_month(moment)} {moment.year}"


def session_line(session: Session, timezone: ZoneInfo) -> str:
    """`dinsdag 8 december 2026, 13:30 tot 15:30`, in the library's own time zone."""
    start, end = session.start.astimezone(timezone), session.end.astimezone(timezone)
    return f"{dutch_date(start)}, {start:%H:%M} tot {end:%H:%M}"


def message_id(event_id: str, recipient: str, domain: str) -> str:
    """An RFC 5322 Message-ID made from the event and the recipient: a repeat gets the same one."""
    key = uuid.uuid5(MESSAGE_ID_NAMESPACE, f"{event_id}\n{recipient.casefold()}")
    return f"<{key}@{domain}>"


def subject(course: CourseScheduled, timezone: ZoneInfo) -> str:
    """`Cursus Klik & Tik niveau 1: start op dinsdag 8 december`."""
    first = min(course.sessions, key=lambda s: s.start).start.astimezone(timezone)
    return f"Cursus {course_title(course.course)}: start op {day_and_month(first)}"


def _bullets(lines: Iterable[str]) -> str:
    return "\n".join(f"- {line}" for line in lines)


def _sessions(course: CourseScheduled, timezone: ZoneInfo) -> str:
    ordered = sorted(course.sessions, key=lambda s: s.start)
    return _bullets(session_line(s, timezone) for s in ordered)


def _place(course: CourseScheduled) -> str:
    return f"{course.location.name}\n{course.location.address}"


def _names(participants: Iterable[GroupMember]) -> str:
    return _bullets(p.display_name for p in participants)


def _contacts(course: CourseScheduled) -> str:
    contacts = _distinct_contacts(course)
    if not contacts:
        return ""
    whom = "de contactpersoon" if len(contacts) == 1 else "de contactpersonen"
    return (
        "De deelnemers horen het van hun werkgever. Heb je een vraag over een deelnemer? "
        f"Stuur dan een e-mail aan {whom}:\n" + _bullets(f"{c.name}, {c.email}" for c, _ in contacts)
    )


def _paragraphs(*paragraphs: str) -> str:
    return "\n\n".join(p for p in paragraphs if p)


def teacher_body(course: CourseScheduled, timezone: ZoneInfo) -> str:
    participants = (
        f"Deze deelnemers doen mee:\n{_names(course.participants)}"
        if course.participants
        else "Er staan nog geen deelnemers op de lijst."
    )
    return _paragraphs(
        f"Beste {course.teacher.name},",
        f"Je geeft de cursus {course_title(course.course)}. Hier staat wat je moet weten.",
        f"De cursus heeft {len(course.sessions)} lessen:\n{_sessions(course, timezone)}",
        f"De lessen zijn hier:\n{_place(course)}",
        participants,
        _contacts(course),
        "Heb je een andere vraag? Stuur dan een antwoord op deze e-mail.",
        SIGNATURE,
        f"English: you teach {course_title_en(course.course)}. Above are the sessions, the place, "
        "the participants and the employer's contact person.",
    )


def contact_body(
    course: CourseScheduled, contact: ContactPerson, employees: list[GroupMember], timezone: ZoneInfo
) -> str:
    who = (
        f"Deze medewerkers van u doen mee:\n{_names(employees)}"
        if employees
        else "Er staan nu geen medewerkers van u in deze groep."
    )
    return _paragraphs(
        f"Beste {contact.name},",
        f"De bibliotheek geeft de cursus {course_title(course.course)}.",
        who,
        f"De cursus heeft {len(course.sessions)} lessen:\n{_sessions(course, timezone)}",
        f"De lessen zijn hier:\n{_place(course)}",
        "Wilt u dit aan uw medewerkers vertellen? Veel deelnemers hebben geen e-mail. "
        "Zij horen het dus van u.",
        "Kan iemand niet komen? Of heeft u een vraag? Stuur dan een antwoord op deze e-mail.",
        SIGNATURE,
        f"English: your employees listed above take the course {course_title_en(course.course)}. "
        "Please tell them the dates, times and place.",
    )


def _distinct_contacts(course: CourseScheduled) -> list[tuple[ContactPerson, set[str]]]:
    """Each contact person once (by address), with the partners they speak for."""
    found: dict[str, tuple[ContactPerson, set[str]]] = {}
    for entry in course.contacts:
        _, partners = found.setdefault(str(entry.contact.email).casefold(), (entry.contact, set()))
        partners.add(entry.partner_id)
    return list(found.values())


def course_mails(
    event_id: str, course: CourseScheduled, *, timezone: ZoneInfo, mail_domain: str
) -> list[Mail]:
    """The teacher's mail and one per distinct contact person, for one CourseScheduled event."""
    title = subject(course, timezone)
    teacher = str(course.teacher.email)
    mails = [
        Mail(
            "teacher",
            teacher,
            title,
            teacher_body(course, timezone),
            message_id(event_id, teacher, mail_domain),
        )
    ]
    for contact, partners in _distinct_contacts(course):
        address = str(contact.email)
        # The teacher's mail already says everything; one address gets one mail per event.
        if address.casefold() == teacher.casefold():
            continue
        employees = [p for p in course.participants if p.partner_id in partners]
        mails.append(
            Mail(
                "contact",
                address,
                title,
                contact_body(course, contact, employees, timezone),
                message_id(event_id, address, mail_domain),
            )
        )
    return mails


def as_email(mail: Mail, *, mail_from: str, composed_at: datetime) -> EmailMessage:
    """The message as it goes over SMTP; the same on every attempt, dated when it was composed."""
    message = EmailMessage()
    message["Message-ID"] = mail.message_id
    message["Date"] = email.utils.format_datetime(composed_at)
    message["From"] = mail_from
    message["To"] = mail.recipient
    message["Subject"] = mail.subject
    message.set_content(mail.body)
    return message


def bare_address(mail_from: str) -> str:
    """`taalhuis@bibliotheekgouda.nl`, also from `Taalhuis Gouda <taalhuis@bibliotheekgouda.nl>`."""
    return email.utils.parseaddr(mail_from)[1]


def domain_of(mail_from: str) -> str:
    """The part after the @, for Message-IDs: `bibliotheekgouda.nl`."""
    _, at, domain = bare_address(mail_from).rpartition("@")
    return domain if at and domain else "localhost"
