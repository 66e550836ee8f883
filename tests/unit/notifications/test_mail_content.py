"""Who is told what about each event, and what the composed e-mails say, parsed as MIME."""

from __future__ import annotations

import email
import email.policy
import re
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import pytest

from notifications.domain import mails
from notifications.domain.notices import Audience, Language, Notice, hold_of, notices_for
from taalhuis_shared.events import ContactPerson, CourseScheduled, EventData
from tests.support.mime import calendars, events_of, html_part, sessions_of, text_part

from . import courses as c

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
MAIL_FROM = "taalhuis@bibliotheekgouda.example"
AUDIENCE = Audience(c.COORDINATOR, {"promen": c.PROMEN["email"]})
STAFF = {c.TEACHER: "staff", c.VOLUNTEER: "staff"}
CONTACTS = {c.PROMEN["email"]: "contact", c.GEMIVA["email"]: "contact"}
COORDINATOR = {c.COORDINATOR: "coordinator"}


def notices(data: EventData, event_id: str = "event-1", audience: Audience = AUDIENCE) -> list[Notice]:
    return notices_for(event_id, data, audience)


def received(found: list[Notice]) -> dict[str, EmailMessage]:
    """Each batch composed and sent through the e-mail parser, by recipient."""
    batches: dict[str, list[Notice]] = defaultdict(list)
    for notice in found:
        batches[notice.batch_key].append(notice)
    out = {}
    for batch in batches.values():
        composed = datetime(2026, 11, 1, tzinfo=UTC)
        mail = mails.compose(
            batch, timezone=AMSTERDAM, mail_from=MAIL_FROM, mail_domain="example", now=composed
        )
        raw = mails.as_email(mail, mail_from=MAIL_FROM, composed_at=composed)
        parsed = email.message_from_bytes(raw.as_bytes(policy=email.policy.SMTP), policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        out[mail.recipient] = parsed
    return out


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (c.accepted(1), {c.PROMEN["email"]: "contact"}),
        (c.rejected(1), {c.PROMEN["email"]: "contact", **COORDINATOR}),
        (c.group_filled(), {**CONTACTS, **COORDINATOR}),
        (c.course(), {**STAFF, **CONTACTS, **COORDINATOR}),
        # A measure's cancellations, pauses and resumes: the coordinator gets the summary instead.
        (c.cancelled(0), {**STAFF, **CONTACTS}),
        (c.paused(), {c.TEACHER: "staff", **CONTACTS}),
        (c.resumed(), {**STAFF, **CONTACTS}),
        (c.measures_applied(), COORDINATOR),
        (c.measures_applied("lifted"), COORDINATOR),
        (c.measures_applied(outcome="known-already"), {}),
        (c.cancelled(0, measure_id=None), {**STAFF, **CONTACTS, **COORDINATOR}),
        (c.rescheduled(1), {**STAFF, **CONTACTS, **COORDINATOR}),
        (c.unschedulable(), COORDINATOR),
        (c.group_changed(), CONTACTS),  # staff too, once the group's course is known (integration test)
    ],
    ids=lambda value: type(value).__name__ if not isinstance(value, dict) else "",
)
def test_who_is_told(data: EventData, expected: dict[str, str]) -> None:
    assert {n.recipient: n.role for n in notices(data)} == expected


@pytest.mark.parametrize(
    ("data", "hold"),
    [
        (c.cancelled(0), "m-1/announced"),
        (c.paused(), "m-1/announced"),
        (c.cancelled(0, measure_id=None), None),
        (c.resumed(), None),
        (c.course(), None),
        (c.measures_applied(), None),  # the summary goes at once; it releases the hold
    ],
    ids=lambda value: type(value).__name__ if not isinstance(value, str | None) else "",
)
def test_a_measures_notices_are_held_for_its_summary(data: EventData, hold: str | None) -> None:
    found = notices(data)
    assert found
    assert {n.held_for for n in found} == {hold}
    assert hold_of(c.measures_applied()) == "m-1/announced"
    assert hold_of(c.measures_applied("lifted")) is None


def test_the_coordinators_summary_of_a_measure_counts_what_changed() -> None:
    announced = text_part(received(notices(c.measures_applied()))[c.COORDINATOR])
    assert "De maatregel m-1 is uitgevoerd." in announced
    assert "15 lessen gaan niet door." in announced
    assert "3 cursussen staan stil." in announced
    lifted = text_part(received(notices(c.measures_applied("lifted")))[c.COORDINATOR])
    assert "2 cursussen beginnen weer, met nieuwe data." in lifted
    assert "1 cursus staat nog stil" in lifted
    unknown = received(notices(c.measures_applied("lifted", outcome="unknown-measure")))[c.COORDINATOR]
    assert "is niet bekend" in text_part(unknown) and "beginnen weer" not in text_part(unknown)
    assert str(unknown["Subject"]) == "Maatregelen: wat er verandert"


