"""Who must be told what about an event: notices, one per recipient, before they become e-mails.

Pure functions. A notice holds the facts one reader needs (as JSON); the mail sender later
composes one e-mail from all notices of a batch. Changes and referral answers to one person are
batched within a window, so a measure that cancels twenty sessions gives each person one e-mail.

A measure (a lockdown) reaches notifications as thousands of events over minutes. Their notices
are *held* for the measure (`Notice.held_for`) until scheduling's `MeasuresApplied` says the
measure is done, so that each person still gets one mail however long the stream takes. The
coordinator does not get a notice per cancelled session or paused course of a measure (at
a national lockdown one mail listing 25,000 sessions): one summary from `MeasuresApplied`
instead; the console's timetable shows every course.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from taalhuis_shared.events import (
    CoursePaused,
    CourseResumed,
    CourseScheduled,
    EventData,
    GroupChanged,
    GroupFilled,
    GroupMember,
    GroupUnschedulable,
    Location,
    MeasuresApplied,
    PartnerContact,
    ReferralAccepted,
    ReferralRejected,
    Session,
    SessionCancelled,
    SessionRescheduled,
    StaffMember,
    Teacher,
)

from . import groups
from .groups import Known

Kind = Literal[
    "referrals", "digest", "group", "course", "cancellation", "change", "unschedulable", "refused", "measure"
]
Role = Literal["staff", "contact", "coordinator"]
Language = Literal["nl", "en"]
Window = Literal["now", "batch", "digest"]

# How long notices of a kind wait for others to the same person before they become one mail.
WINDOWS: dict[str, Window] = {
    "referrals": "batch",
    "cancellation": "batch",
    "change": "batch",
    "digest": "digest",
}


@dataclass(frozen=True)
class Notice:
    """One thing to tell one person; `origin` is the event (or mail) it comes from."""

    origin: str
    kind: Kind
    role: Role
    recipient: str
    recipient_name: str | None
    language: Language
    payload: dict[str, Any]
    # The measure whose `MeasuresApplied` the notice waits for (`hold_of`), or None.
    held_for: str | None = None

    @property
    def key(self) -> str:
        return f"{self.origin}/{self.kind}/{self.recipient.casefold()}"

    @property
    def window(self) -> Window:
        return WINDOWS.get(self.kind, "now")

    @property
    def batch_key(self) -> str:
        """Notices with the same batch key become one e-mail; unbatched kinds one per event."""
        key = f"{self.kind}/{self.role}/{self.language}/{self.recipient.casefold()}"
        return key if self.window != "now" else f"{key}/{self.origin}"


@dataclass(frozen=True)
class Audience:
    """Who the library is: the coordinator, the partners' contacts, who reads English."""

    coordinator: str
    partner_contacts: dict[str, str] = field(default_factory=dict)
    languages: dict[str, Language] = field(default_factory=dict)

    def language_of(self, address: str) -> Language:
        folded = {a.casefold(): language for a, language in self.languages.items()}
        return folded.get(address.casefold(), "nl")


def hold_of(data: EventData) -> str | None:
    """The hold a measure's events share: `<measure id>/announced`, released by its MeasuresApplied.

    Only announcing: scheduling publishes the measure's cancellations and pauses, then its
    `MeasuresApplied`, from one transaction, in order. Lifting is not held: the sessions it
    moves (`SessionRescheduled`) do not name the measure.
    """
    match data:
        case SessionCancelled(measure_id=str(measure_id)) | CoursePaused(measure_id=measure_id):
            return f"{measure_id}/announced"
        case MeasuresApplied(action="announced"):
            return f"{data.measure_id}/announced"
    return None


def _measure_caused(data: EventData) -> bool:
    """Whether the event is one of many a measure causes: the coordinator hears the summary instead."""
    match data:
        case SessionCancelled(measure_id=str()) | CoursePaused() | CourseResumed():
            return True
        case SessionRescheduled(reason_code="measures-lifted"):
            return True
    return False


def one_line(text: str) -> str:
    """Text from an event on one line: a line break can never start a header or a paragraph."""
    return " ".join(text.split())


def names(members: Iterable[GroupMember]) -> list[str]:
    return [one_line(m.display_name) for m in members]


def staff_list(people: Iterable[StaffMember]) -> list[dict[str, str]]:
    return [{"name": one_line(p.name), "email": str(p.email)} for p in people]


