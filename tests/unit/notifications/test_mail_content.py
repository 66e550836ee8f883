"""What the e-mails about a scheduled course say, to whom, and with which Message-ID."""

from __future__ import annotations

import email.utils
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from notifications.domain import mails
from taalhuis_shared.events import CourseScheduled, Session

from .courses import GEMIVA, PROMEN, TEACHER, course, course_data

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
DOMAIN = "bibliotheekgouda.nl"
EVENT_ID = "7d0c3f9e-2f7c-4c8e-9d55-0f4f0e0d1a11"

SESSION_LINES = [
    "dinsdag 8 december 2026, 13:30 tot 15:30",
    "dinsdag 15 december 2026, 13:30 tot 15:30",
    "dinsdag 22 december 2026, 13:30 tot 15:30",
    "dinsdag 29 december 2026, 13:30 tot 15:30",
    "dinsdag 5 januari 2027, 13:30 tot 15:30",
]


def compose(scheduled: CourseScheduled | None = None, event_id: str = EVENT_ID) -> list[mails.Mail]:
    return mails.course_mails(event_id, scheduled or course(), timezone=AMSTERDAM, mail_domain=DOMAIN)


def mail_to(address: str, composed: list[mails.Mail]) -> mails.Mail:
    [found] = [m for m in composed if m.recipient == address]
    return found


def test_one_mail_to_the_teacher_and_one_to_each_contact() -> None:
    composed = compose()
    assert [(m.recipient_role, m.recipient) for m in composed] == [
        ("teacher", TEACHER),
        ("contact", PROMEN["email"]),
        ("contact", GEMIVA["email"]),
    ]


def test_the_teacher_mail_lists_every_session_in_dutch_local_time_in_order() -> None:
    body = mail_to(TEACHER, compose()).body
    positions = [body.index(f"- {line}\n") for line in SESSION_LINES]
    assert positions == sorted(positions)
    assert "12:30" not in body  # the UTC time of the event must not leak through


def test_sessions_are_listed_by_date_even_when_the_event_lists_them_otherwise() -> None:
    data = course_data()
    data["sessions"] = list(reversed(data["sessions"]))
    body = mail_to(TEACHER, compose(CourseScheduled.model_validate(data))).body
    assert body.index(SESSION_LINES[0]) < body.index(SESSION_LINES[4])


def test_the_teacher_mail_names_course_place_participants_and_contacts() -> None:
    body = mail_to(TEACHER, compose()).body
    assert body.startswith("Beste Marieke Jansen,")
    assert "Klik & Tik niveau 1" in body
    assert "Bibliotheek Gouda, De Chocoladefabriek\nKlein Amerika 20, 2803 PK Gouda" in body
    for name in ["Ahmed B.", "Fatima E.", "Kees V.", "Anna de J.", "Priya S."]:
        assert f"- {name}\n" in body
    assert f"{PROMEN['name']}, {PROMEN['email']}" in body
    assert f"{GEMIVA['name']}, {GEMIVA['email']}" in body


def test_a_contact_sees_only_their_own_employees() -> None:
    composed = compose()
    promen = mail_to(PROMEN["email"], composed).body
    gemiva = mail_to(GEMIVA["email"], composed).body
    for name in ["Ahmed B.", "Fatima E.", "Anna de J."]:
        assert f"- {name}\n" in promen
        assert name not in gemiva
    for name in ["Kees V.", "Priya S."]:
        assert f"- {name}\n" in gemiva
        assert name not in promen


def test_a_contact_gets_dates_place_and_the_request_to_tell_their_employees() -> None:
    body = mail_to(PROMEN["email"], compose()).body
    assert body.startswith("Beste Sanne de Wit,")
    for line in SESSION_LINES:
        assert f"- {line}\n" in body
    assert "Bibliotheek Gouda, De Chocoladefabriek\nKlein Amerika 20, 2803 PK Gouda" in body
    assert "Wilt u dit aan uw medewerkers vertellen?" in body


def test_a_contact_listed_twice_gets_one_mail_with_the_employees_of_both_partners() -> None:
    data = course_data()
    # The same person for a second partner, with the address written differently.
    data["contacts"].append({"partner_id": "gemiva", "contact": {**PROMEN, "email": PROMEN["email"].upper()}})
    composed = compose(CourseScheduled.model_validate(data))
    to_promen = [m for m in composed if m.recipient.casefold() == PROMEN["email"]]
    assert len(to_promen) == 1
    assert "- Kees V.\n" in to_promen[0].body
    assert "- Ahmed B.\n" in to_promen[0].body


