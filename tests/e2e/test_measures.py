"""Measures through the whole system: sessions cancelled, staff told once, then everything planned again."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

import pytest
from aio_pika.abc import AbstractRobustConnection

from taalhuis_shared.events import MeasuresAnnounced, MeasuresLifted, new_event
from tests.support.broker import Namespace, open_tap, publish
from tests.support.mime import calendars, events_of, sessions_of, text_part
from tests.support.referrals import intake_event, referral_event
from tests.support.waiting import eventually

from .conftest import System

pytestmark = pytest.mark.slow

COURSE_EVENTS = ["CourseScheduled", "SessionCancelled", "CoursePaused", "SessionRescheduled", "CourseResumed"]
COORDINATOR = "urn:taalhuis:coordinator"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)


def mails_to(system: System, address: str, subject: str) -> list[Any]:
    return [m for m in system.smtp.mailbox.to(address) if str(m["Subject"]).startswith(subject)]


async def test_a_measure_cancels_the_course_with_one_mail_per_person_and_lifting_it_plans_it_again(
    system: System, rabbit: AbstractRobustConnection, namespace: Namespace
) -> None:
    tap = await open_tap(rabbit, namespace, COURSE_EVENTS)
    await system.start("enrolment", "scheduling", "notifications")
    await publish(rabbit, namespace, intake_event(groups=1))  # from 4 January 2027
    for number in range(5):
        await publish(rabbit, namespace, referral_event(number))
    [scheduled] = await tap.wait_for("CourseScheduled", 1, timeout=60)
    teacher = scheduled["data"]["teacher"]["email"]
    volunteers = {v["email"] for s in scheduled["data"]["sessions"] for v in s["volunteers"]}
    first_dates = sorted(datetime.fromisoformat(s["start"]) for s in scheduled["data"]["sessions"])
    await eventually(system.quiet, timeout=30, what="the course's mails sent")

    measure = MeasuresAnnounced(measure_id="m-1", from_date=date(2027, 1, 1), reason="Coronamaatregelen")
    await publish(rabbit, namespace, new_event(measure, source=COORDINATOR))
    await tap.wait_for("SessionCancelled", 5, timeout=60)
    await tap.wait_for("CoursePaused", 1)
    await eventually(
        lambda: mails_to(system, teacher, "Lessen gaan niet door"), timeout=30, what="cancellation"
    )
    await eventually(system.quiet, timeout=30, what="the cancellations sent")

    [cancellation] = mails_to(system, teacher, "Lessen gaan niet door")
    # Every session of the course cancelled: the course's one event is cancelled as a whole.
    [calendar] = calendars(cancellation)
    assert calendar["METHOD"] == "CANCEL"
    [cancelled] = events_of(calendar)
    assert str(cancelled["STATUS"]) == "CANCELLED"
    assert int(cancelled["SEQUENCE"]) == 5  # each of the five sessions' revisions raised once

    lifted = MeasuresLifted(measure_id="m-1", from_date=date(2027, 3, 1))
    await publish(rabbit, namespace, new_event(lifted, source=COORDINATOR))
    [resumed] = await tap.wait_for("CourseResumed", 1, timeout=60)
    await tap.wait_for("SessionRescheduled", 5)
    await eventually(
        lambda: mails_to(system, teacher, "Wijziging in de cursus"), timeout=30, what="new dates"
    )
    await eventually(system.quiet, timeout=30, what="the new dates sent")

    assert len(resumed["data"]["sessions"]) == 5
    assert all(s["start"] >= "2027-03-01" for s in resumed["data"]["sessions"])
    [change] = mails_to(system, teacher, "Wijziging in de cursus")
    # Back as the same event (same UID, a higher SEQUENCE), each session named by its first date.
    [calendar] = calendars(change)
    assert calendar["METHOD"] == "REQUEST"
    moved = sessions_of(calendar)
    assert {str(e["UID"]) for e in events_of(calendar)} == {str(cancelled["UID"])}
    assert sorted(e.decoded("RECURRENCE-ID") for e in moved) == first_dates
    assert all(e.decoded("DTEND") > datetime(2027, 3, 1, tzinfo=UTC) for e in moved)
    assert {int(e["SEQUENCE"]) for e in events_of(calendar)} == {10}
    # Every mail of the story names the group in words, never by its id (enrolment's UUIDs), and
    # the staff read `je`, the others `u`.
    for message in system.smtp.mailbox.messages:
        body = text_part(message)
        assert not UUID.search(body), body
        reader = set(re.findall(r"\w+", body.casefold()))
        informal = message["X-Envelope-To"] in {teacher, *volunteers}
        assert not reader & ({"u", "uw"} if informal else {"je", "jij", "jouw"}), body
    # Enrolment keeps the new dates: the course has not started, so a place can still be given on.
    query = "SELECT count(*) FROM groups WHERE first_session >= '2027-03-01'"
    await eventually(lambda: system.scalar("enrolment", query), timeout=30, what="enrolment's new dates")