def test_a_partner_without_a_known_contact_hears_nothing_of_a_referral() -> None:
    assert notices(c.accepted(1), audience=Audience(c.COORDINATOR)) == []


def test_the_teacher_gets_every_fact_of_their_sessions_and_an_invitation() -> None:
    message = received(notices(c.course()))[c.TEACHER]
    assert message["Subject"] == "Cursus Klik & Tik niveau 1: start op dinsdag 8 december"
    for part in [text_part(message), html_part(message)]:
        assert "dinsdag 8 december 2026, 13:30 tot 15:30" in part
        assert "dinsdag 5 januari 2027, 13:30 tot 15:30" in part
        assert "Ronsseweg 1, 2803 ZA Gouda, zaal Zaal 2" in part
        assert "Opbouwen vanaf 12:45" in part
        assert "Neem 6 iPads mee" in part
        assert "Piet Bakker" in part
        for name in c.PARTICIPANTS:
            assert name in part
    assert "12:30" not in text_part(message)  # UTC must not leak through
    [calendar] = calendars(message)
    assert calendar["method"] == "REQUEST"
    # One course is one event with one UID: its five sessions are the series' occurrences.
    assert len({str(e["uid"]) for e in events_of(calendar)}) == 1
    assert [str(tz["tzid"]) for tz in calendar.walk("VTIMEZONE")] == ["Europe/Amsterdam"]
    sessions = sessions_of(calendar)
    week = timedelta(weeks=1)
    assert [e.decoded("recurrence-id") for e in sessions] == [c.FIRST_START + n * week for n in range(5)]
    assert {int(e["sequence"]) for e in events_of(calendar)} == {0}
    first = sessions[0]
    assert str(first["attendee"]) == f"mailto:{c.TEACHER}"
    assert first["attendee"].params["RSVP"] == "FALSE"
    assert str(first["organizer"]) == f"mailto:{MAIL_FROM}"
    assert "Ronsseweg 1" in str(first["location"]) and "Zaal 2" in str(first["location"])
    # Outside the library the staff's time runs from the set-up to the packing up.
    set_up = timedelta(minutes=45)
    assert first.decoded("dtstart") == c.FIRST_START - set_up
    assert first.decoded("dtend") == c.FIRST_START + timedelta(hours=2) + set_up
    assert str(first["description"]).startswith("Les van 13:30 tot 15:30.")
    assert "Opbouwen vanaf 12:45, opruimen tot 16:15." in str(first["description"])


def test_a_contact_gets_dates_place_staff_names_and_only_their_own_employees() -> None:
    message = received(notices(c.course()))[c.PROMEN["email"]]
    assert calendars(message) == []
    for part in [text_part(message), html_part(message)]:
        assert "dinsdag 8 december 2026, 13:30 tot 15:30" in part
        assert "Wijkgebouw De Mozaïek, Ronsseweg 1, 2803 ZA Gouda" in part
        assert "Marieke Jansen" in part and "Piet Bakker" in part
        assert all(name in part for name in c.PROMEN_NAMES)
        assert not any(name in part for name in c.GEMIVA_NAMES)
        assert "medewerkers vertellen" in part


def test_a_teacher_who_reads_english_gets_english() -> None:
    audience = Audience(c.COORDINATOR, languages={c.TEACHER: "en"})
    message = received(notices(c.course(), audience=audience))[c.TEACHER]
    assert message["Subject"] == "Course Klik & Tik level 1: starts on Tuesday 8 December"
    assert "Tuesday 8 December 2026, 13:30 to 15:30" in text_part(message)
    assert "Bring 6 iPads." in html_part(message)


def test_names_with_line_breaks_inject_no_header_and_are_escaped_in_html() -> None:
    # The contract refuses control characters at the door; this is the second line of defence,
    # so the event is changed after validation (model_copy does not validate).
    evil = "Eva\r\nBcc: x@example.org <b>"
    course = c.course()
    [first, *others] = course.participants
    [contact, *other_contacts] = course.contacts
    course = course.model_copy(
        update={
            "participants": [first.model_copy(update={"display_name": evil}), *others],
            "contacts": [
                contact.model_copy(update={"contact": contact.contact.model_copy(update={"name": evil})}),
                *other_contacts,
            ],
            "teacher": course.teacher.model_copy(update={"name": evil}),
        }
    )
    found = received(notices(course))
    for message in found.values():
        assert message["Bcc"] is None
        assert "Bcc" not in message
        assert len(message.get_all("To", [])) == 1
        assert "&lt;b&gt;" in html_part(message) and "<b>" not in html_part(message)
    assert found[c.TEACHER]["To"].addresses[0].addr_spec == c.TEACHER


