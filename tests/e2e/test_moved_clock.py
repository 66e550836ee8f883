"""Time moved with `CLOCK_OFFSET`, through the real services: courses complete, and retention
leaves nothing of people whose periods have passed.

The services run as processes (as operations run them) with real RabbitMQ, PostgreSQL and SMTP.
To move time, every service is stopped and started again with a larger `CLOCK_OFFSET` (and
`ALLOW_CLOCK_OFFSET`, without which a moved clock is refused); the retention job runs at start.
After each move a scan of all three databases (every text, JSON and byte column, outbox bodies,
and the stored mails decoded as their reader sees them) looks for each person's strings.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aio_pika.abc import AbstractRobustConnection
from sqlalchemy.ext.asyncio import create_async_engine

from enrolment.domain.model import add_months, display_name
from taalhuis_shared.events import GroupFilled, new_event
from tests.support.broker import Namespace, Tap, open_tap, publish
from tests.support.referrals import intake_event, referral_event, withdrawal_event
from tests.support.scan import all_text, mail_text
from tests.support.waiting import eventually

from .conftest import System

pytestmark = pytest.mark.slow

DAY = 86400.0
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
SERVICES = ("enrolment", "scheduling", "notifications")
# Each service's last shredder: once its run is recorded, the whole retention run is done.
LAST_SHREDDER = {
    "enrolment": "expired-completions",
    "scheduling": "finished-courses",
    "notifications": "old-notices",
}


def moved_by(days: float) -> dict[str, str]:
    return {"CLOCK_OFFSET": str(days * DAY), "ALLOW_CLOCK_OFFSET": "true"}


def last_session(course: dict[str, Any]) -> tuple[datetime, datetime]:
    """The start and end of a CourseScheduled event's last session."""
    last = max(course["data"]["sessions"], key=lambda s: s["start"])
    return datetime.fromisoformat(last["start"]), datetime.fromisoformat(last["end"])


def days_until_after(moment: datetime) -> int:
    """Whole days of offset that put the clock at least a day past `moment`."""
    return math.ceil((moment - datetime.now(UTC)).total_seconds() / DAY) + 1


# --- CourseCompleted, seen from outside -----------------------------------------------------------


def group_filled() -> dict[str, Any]:
    """A GroupFilled as enrolment publishes it."""
    members = [
        {"referral_id": f"r-{n}", "partner_id": "promen", "partner_referral_id": f"PRM-{n:04d}",
         "display_name": f"Deelnemer{n} B."}
        for n in range(5)
    ]  # fmt: skip
    contact = {"name": "Sanne de Wit", "email": "sanne.dewit@promen.example"}
    data = GroupFilled.model_validate(
        {
            "group_id": "group-clock",
            "course": {"type": "klik-en-tik", "level": 1},
            "capacity": 5,
            "participants": members,
            "contacts": [{"partner_id": "promen", "contact": contact}],
        }
    )
    return new_event(data, source="urn:taalhuis:enrolment", subject=data.group_id)


async def test_scheduling_started_with_the_clock_past_the_last_session_publishes_course_completed(
    system: System, rabbit: AbstractRobustConnection, namespace: Namespace
) -> None:
    tap = await open_tap(rabbit, namespace, ["CourseScheduled", "CourseCompleted"])
    await system.start("scheduling")
    await publish(rabbit, namespace, group_filled())
    [course] = await tap.wait_for("CourseScheduled", 1, timeout=60)
    start, end = last_session(course)
    assert end > datetime.now(UTC), "a course planned today ends weeks from now"
    system.stop_all()

    # A moved clock without the explicit permission: the service refuses to start.
    system.env.update(moved_by(days_until_after(end)))
    del system.env["ALLOW_CLOCK_OFFSET"]
    with pytest.raises(AssertionError, match="exited"):
        await system.start("scheduling")
    assert "ALLOW_CLOCK_OFFSET" in system.processes[-1].log()

    system.env.update(moved_by(days_until_after(end)), COMPLETION_CHECK_INTERVAL="1")
    await system.start("scheduling")
    [completed] = await tap.wait_for("CourseCompleted", 1, timeout=30)
    assert completed["data"]["course_id"] == course["data"]["course_id"]
    assert completed["data"]["group_id"] == "group-clock"
    assert completed["data"]["completed_on"] == start.astimezone(AMSTERDAM).date().isoformat()


