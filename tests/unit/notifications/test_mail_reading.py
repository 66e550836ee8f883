"""Mails as people read them, from a course's whole story: forms of address, names, dates, lists.

Events go through `notices_for` in order, each with what was known of the group before it
(`groups.learn`), as the handler does with the database.
"""

from __future__ import annotations

import html
import re
import uuid
from collections.abc import Iterable
from datetime import timedelta
from email.message import EmailMessage

import pytest

from notifications.domain import groups
from notifications.domain.notices import Audience, Notice, notices_for, refused_notice
from taalhuis_shared.events import EventData, Teacher
from tests.support.mime import html_part, text_part

from . import courses as c
from .test_mail_content import AUDIENCE, received

STAFF = {c.TEACHER, c.VOLUNTEER}
FORMAL = {c.PROMEN["email"], c.GEMIVA["email"], c.COORDINATOR}
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)


class Story:
    """Events of one group, told in order; each step's notices."""

    def __init__(self, audience: Audience = AUDIENCE) -> None:
        self.audience = audience
        self.known: groups.Known | None = None
        self.count = 0

    def tell(self, *events: EventData) -> list[Notice]:
        found = []
        for data in events:
            self.count += 1
            found += notices_for(f"event-{self.count}", data, self.audience, [], self.known)
            self.known = groups.learn(self.known, data)
        return found


def both_parts(message: EmailMessage) -> list[str]:
    return [text_part(message), html.unescape(re.sub(r"<[^>]+>", " ", html_part(message)))]


def whole_story(course_id: str) -> list[dict[str, EmailMessage]]:
    story = Story()
    group_id = f"group-{course_id}"
    return [
        received(found)
        for found in [
            story.tell(c.group_filled(group_id)),
            story.tell(c.course(course_id)),
            story.tell(*[c.cancelled(week, course_id) for week in range(2, 5)], c.paused(course_id)),
            story.tell(c.resumed(course_id)),
            story.tell(c.group_changed(group_id)),
            story.tell(c.unschedulable(group_id)),
            story.tell(c.accepted(1), c.rejected(2)),
        ]
    ]


def every_mail(course_id: str = "course-1") -> Iterable[tuple[str, EmailMessage]]:
    for mails in whole_story(course_id):
        yield from mails.items()


def words(text: str) -> set[str]:
    return set(re.findall(r"\w+", text.casefold()))


def test_staff_read_je_and_partners_and_the_coordinator_read_u() -> None:
    told = set()
    for recipient, message in every_mail():
        for part in both_parts(message):
            found = words(part)
            if recipient in STAFF:
                assert not found & {"u", "uw"}, (message["Subject"], part)
            else:
                assert recipient in FORMAL
                assert not found & {"je", "jij", "jouw", "jullie"}, (message["Subject"], part)
        told.add(recipient)
    assert told == STAFF | FORMAL


def test_no_mail_shows_an_id_of_a_group_course_or_session() -> None:
    course_id = str(uuid.uuid4())
    for _, message in every_mail(course_id):
        for part in [str(message["Subject"]), *both_parts(message)]:
            assert not UUID.search(part), part
            assert "course-1" not in part


def test_a_group_is_named_by_course_level_language_group_place_and_first_date() -> None:
    mails = whole_story("course-1")
    unschedulable = mails[5][c.COORDINATOR]
    name = "Klik & Tik niveau 1, NT1, Wijkgebouw De Mozaïek, vanaf dinsdag 8 december 2026"
    assert f"De groep {name} kan niet worden ingepland." in text_part(unschedulable)
    filled = mails[0][c.COORDINATOR]  # not planned yet: no place or date
    assert "De groep Klik & Tik niveau 1, NT1 is compleet: 5 deelnemers." in text_part(filled)


def test_a_refused_mail_gives_the_code_and_no_error_text() -> None:
    notice = refused_notice(7, c.TEACHER, "Cursus", [550], AUDIENCE)
    assert notice is not None
    message = received([notice])[c.COORDINATOR]
    for part in both_parts(message):
        assert "Code van de mailserver: 550" in part
        assert "(" not in part and "Error" not in part


def test_a_pause_says_which_sessions_are_cancelled_and_which_still_take_place() -> None:
    story = Story()
    story.tell(c.course())
    found = story.tell(*[c.cancelled(week) for week in range(2, 5)], c.paused())
    # The coordinator hears the measure's summary instead (test_mail_content).
    for recipient in [c.TEACHER, c.PROMEN["email"]]:
        text = text_part(received(found)[recipient])
        cancelled, kept = text.split("De cursus stopt voorlopig.")
        for number, day in [(3, "22 december"), (4, "29 december"), (5, "5 januari 2027")]:
            assert re.search(rf"Les {number}: \w+ {day}", cancelled), text
        assert "Deze lessen gaan wel door:" in kept
        assert "Les 1: dinsdag 8 december 2026 om 13:30" in kept
        assert "Les 2: dinsdag 15 december 2026 om 13:30" in kept
        assert "Les 3" not in kept


def test_a_resume_lists_each_new_date_once_and_says_the_teacher_changed() -> None:
    story = Story()
    story.tell(c.course(), *[c.cancelled(week) for week in range(2, 5)], c.paused())
    joost = Teacher(name="Joost de Boer", email="joost.deboer@bibliotheekgouda.example")
    resumed = c.resumed().model_copy(update={"teacher": joost})
    moved = [c.rescheduled(week, revision=2, shift=timedelta(weeks=8)) for week in range(2, 5)]
    moved = [m.model_copy(update={"teacher": joost}) for m in moved]
    mails = received(story.tell(resumed, *moved))
    for recipient in [c.PROMEN["email"], joost.email, c.VOLUNTEER]:
        text = text_part(mails[str(recipient)])
        for day in ["16 februari", "23 februari", "2 maart"]:
            assert text.count(day) == 1, text
        assert text.count("Oude datum") == 3
        assert text.count("Let op: de docent is nu Joost de Boer (eerst was dat Marieke Jansen).") == 1


def test_sessions_are_numbered_by_date_after_a_move() -> None:
    story = Story()
    story.tell(c.course())
    # Session 3 moves to after session 4: the third date is now the old session 4.
    late = c.rescheduled(2, shift=timedelta(days=9))
    text = text_part(received(story.tell(late))[c.COORDINATOR])
    assert "Les 4: donderdag 31 december 2026" in text
    later = received(story.tell(c.cancelled(3, revision=2, measure_id=None)))[c.COORDINATOR]
    assert "Les 3: dinsdag 29 december 2026" in text_part(later)


@pytest.mark.parametrize("recipient", [c.TEACHER, c.PROMEN["email"], c.COORDINATOR])
def test_a_batch_of_cancellations_names_the_group_and_its_people_once(recipient: str) -> None:
    story = Story()
    story.tell(c.course())
    # The coordinator hears of cancellations one by one when no measure caused them.
    measure = None if recipient == c.COORDINATOR else "m-1"
    message = received(story.tell(*[c.cancelled(week, measure_id=measure) for week in range(5)]))[recipient]
    for part in both_parts(message):
        assert part.count("Fatima E.") == 1, part
        assert part.count("Klik & Tik niveau 1, NT1") == 0  # no GroupFilled told in this story
        assert part.count("Cursus: Klik & Tik niveau 1") == 1
        assert part.count("De coronamaatregelen gelden ook hier.") == 1
        starts = [m.start() for m in re.finditer(r"Les \d", part)]
        numbers = [int(n) for n in re.findall(r"Les (\d)", part)]
        assert numbers == [1, 2, 3, 4, 5] and len(starts) == 5