def test_many_cancellations_make_one_mail_with_one_cancel_calendar() -> None:
    found = [n for week in range(5) for n in notices(c.cancelled(week), event_id=f"cancel-{week}")]
    message = received(found)[c.TEACHER]
    text = text_part(message)
    assert "Deze lessen gaan niet door" in text
    assert "De coronamaatregelen gelden ook hier." in text
    # Every session of the course cancelled: the whole event is cancelled, once.
    [calendar] = calendars(message)
    assert calendar["method"] == "CANCEL"
    [event] = events_of(calendar)
    assert str(event["status"]) == "CANCELLED" and "recurrence-id" not in event
    assert int(event["sequence"]) > 0  # above the planned course's


def test_the_message_id_depends_on_the_notices_only() -> None:
    first = mails.message_id(["a/course/x@y", "b/course/x@y"], "example")
    assert first == mails.message_id(["b/course/x@y", "a/course/x@y"], "example")
    assert first != mails.message_id(["a/course/x@y"], "example")
    assert first.startswith("<") and first.endswith("@example>")


def test_subjects_from_event_text_hold_no_line_break() -> None:
    course = c.course()
    evil = course.course.model_copy(update={"type": "klik\r\nBcc: x@example.org"})
    for message in received(notices(course.model_copy(update={"course": evil}))).values():
        assert "\n" not in message["Subject"] and "\r" not in message["Subject"]
        assert message["Bcc"] is None


def test_a_referral_answer_goes_to_the_contact_person_it_names() -> None:
    named = c.accepted(1).model_copy(
        update={"contact": ContactPerson(name="Jan Jansen", email="jan.jansen@promen.example")}
    )
    assert {n.recipient: n.role for n in notices(named, audience=Audience(c.COORDINATOR))} == {
        "jan.jansen@promen.example": "contact"
    }


@pytest.mark.parametrize(
    ("language", "note"),
    [
        ("nl", "bij deze aanmelding stond een ander e-mailadres voor de contactpersoon"),
        ("en", "this referral named another e-mail address for the contact person"),
    ],
)
def test_an_answer_sent_to_the_configured_contact_instead_says_why(language: Language, note: str) -> None:
    sanne = ContactPerson(name="Sanne de Wit", email=c.PROMEN["email"])
    replaced = {"contact": sanne, "contact_replaced": True}
    answers = [
        c.accepted(1).model_copy(update=replaced),
        c.accepted(2).model_copy(update={"contact": sanne}),
        c.rejected(3).model_copy(update=replaced),
    ]
    audience = Audience(c.COORDINATOR, languages={c.PROMEN["email"]: language})
    found = [n for i, a in enumerate(answers) for n in notices(a, f"event-{i}", audience)]
    message = received(found)[c.PROMEN["email"]]
    for part in [text_part(message), html_part(message)]:
        # The note stands under each replaced referral, and under no other.
        items = part.split("PRM-")[1:]
        assert [note in item for item in items] == [True, False, True], part


@pytest.mark.parametrize("data", [c.course(), c.group_filled(), c.cancelled(1, measure_id=None)])
def test_the_header_classes_made_once_give_the_bytes_of_the_standard_registry(
    data: EventData, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A name to encode (RFC 2047) and to fold: the headers the registry's classes write.
    teacher = {"name": "Sanné Ünal-Bakker van der Wal-Groenendijk de Jong", "email": c.TEACHER}
    if isinstance(data, CourseScheduled):
        data = data.model_copy(update={"teacher": data.teacher.model_copy(update=teacher)})
    composed = datetime(2026, 11, 1, tzinfo=UTC)

    def as_bytes() -> list[bytes]:
        found = []
        for notice in notices(data):
            mail = mails.compose(
                [notice], timezone=AMSTERDAM, mail_from=MAIL_FROM, mail_domain="example", now=composed
            )
            raw = mails.as_email(mail, mail_from=MAIL_FROM, composed_at=composed).as_bytes()
            found.append(re.sub(rb"={15}\d+==", b"boundary", raw))  # the random MIME boundaries
        return found

    made_once = as_bytes()
    monkeypatch.setattr(mails, "SMTP_POLICY", email.policy.SMTP)
    assert made_once == as_bytes()
    assert any(b"=?utf-8?" in raw for raw in made_once) == isinstance(data, CourseScheduled)


def test_a_session_planned_again_at_its_old_time_shows_no_old_date() -> None:
    # After a measure lifted before the session: it takes place as first planned after all.
    moved, kept = c.rescheduled(1), c.rescheduled(1, shift=timedelta())
    assert "Oude datum" in text_part(received(notices(moved))[c.TEACHER])
    assert "Oude datum" not in text_part(received(notices(kept))[c.TEACHER])