# --- retention, end to end ------------------------------------------------------------------------

COMPLETED = list(range(5))  # the group (capacity 5 in the tests' enrolment file)
WITHDRAWN, REJECTED, WAITING = 5, 6, 7  # answered on day 0; the waiting one stays all along
LATER_REJECTED, LATER_WITHDRAWN = 8, 9  # answered when the course completes
LAST_REJECTED = 10  # answered at the first retention check
RETAKE = 11


def person(number: int) -> dict[str, str]:
    return {
        "employee_reference": f"EMP-{number:04d}",
        "given_name": f"Voornaam{number}x",
        "family_name": f"Achternaam{number}x",
    }


def strings_of(number: int) -> list[str]:
    """What could identify the person: reference, given name (in the display name), their referral id."""
    who = person(number)
    return [
        who["employee_reference"],
        who["given_name"],
        display_name(who["given_name"], who["family_name"]),
        f"PRM-{number:04d}",
    ]


async def everything(system: System) -> dict[str, str]:
    """Each database's text, case folded; notifications' with its mails decoded."""
    texts = {}
    for service in SERVICES:
        engine = create_async_engine(system.database_urls[service])
        try:
            found = await all_text(engine)
            if service == "notifications":
                found += "\n" + await mail_text(engine)
        finally:
            await engine.dispose()
        texts[service] = found.casefold()
    return texts


def where(texts: dict[str, str], number: int) -> set[str]:
    """The databases that hold any string of the person."""
    return {service for service, text in texts.items() for s in strings_of(number) if s.casefold() in text}


async def refer(rabbit: AbstractRobustConnection, namespace: Namespace, number: int, **changes: Any) -> None:
    await publish(rabbit, namespace, referral_event(number, participant=person(number), **changes))


async def move_clock(system: System, days: int) -> None:
    """Restart every service `days` on, and wait until each has run its retention job then."""
    await eventually(system.quiet, timeout=30, what="outboxes and mail queue empty")
    system.stop_all()
    system.env.update(moved_by(days))
    since = (datetime.now(UTC) + timedelta(days=days, minutes=-1)).isoformat()
    await system.start(*SERVICES)

    async def retention_ran() -> bool:
        for service, shredder in LAST_SHREDDER.items():
            query = (
                f"SELECT count(*) FROM retention_runs WHERE shredder = '{shredder}' AND ran_at > '{since}'"
            )
            if not await system.scalar(service, query):
                return False
        return True

    await eventually(retention_ran, timeout=30, what=f"the retention job on day {days}")


async def withdraw(rabbit: AbstractRobustConnection, namespace: Namespace, tap: Tap, number: int) -> None:
    accepted = len(tap.distinct("ReferralAccepted"))
    await refer(rabbit, namespace, number)
    await tap.wait_for("ReferralAccepted", accepted + 1)
    withdrawn = len(tap.distinct("WithdrawalProcessed"))
    await publish(rabbit, namespace, withdrawal_event(number))
    await tap.wait_for("WithdrawalProcessed", withdrawn + 1)


async def reject(rabbit: AbstractRobustConnection, namespace: Namespace, tap: Tap, number: int) -> None:
    rejected = len(tap.distinct("ReferralRejected"))
    await refer(rabbit, namespace, number, can_read_and_write_a_little=False)
    await tap.wait_for("ReferralRejected", rejected + 1)