def session_facts(
    course_id: str,
    session: Session,
    location: Location,
    teacher: Teacher,
    known: Known | None = None,
    before: Known | None = None,
) -> dict[str, Any]:
    """Everything about one session that staff and partners read, and the calendar needs.

    `known` is the group after the event: the session's number is its place by date there.
    `before` is the group before it: a teacher who changed is named with the one before.
    """
    place = session.location or location
    uid = groups.session_uid(course_id, session)
    name = one_line((session.teacher or teacher).name)
    previous = groups.teacher_before(before, uid)
    return {
        "uid": uid,
        "sequence": session.revision,
        "number": groups.number_of(known or {}, uid, session.number),
        "start": session.start.isoformat(),
        "end": session.end.isoformat(),
        "location": one_line(place.name),
        "address": one_line(place.address),
        "room": one_line(session.room) if session.room else None,
        "ipads": session.ipads,
        "setup_start": session.setup_start.isoformat() if session.setup_start else None,
        "teacher": name,
        "previous_teacher": previous if previous and previous != name else None,
        "volunteers": [one_line(v.name) for v in session.volunteers],
    }


def _staff_of(session: Session, teacher: Teacher) -> list[StaffMember]:
    return [session.teacher or teacher, *session.volunteers]


def _contacts(contacts: Sequence[PartnerContact]) -> list[tuple[str, str, set[str]]]:
    """Each contact person once (by address): address, name, and the partners they speak for."""
    found: dict[str, tuple[str, str, set[str]]] = {}
    for entry in contacts:
        address = str(entry.contact.email)
        _, _, partners = found.setdefault(address.casefold(), (address, one_line(entry.contact.name), set()))
        partners.add(entry.partner_id)
    return list(found.values())


def _course(data: Any) -> dict[str, Any]:
    # The group id is for the shredder (which notices name a group), never shown in a mail.
    return {"type": data.course.type, "level": data.course.level, "group_id": data.group_id}


def _group(known: Known) -> dict[str, Any]:
    """How a mail names the group: course, level, language group, place and first date."""
    return {**groups.name_of(known), "course": known.get("course")}


class _Notices:
    """Collects an event's notices; one address gets one notice per event (staff before others).

    `known` and `before` are the group after and before the event (see `groups`).
    """

    def __init__(
        self,
        origin: str,
        kind: Kind,
        audience: Audience,
        known: Known,
        before: Known | None = None,
        data: EventData | None = None,
    ) -> None:
        self.origin, self.kind, self.audience = origin, kind, audience
        self.known, self.before = known, before
        self.held_for = hold_of(data) if data is not None else None
        self.tells_coordinator = data is None or not _measure_caused(data)
        self.notices: list[Notice] = []

    def add(
        self, role: Role, recipient: str, name: str | None, payload: dict[str, Any], kind: Kind | None = None
    ) -> None:
        if any(n.recipient.casefold() == recipient.casefold() for n in self.notices):
            return
        language = self.audience.language_of(recipient)
        notice = Notice(
            self.origin, kind or self.kind, role, recipient, name, language, payload, self.held_for
        )
        self.notices.append(notice)

    def facts(
        self, course_id: str, sessions: Sequence[Session], location: Location, teacher: Teacher
    ) -> list[dict[str, Any]]:
        """The sessions' facts, by date."""
        return [
            session_facts(course_id, s, location, teacher, self.known, self.before)
            for s in sorted(sessions, key=lambda s: s.start)
        ]

    def staff(
        self,
        sessions: Sequence[Session],
        teacher: Teacher,
        payload: dict[str, Any],
        course_id: str,
        location: Location,
    ) -> None:
        """Each staff member once, with only the sessions they work at."""
        theirs: dict[str, tuple[StaffMember, list[dict[str, Any]]]] = {}
        for session in sorted(sessions, key=lambda s: s.start):
            for person in _staff_of(session, teacher):
                _, listed = theirs.setdefault(str(person.email).casefold(), (person, []))
                listed.extend(self.facts(course_id, [session], location, teacher))
        for person, listed in theirs.values():
            address = str(person.email)
            # The calendar: every session of the course this person works at, as known now.
            series = groups.series_for(self.known, address)
            facts = {**payload, "sessions": listed, "series": series}
            self.add("staff", address, one_line(person.name), facts)

    def contacts(
        self, contacts: Sequence[PartnerContact], members: Sequence[GroupMember], payload: dict[str, Any]
    ) -> None:
        for address, name, partners in _contacts(contacts):
            employees = names(m for m in members if m.partner_id in partners)
            self.add("contact", address, name, {**payload, "employees": employees})

    def coordinator(self, payload: dict[str, Any], kind: Kind | None = None) -> None:
        if self.tells_coordinator:
            self.add("coordinator", self.audience.coordinator, None, payload, kind)