def test_a_teacher_who_is_also_the_contact_gets_only_the_teacher_mail() -> None:
    data = course_data(teacher={"name": PROMEN["name"], "email": PROMEN["email"]})
    composed = compose(CourseScheduled.model_validate(data))
    assert [(m.recipient_role, m.recipient) for m in composed] == [
        ("teacher", PROMEN["email"]),
        ("contact", GEMIVA["email"]),
    ]


def test_subject_names_the_course_and_its_first_day() -> None:
    assert {m.subject for m in compose()} == {"Cursus Klik & Tik niveau 1: start op dinsdag 8 december"}
    digisterker = compose(course(course={"type": "digisterker", "level": 3}))
    assert digisterker[0].subject == "Cursus Digisterker niveau 3: start op dinsdag 8 december"


def test_times_follow_summer_time_and_the_configured_zone() -> None:
    summer = Session(
        number=1, start=datetime(2027, 6, 3, 7, 0, tzinfo=UTC), end=datetime(2027, 6, 3, 9, 15, tzinfo=UTC)
    )
    assert mails.session_line(summer, AMSTERDAM) == "donderdag 3 juni 2027, 09:00 tot 11:15"
    assert mails.session_line(summer, ZoneInfo("UTC")) == "donderdag 3 juni 2027, 07:00 tot 09:15"


def test_every_dutch_day_and_month_name() -> None:
    # 2 March 2026 is a Monday; one day later each time, then the first of each month in 2027.
    days = [mails.dutch_date(datetime(2026, 3, 2 + n, tzinfo=UTC)).split()[0] for n in range(7)]
    assert days == ["maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"]
    months = [mails.dutch_date(datetime(2027, month, 1, tzinfo=UTC)).split()[2] for month in range(1, 13)]
    assert months[0] == "januari" and months[2] == "maart" and months[9] == "oktober"
    assert len(set(months)) == 12


def test_the_message_id_is_the_same_for_the_same_event_and_recipient() -> None:
    first, again = compose(), compose()
    assert [m.message_id for m in first] == [m.message_id for m in again]
    assert len({m.message_id for m in first}) == len(first)
    other_event = compose(event_id="another-event")
    assert not {m.message_id for m in first} & {m.message_id for m in other_event}
    upper, lower = (mails.message_id(EVENT_ID, address, DOMAIN) for address in ["A@X.example", "a@x.example"])
    assert upper == lower


def test_the_message_id_is_an_rfc_5322_msg_id_on_our_domain() -> None:
    for mail in compose():
        assert mail.message_id.startswith("<") and mail.message_id.endswith(f"@{DOMAIN}>")
        assert " " not in mail.message_id


def test_the_email_message_carries_the_headers_and_the_body() -> None:
    mail = compose()[0]
    composed_at = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    message = mails.as_email(mail, mail_from="taalhuis@bibliotheekgouda.nl", composed_at=composed_at)
    assert message["Message-ID"] == mail.message_id
    assert message["From"] == "taalhuis@bibliotheekgouda.nl"
    assert message["To"] == mail.recipient
    assert message["Subject"] == mail.subject
    assert email.utils.parsedate_to_datetime(message["Date"]) == composed_at
    assert message.get_content().rstrip("\n") == mail.body


def test_the_domain_of_the_sender_address() -> None:
    assert mails.domain_of("taalhuis@bibliotheekgouda.nl") == "bibliotheekgouda.nl"
    assert mails.domain_of("Taalhuis Gouda <taalhuis@bibliotheekgouda.nl>") == "bibliotheekgouda.nl"
    assert mails.domain_of("taalhuis") == "localhost"


def test_without_participants_or_contacts_the_teacher_still_gets_a_complete_mail() -> None:
    composed = compose(course(participants=[], contacts=[]))
    assert [m.recipient_role for m in composed] == ["teacher"]
    body = composed[0].body
    assert "Er staan nog geen deelnemers op de lijst." in body
    assert "contactpersoon" not in body
    assert SESSION_LINES[0] in body


def test_the_english_line_names_the_level_in_english() -> None:
    body = mail_to(TEACHER, compose()).body
    assert body.rstrip().splitlines()[-1].startswith("English: you teach Klik & Tik level 1.")