async def test_with_the_clock_moved_past_each_period_nothing_of_the_expired_people_is_left(
    system: System, rabbit: AbstractRobustConnection, namespace: Namespace
) -> None:
    kinds = [
        "ReferralAccepted",
        "ReferralRejected",
        "WithdrawalProcessed",
        "CourseScheduled",
        "CourseCompleted",
    ]
    tap = await open_tap(rabbit, namespace, kinds)
    # The coordinator's summary of rejections after a second, not a day: mail goes out in the test.
    system.env.update(DIGEST_WINDOW="1", COMPLETION_CHECK_INTERVAL="1")

    # Day 0: five people form a group and get a course; one withdraws, one is rejected, one waits.
    await system.start(*SERVICES)
    for number in COMPLETED:
        await refer(rabbit, namespace, number)
    await tap.wait_for("ReferralAccepted", len(COMPLETED))
    await publish(rabbit, namespace, intake_event(groups=1))
    [course] = await tap.wait_for("CourseScheduled", 1, timeout=60)
    await withdraw(rabbit, namespace, tap, WITHDRAWN)
    await reject(rabbit, namespace, tap, REJECTED)
    await refer(rabbit, namespace, WAITING)
    await tap.wait_for("ReferralAccepted", len(COMPLETED) + 2)
    await eventually(system.quiet, timeout=30, what="outboxes and mail queue empty")
    texts = await everything(system)
    for number in COMPLETED:
        assert where(texts, number) == set(SERVICES), "the scan sees every database, mails included"
    for number in (WITHDRAWN, REJECTED, WAITING):
        assert "enrolment" in where(texts, number) and "notifications" in where(texts, number)

    # The day after the last session: scheduling completes the course, enrolment records it.
    first_move = days_until_after(last_session(course)[1])
    await move_clock(system, first_move)
    [completed] = await tap.wait_for("CourseCompleted", 1, timeout=30)
    completed_on = date.fromisoformat(completed["data"]["completed_on"])

    async def recorded() -> bool:
        query = "SELECT count(*) FROM referrals WHERE status = 'completed'"
        return await system.scalar("enrolment", query) == len(COMPLETED)

    await eventually(recorded, what="enrolment to record the completions")
    await reject(rabbit, namespace, tap, LATER_REJECTED)
    await withdraw(rabbit, namespace, tap, LATER_WITHDRAWN)

    # Past the answered period (90 days) of day 0, and the completed period (30 days) of the
    # completion: the day-0 answers are gone everywhere; the completed people are gone from
    # enrolment (reduced to the hash) and notifications, and only scheduling's copy of the course
    # (course period: 90 days after completion) still names them.
    second_move = max(91, first_move + 31) + 1
    await move_clock(system, second_move)
    texts = await everything(system)
    for number in (WITHDRAWN, REJECTED):
        assert where(texts, number) == set(), number
    for number in COMPLETED:
        assert where(texts, number) == {"scheduling"}, number
    for number in (LATER_REJECTED, LATER_WITHDRAWN, WAITING):
        assert "enrolment" in where(texts, number), number
    await reject(rabbit, namespace, tap, LAST_REJECTED)

    # 91 days after the completion: the course period and the later answers have passed too.
    third_move = first_move + 91
    await move_clock(system, third_move)
    texts = await everything(system)
    for number in [*COMPLETED, LATER_REJECTED, LATER_WITHDRAWN]:
        assert where(texts, number) == set(), number
    for number in (LAST_REJECTED, WAITING):
        assert "enrolment" in where(texts, number), number
    reduced = (
        "SELECT count(*) FROM referrals WHERE status = 'completed' AND employee_reference = '' "
        "AND partner_referral_id IS NULL AND person_key IS NOT NULL"
    )
    assert await system.scalar("enrolment", reduced) == len(COMPLETED)

    # A person reduced to the keyed hash comes back too early: the retake rule still refuses.
    rejected = len(tap.distinct("ReferralRejected"))
    await publish(rabbit, namespace, referral_event(RETAKE, participant=person(COMPLETED[0])))
    answers = await tap.wait_for("ReferralRejected", rejected + 1)
    [retake] = [a["data"] for a in answers if a["data"]["partner_referral_id"] == f"PRM-{RETAKE:04d}"]
    assert retake["reason_code"] == "retake-too-soon"
    assert retake["retake_possible_from"] == add_months(completed_on, 12).isoformat()
    await eventually(system.quiet, timeout=30, what="outboxes and mail queue empty")
    texts = await everything(system)
    assert person(COMPLETED[0])["employee_reference"].casefold() not in "".join(texts.values())