def notices_for(
    origin: str,
    data: EventData,
    audience: Audience,
    group_staff: Sequence[dict[str, str]] = (),
    known: Known | None = None,
) -> list[Notice]:
    """The notices one event gives.

    `group_staff` is the group's staff, for GroupChanged; `known` what was known of the group
    before the event (`groups.learn`), to name it, number its sessions and see a teacher change.
    """
    after = groups.learn(known, data)
    match data:
        case ReferralAccepted() | ReferralRejected():
            return _referral(origin, data, audience)
        case GroupFilled():
            return _group_filled(_Notices(origin, "group", audience, after), data)
        case CourseScheduled():
            return _planned(_Notices(origin, "course", audience, after, known, data), data)
        case CourseResumed():
            return _planned(_Notices(origin, "change", audience, after, known, data), data)
        case SessionCancelled():
            return _session(_Notices(origin, "cancellation", audience, after, known, data), data)
        case SessionRescheduled():
            return _session(_Notices(origin, "change", audience, after, known, data), data)
        case CoursePaused():
            return _paused(_Notices(origin, "cancellation", audience, after, known, data), data)
        case GroupChanged():
            return _group_changed(_Notices(origin, "change", audience, after), data, group_staff)
        case MeasuresApplied():
            return _measure(origin, data, audience)
        case GroupUnschedulable():
            out = _Notices(origin, "unschedulable", audience, after)
            out.coordinator(
                {
                    "event": "GroupUnschedulable",
                    "course": _course(data),
                    "group": _group(after),
                    "reason_code": data.reason_code,
                    "reason": one_line(data.reason),
                    "reason_en": one_line(data.reason_en),
                }
            )
            return out.notices
    return []


def _referral(origin: str, data: ReferralAccepted | ReferralRejected, audience: Audience) -> list[Notice]:
    out = _Notices(origin, "referrals", audience, {})
    reference = one_line(data.partner_referral_id)
    payload: dict[str, Any] = {
        "event": data.event_type,
        "partner_referral_id": reference,
        # Enrolment sent the answer to the partner's configured contact, not the one named.
        "contact_replaced": data.contact_replaced,
    }
    if isinstance(data, ReferralAccepted):
        payload |= {
            "course": {"type": data.course.type, "level": data.course.level},
            "waiting_position": data.waiting_position,
        }
    else:
        payload |= {
            "reason_code": data.reason_code,
            "reason": one_line(data.reason),
            "reason_en": one_line(data.reason_en),
            "retake_possible_from": data.retake_possible_from.isoformat()
            if data.retake_possible_from
            else None,
        }
    # The contact person enrolment chose (the partner's configured one when the referral named
    # another address); PARTNER_CONTACTS only for answers that name none (unknown partners,
    # events from before answers carried a contact).
    if data.contact is not None:
        out.add("contact", str(data.contact.email), data.contact.name, payload)
    elif contact := audience.partner_contacts.get(data.partner_id):
        out.add("contact", contact, None, payload)
    if isinstance(data, ReferralRejected):
        out.coordinator({**payload, "partner_id": one_line(data.partner_id)}, kind="digest")
    return out.notices


def _measure(origin: str, data: MeasuresApplied, audience: Audience) -> list[Notice]:
    """The coordinator's one summary of what announcing or lifting a measure changed.

    A repeated announcement (`known-already`) changed nothing and has been told before: no mail.
    """
    if data.outcome == "known-already":
        return []
    out = _Notices(origin, "measure", audience, {})
    out.coordinator(
        {
            "event": "MeasuresApplied",
            "measure_id": one_line(data.measure_id),
            "action": data.action,
            "outcome": data.outcome,
            "sessions_cancelled": data.sessions_cancelled,
            "courses_paused": data.courses_paused,
            "courses_resumed": data.courses_resumed,
            "courses_still_paused": data.courses_still_paused,
        }
    )
    return out.notices


def _group_filled(out: _Notices, data: GroupFilled) -> list[Notice]:
    payload = {
        "event": "GroupFilled",
        "course": _course(data),
        "group": _group(out.known),
        "size": len(data.participants),
        "closed_early": data.closed_early,
    }
    out.contacts(data.contacts, data.participants, payload)
    out.coordinator(
        {
            **payload,
            "participants": [
                {"name": one_line(m.display_name), "partner": one_line(m.partner_id)}
                for m in data.participants
            ],
        }
    )
    return out.notices


def _place(location: Location) -> dict[str, str]:
    return {"name": one_line(location.name), "address": one_line(location.address)}


