"""Every kind of e-mail, and the calendar invitation, in English for a recipient who reads English.

Each case is checked both ways: an English reader gets the English words and not the Dutch
sentence, a Dutch reader of the same event gets that Dutch sentence and not the English words.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import get_args

import pytest

from notifications.domain import mails
from notifications.domain.notices import Audience, Kind, Language, Notice, refused_notice
from notifications.domain.wording import translations
from tests.support.mime import calendars, events_of, html_part, sessions_of, text_part

from . import courses as c
from .test_mail_content import notices, received


@dataclass(frozen=True)
class Case:
    kind: Kind
    recipient: str
    found: Callable[[Audience], list[Notice]]
    subject: str
    english: tuple[str, ...]
    dutch: tuple[str, ...]


def refused(audience: Audience) -> list[Notice]:
    notice = refused_notice(7, c.TEACHER, "Cursus Klik", [550], audience)
    assert notice is not None
    return [notice]


CASES = [
    Case(
        "referrals",
        c.PROMEN["email"],
        lambda a: notices(c.accepted(1), "accepted", a) + notices(c.rejected(2), "rejected", a),
        "Answer to your referrals",
        (
            "This is our answer to your referrals.",
            "number 1 on the waiting list",
            "The employee neither lives nor works in the Gouda region.",
        ),
        ("Dit is ons antwoord op uw aanmeldingen.", "De medewerker woont en werkt niet in de regio Gouda."),
    ),
    Case(
        "digest",
        c.COORDINATOR,
        lambda a: notices(c.rejected(1), audience=a),
        "Overview: referrals that were not accepted",
        ("These referrals were not accepted.", "referral PRM-0001", "neither lives nor works"),
        ("Deze aanmeldingen zijn niet aangenomen.", "De medewerker woont en werkt niet in de regio Gouda."),
    ),
    Case(
        "group",
        c.PROMEN["email"],
        lambda a: notices(c.group_filled(), audience=a),
        "Group Klik & Tik level 1 is full",
        ("is full: 5 participants", "These employees of yours are in the group", "We are now planning"),
        ("Wij plannen nu de lessen.",),
    ),
    Case(
        "group",
        c.COORDINATOR,
        lambda a: notices(c.group_filled(), audience=a),
        "Group Klik & Tik level 1 is full",
        ("is full: 5 participants", "In the group:", "Dear coordinator"),
        ("is compleet: 5 deelnemers.",),
    ),
    Case(
        "course",
        c.TEACHER,
        lambda a: notices(c.course(), audience=a),
        "Course Klik & Tik level 1: starts on Tuesday 8 December",
        ("You work on the course", "Tuesday 8 December 2026, 13:30 to 15:30", "Bring 6 iPads."),
        ("Hier staan jouw lessen.", "Neem 6 iPads mee."),
    ),
    Case(
        "cancellation",
        c.TEACHER,
        lambda a: notices(c.cancelled(0), audience=a),
        "Sessions cancelled",
        ("This session is cancelled:", "The cancellation for your calendar is attached."),
        ("In de bijlage staat de afzegging voor je agenda.",),
    ),
    Case(
        "change",
        c.PROMEN["email"],
        lambda a: notices(c.rescheduled(1), audience=a),
        "Change to your course",
        ("Something has changed:", "has a new date:", "Please tell your employees"),
        ("Er is iets veranderd:",),
    ),
    Case(
        "unschedulable",
        c.COORDINATOR,
        lambda a: notices(c.unschedulable(), audience=a),
        "Action needed: group Klik & Tik level 1 cannot be scheduled",
        ("cannot be scheduled.", "What is missing: No teacher is free on Tuesday."),
        ("kan niet worden ingepland.", "Er is geen docent vrij op dinsdag."),
    ),
    Case(
        "measure",
        c.COORDINATOR,
        lambda a: notices(c.measures_applied(), audience=a),
        "Measures: what has changed",
        ("The measure m-1 has been carried out.", "15 sessions are cancelled.", "3 courses are paused."),
        ("De maatregel m-1 is uitgevoerd.",),
    ),
    Case(
        "refused",
        c.COORDINATOR,
        refused,
        "E-mail not delivered",
        (
            "An e-mail was not delivered.",
            "Mail number: 7",
            "Code of the mail server: 550",
            "Is the address right?",
        ),
        ("Een e-mail is niet afgeleverd.",),
    ),
]


def ids(case: Case) -> str:
    return f"{case.kind}-{case.recipient.split('@')[0]}"


def reader(recipient: str, language: Language) -> Audience:
    return Audience(c.COORDINATOR, {"promen": c.PROMEN["email"]}, {recipient: language})


def test_the_cases_cover_every_kind() -> None:
    assert {case.kind for case in CASES} == set(get_args(Kind))


@pytest.mark.parametrize("language", get_args(Language))
@pytest.mark.parametrize("kind", get_args(Kind))
def test_every_kind_has_both_parts_and_a_subject_in_every_language(kind: str, language: Language) -> None:
    assert (mails.TEMPLATES / f"{kind}.txt").is_file()
    assert (mails.TEMPLATES / f"{kind}.html").is_file()
    assert mails.subject_line(kind, translations(language))


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_an_english_reader_gets_english_in_both_parts(case: Case) -> None:
    message = received(case.found(reader(case.recipient, "en")))[case.recipient]
    assert message["Subject"] == case.subject
    for part in [text_part(message), html_part(message)]:
        assert "Dear " in part and "Kind regards" in part
        for words in case.english:
            assert words in part
        for sentence in case.dutch:
            assert sentence not in part
        assert "Beste " not in part and "Met vriendelijke groet" not in part


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_a_dutch_reader_of_the_same_event_gets_the_dutch_sentence(case: Case) -> None:
    """The other side of the English test: its Dutch sentences are real and its words not Dutch."""
    message = received(case.found(reader(case.recipient, "nl")))[case.recipient]
    assert message["Subject"] == mails.subject_line(case.kind, translations("nl")).format(
        title="Klik & Tik niveau 1", first="dinsdag 8 december"
    )
    for part in [text_part(message), html_part(message)]:
        for sentence in case.dutch:
            assert sentence in part
        for words in case.english:
            assert words not in part


def test_the_calendar_speaks_the_language_of_each_staff_member() -> None:
    found = received(notices(c.course(), audience=reader(c.TEACHER, "en")))
    [english] = calendars(found[c.TEACHER])
    [dutch] = calendars(found[c.VOLUNTEER])
    first = sessions_of(english)[0]
    assert str(first["summary"]) == "Klik & Tik level 1, session 1"
    assert str(first["location"]) == "Wijkgebouw De Mozaïek, Ronsseweg 1, 2803 ZA Gouda, room Zaal 2"
    assert str(first["description"]).split("\n") == [
        "Lesson from 13:30 to 15:30.",
        "Set-up from 12:45, packing up until 16:15.",
        "Bring 6 iPads.",
    ]
    first = sessions_of(dutch)[0]
    assert str(first["summary"]) == "Klik & Tik niveau 1, les 1"
    assert str(first["location"]) == "Wijkgebouw De Mozaïek, Ronsseweg 1, 2803 ZA Gouda, zaal Zaal 2"
    assert str(first["description"]).split("\n") == [
        "Les van 13:30 tot 15:30.",
        "Opbouwen vanaf 12:45, opruimen tot 16:15.",
        "Neem 6 iPads mee.",
    ]


def test_a_cancellation_for_an_english_teacher_has_english_summaries() -> None:
    message = received(notices(c.cancelled(2), audience=reader(c.TEACHER, "en")))[c.TEACHER]
    [calendar] = calendars(message)
    assert calendar["method"] == "CANCEL"  # the only session known of the course is cancelled
    assert [str(e["summary"]) for e in events_of(calendar)] == ["Klik & Tik level 1"]