def _planned(out: _Notices, data: CourseScheduled | CourseResumed) -> list[Notice]:
    facts = out.facts(data.course_id, data.sessions, data.location, data.teacher)
    payload = {
        "event": data.event_type,
        "course": _course(data),
        "group": _group(out.known),
        "location": _place(data.location),
        "teacher": one_line(data.teacher.name),
    }
    contacts = [{"name": name, "email": address} for address, name, _ in _contacts(data.contacts)]
    out.staff(
        data.sessions,
        data.teacher,
        {**payload, "participants": names(data.participants), "contacts": contacts},
        data.course_id,
        data.location,
    )
    out.contacts(data.contacts, data.participants, {**payload, "sessions": facts})
    out.coordinator({**payload, "sessions": facts, "participants": names(data.participants)})
    return out.notices


def _session(out: _Notices, data: SessionCancelled | SessionRescheduled) -> list[Notice]:
    payload: dict[str, Any] = {
        "event": data.event_type,
        "course": _course(data),
        "group": _group(out.known),
        "location": _place(data.location),
        "teacher": one_line(data.teacher.name),
        "sessions": out.facts(data.course_id, [data.session], data.location, data.teacher),
        "reason_code": data.reason_code,
    }
    if isinstance(data, SessionCancelled):
        payload["reason"] = one_line(data.reason)
    elif data.previous_start != data.session.start:
        # A session planned again at its old time (a measure lifted before it) has no old date.
        payload["previous_start"] = data.previous_start.isoformat()
    out.staff(
        [data.session],
        data.teacher,
        {**payload, "participants": names(data.participants)},
        data.course_id,
        data.location,
    )
    out.contacts(data.contacts, data.participants, payload)
    out.coordinator({**payload, "participants": names(data.participants)})
    return out.notices


def _paused(out: _Notices, data: CoursePaused) -> list[Notice]:
    payload = {
        "event": "CoursePaused",
        "course": _course(data),
        "group": _group(out.known),
        "location": _place(data.location),
        "teacher": one_line(data.teacher.name),
        "reason": one_line(data.reason),
        "sessions_remaining": data.sessions_remaining,
        # Every session known, cancelled or not: the mail says which still take place.
        "schedule": groups.schedule_of(out.known),
        "sessions": [],
    }
    # The contract names only the teacher: volunteers hear it through the SessionCancelled events.
    out.add("staff", str(data.teacher.email), one_line(data.teacher.name), payload)
    out.contacts(data.contacts, [], payload)
    out.coordinator(payload)
    return out.notices


def _group_changed(out: _Notices, data: GroupChanged, group_staff: Sequence[dict[str, str]]) -> list[Notice]:
    payload = {"event": "GroupChanged", "course": _course(data), "group": _group(out.known), "sessions": []}
    for person in group_staff:
        out.add(
            "staff",
            person["email"],
            person["name"],
            {
                **payload,
                "removed": names(data.removed),
                "added": names(data.added),
                "participants": names(data.participants),
            },
        )
    for address, name, partners in _contacts(data.contacts):

        def own(members: list[GroupMember], partners: set[str] = partners) -> list[str]:
            return names(m for m in members if m.partner_id in partners)

        out.add(
            "contact",
            address,
            name,
            {
                **payload,
                "removed": own(data.removed),
                "added": own(data.added),
                "employees": own(data.participants),
            },
        )
    return out.notices


def group_staff_of(data: CourseScheduled | CourseResumed) -> list[dict[str, str]]:
    """Everyone who works at the course's sessions, once each: whom a GroupChanged concerns."""
    people: dict[str, StaffMember] = {}
    for session in data.sessions:
        for person in _staff_of(session, data.teacher):
            people.setdefault(str(person.email).casefold(), person)
    people.setdefault(str(data.teacher.email).casefold(), data.teacher)
    return staff_list(people.values())


def refused_notice(
    mail_id: int, recipient: str, subject: str, codes: Sequence[int], audience: Audience
) -> Notice | None:
    """The coordinator hears once of a mail refused for good; never about their own address.

    The server's reply codes only: its text is in English, may quote the address, and is no
    sentence for a coordinator.
    """
    if recipient.casefold() == audience.coordinator.casefold():
        return None
    payload = {
        "event": "MailRefused",
        "mail_id": mail_id,
        "recipient": recipient,
        "subject": one_line(subject),
        "codes": [int(code) for code in codes],
    }
    coordinator = audience.coordinator
    return Notice(
        f"mail-{mail_id}",
        "refused",
        "coordinator",
        coordinator,
        None,
        audience.language_of(coordinator),
        payload,
    )
