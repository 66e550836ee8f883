"""Enrolment on the real broker and database: answers, waiting lists, groups, duplicates, parking."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aio_pika.abc import AbstractRobustConnection
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from enrolment.bootstrap import LIBRARY_TIME
from enrolment.domain.model import add_months, dutch_date
from taalhuis_shared.clock import Clock
from tests.support import users
from tests.support.broker import Namespace, Tap, drain_until, open_tap, publish
from tests.support.referrals import (
    completion_event,
    course_scheduled_event,
    early_closure_event,
    intake_event,
    referral_event,
    session_moved_event,
    withdrawal_event,
)
from tests.support.waiting import eventually

from .conftest import ConnectAs, RunningEnrolment


def enrolment_today() -> date:
    """The library's date on the machine's clock, as enrolment sees it without an offset."""
    return Clock().today(LIBRARY_TIME)


ANSWERS = [
    "ReferralAccepted",
    "ReferralRejected",
    "ParticipantPlaced",
    "GroupFilled",
    "GroupChanged",
    "WithdrawalProcessed",
    "EarlyClosureRefused",
]


async def scalar(database_url: str, query: str) -> Any:
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            return await connection.scalar(text(query))
    finally:
        await engine.dispose()


async def settle(database_url: str, tap: Tap, handled: int) -> None:
    """Wait until `handled` events were handled, their answers published, and the tap has them all."""

    async def settled() -> bool:
        if await scalar(database_url, "SELECT count(*) FROM inbox") < handled:
            return False
        engine = create_async_engine(database_url)
        try:
            async with engine.connect() as connection:
                rows = (
                    await connection.execute(
                        text(
                            "SELECT event_type, count(*), count(published_at) FROM outbox GROUP BY event_type"
                        )
                    )
                ).all()
        finally:
            await engine.dispose()
        return all(total == published == len(tap.distinct(kind)) for kind, total, published in rows)

    await eventually(settled, timeout=30, what=f"{handled} events handled and their answers received")


def partner_ids(items: list[dict[str, Any]]) -> list[str]:
    """The partner referral ids of events, or of group members."""
    return [item.get("data", item)["partner_referral_id"] for item in items]


async def test_ten_referrals_and_room_for_two_groups_form_two_full_groups(
    running_enrolment: RunningEnrolment, rabbit: AbstractRobustConnection, namespace: Namespace
) -> None:
    tap = await open_tap(rabbit, namespace, ANSWERS)
    async with running_enrolment() as settings:
        await publish(rabbit, namespace, intake_event(groups=2))
        for number in range(10):
            await publish(rabbit, namespace, referral_event(number))
        await settle(settings.database_url, tap, handled=11)
    filled = list(tap.distinct("GroupFilled").values())
    assert sorted(len(g["data"]["participants"]) for g in filled) == [5, 5]
    placed = [p["partner_referral_id"] for g in filled for p in g["data"]["participants"]]
    assert sorted(placed) == [f"PRM-{n:04d}" for n in range(10)]
    assert filled[0]["data"]["earliest_start"] == "2027-01-04"
    assert len(tap.distinct("ParticipantPlaced")) == 10
    # Only a short name leaves enrolment, never the family name.
    assert all("Berg" not in p["display_name"] for g in filled for p in g["data"]["participants"])


@pytest.mark.parametrize(
    ("changes", "reason_code"),
    [
        ({"partner_id": "onbekend"}, "unknown-partner"),
        ({"course": {"type": "excel", "level": 1}}, "unknown-course"),
        ({"course": {"type": "digisterker", "level": 4}}, "unknown-course"),
        ({"partner_id": "gouwe", "course": {"type": "digisterker", "level": 1}}, "course-not-for-partner"),
        ({"municipality_of_residence": "Utrecht"}, "municipality-not-served"),
        ({"can_read_and_write_a_little": False}, "cannot-read-or-write"),
        ({"consent_to_share_data": False}, "no-consent"),
    ],
)
async def test_each_eligibility_rule_rejects_with_its_reason_code(
    changes: dict[str, Any],
    reason_code: str,
    running_enrolment: RunningEnrolment,
    rabbit: AbstractRobustConnection,
    namespace: Namespace,
) -> None:
    tap = await open_tap(rabbit, namespace, ANSWERS)
    async with running_enrolment():
        await publish(rabbit, namespace, referral_event(1, **changes))
        [rejected] = await tap.wait_for("ReferralRejected", 1)
    assert rejected["data"]["reason_code"] == reason_code
    assert rejected["data"]["reason"] and rejected["data"]["reason_en"]
    assert rejected["data"]["partner_referral_id"] == "PRM-0001"
    assert tap.of_type("ReferralAccepted") == []


async def test_a_referral_in_another_partners_name_is_refused_to_its_sender(
    running_enrolment: RunningEnrolment,
    rabbit: AbstractRobustConnection,
    rabbit_as: ConnectAs,
    namespace: Namespace,
) -> None:
    tap = await open_tap(rabbit, namespace, ANSWERS)
    werkbedrijf = await rabbit_as(users.PARTNER)
    async with running_enrolment():
        # werkbedrijf's user sends a referral naming promen, and one naming itself.
        await publish(werkbedrijf, namespace, referral_event(1), user_id=users.PARTNER)
        await publish(
            werkbedrijf, namespace, referral_event(2, partner_id="werkbedrijf"), user_id=users.PARTNER
        )
        [rejected] = await tap.wait_for("ReferralRejected", 1)
        [accepted] = await tap.wait_for("ReferralAccepted", 1)
    # The answer goes to the sender, not to the partner it named.
    assert (rejected["data"]["partner_id"], rejected["data"]["reason_code"]) == (
        "werkbedrijf",
        "partner-mismatch",
    )
    assert (accepted["data"]["partner_id"], accepted["data"]["partner_referral_id"]) == (
        "werkbedrijf",
        "PRM-0002",
    )


async def test_the_same_partner_referral_id_twice_is_a_duplicate_and_the_same_person_twice_is_enrolled(
    running_enrolment: RunningEnrolment, rabbit: AbstractRobustConnection, namespace: Namespace
) -> None:
    tap = await open_tap(rabbit, namespace, ANSWERS)
    async with running_enrolment():
        await publish(rabbit, namespace, referral_event(1))
        await publish(rabbit, namespace, referral_event(1))  # new event id, same referral id
        same_person = referral_event(2)
        same_person["data"]["participant"]["employee_reference"] = "EMP-0001"
        await publish(rabbit, namespace, same_person)
        other_level = referral_event(3, course={"type": "klik-en-tik", "level": 2})
        other_level["data"]["participant"]["employee_reference"] = "EMP-0001"
        await publish(rabbit, namespace, other_level)
        rejected = await tap.wait_for("ReferralRejected", 2)
        accepted = await tap.wait_for("ReferralAccepted", 2)
    assert {(e["data"]["partner_referral_id"], e["data"]["reason_code"]) for e in rejected} == {
        ("PRM-0001", "duplicate-referral"),
        ("PRM-0002", "already-enrolled"),
    }
    assert sorted(partner_ids(accepted)) == ["PRM-0001", "PRM-0003"]


async def test_without_capacity_referrals_wait_and_one_group_takes_the_five_longest_waiting(
    running_enrolment: RunningEnrolment, rabbit: AbstractRobustConnection, namespace: Namespace
) -> None:
    tap = await open_tap(rabbit, namespace, ANSWERS)
    async with running_enrolment() as settings:
        for number in range(7):
            await publish(rabbit, namespace, referral_event(number))
        # A longer-waiting NT2 list of four must not be chosen: it is not full.
        for number in range(7, 11):
            await publish(rabbit, namespace, referral_event(number, language_group="NT2"))
        await settle(settings.database_url, tap, handled=11)
        assert tap.of_type("GroupFilled") == []
        accepted = sorted(
            tap.distinct("ReferralAccepted").values(), key=lambda e: e["data"]["partner_referral_id"]
        )
        assert [e["data"]["waiting_position"] for e in accepted] == [1, 2, 3, 4, 5, 6, 7, 1, 2, 3, 4]

        await publish(rabbit, namespace, intake_event(groups=1))
        await settle(settings.database_url, tap, handled=12)
    [group] = tap.distinct("GroupFilled").values()
    members = group["data"]["participants"]
    assert [m["partner_referral_id"] for m in members] == [f"PRM-{n:04d}" for n in range(5)]
    assert group["data"]["language_group"] == "NT1"
    assert sorted(partner_ids(list(tap.distinct("ParticipantPlaced").values()))) == [
        f"PRM-{n:04d}" for n in range(5)
    ]


async def test_a_withdrawal_from_a_formed_group_pulls_in_the_next_person_waiting(
    running_enrolment: RunningEnrolment,
    rabbit: AbstractRobustConnection,
    rabbit_as: ConnectAs,
    namespace: Namespace,
) -> None:
    tap = await open_tap(rabbit, namespace, ANSWERS)
    async with running_enrolment() as settings:
        await publish(rabbit, namespace, intake_event(groups=1))
        # One at a time: a service handles several messages at once, and the arrival order
        # (who waits longest) is what this test is about.
        for number in range(7):
            await publish(rabbit, namespace, referral_event(number))
            await settle(settings.database_url, tap, handled=number + 2)
        await publish(rabbit, namespace, withdrawal_event(2))
        await publish(rabbit, namespace, withdrawal_event(6))  # still waiting
        await publish(rabbit, namespace, withdrawal_event(99))  # unknown
        # Sent by werkbedrijf's user in promen's name: refused, PRM-0001 stays.
        werkbedrijf = await rabbit_as(users.PARTNER)
        await publish(werkbedrijf, namespace, withdrawal_event(1), user_id=users.PARTNER)
        await settle(settings.database_url, tap, handled=12)
        seats = await scalar(
            settings.database_url,
            "SELECT string_agg(partner_referral_id || '@' || seat, ',' ORDER BY seat) FROM referrals "
            "WHERE status = 'placed'",
        )
    [change] = tap.distinct("GroupChanged").values()
    assert partner_ids(change["data"]["removed"]) == ["PRM-0002"]
    assert partner_ids(change["data"]["added"]) == ["PRM-0005"]
    assert sorted(partner_ids(change["data"]["participants"])) == [
        "PRM-0000",
        "PRM-0001",
        "PRM-0003",
        "PRM-0004",
        "PRM-0005",
    ]
    assert seats == "PRM-0000@1,PRM-0001@2,PRM-0005@3,PRM-0003@4,PRM-0004@5"
    outcomes = {
        e["data"]["partner_referral_id"]: e["data"]["outcome"] for e in tap.of_type("WithdrawalProcessed")
    }
    assert outcomes == {
        "PRM-0002": "removed-from-group",
        "PRM-0006": "removed-from-waiting-list",
        "PRM-0099": "not-found",
        "PRM-0001": "partner-mismatch",
    }


async def test_a_withdrawal_right_behind_its_referral_finds_it_while_referrals_go_in_batches(
    running_enrolment: RunningEnrolment, rabbit: AbstractRobustConnection, namespace: Namespace
) -> None:
    tap = await open_tap(rabbit, namespace, ANSWERS)
    async with running_enrolment():
        pass  # its queue exists from now on
    # Waiting in the queue when enrolment starts, all are delivered at once: the referrals in
    # batches, the withdrawals (without a key) beside them.
    for number in range(40):
        await publish(rabbit, namespace, referral_event(number))
    for number in range(35, 40):
        await publish(rabbit, namespace, withdrawal_event(number))
    async with running_enrolment() as settings:
        await settle(settings.database_url, tap, handled=45)
    outcomes = {
        e["data"]["partner_referral_id"]: e["data"]["outcome"] for e in tap.of_type("WithdrawalProcessed")
    }
    assert outcomes == {f"PRM-{number:04d}": "removed-from-waiting-list" for number in range(35, 40)}


async def test_the_coordinator_closes_a_group_early_only_from_the_minimum_size(
    running_enrolment: RunningEnrolment, rabbit: AbstractRobustConnection, namespace: Namespace
) -> None:
    tap = await open_tap(rabbit, namespace, ANSWERS)
    async with running_enrolment() as settings:
        await publish(rabbit, namespace, intake_event(groups=1))
        for number in range(2):
            await publish(rabbit, namespace, referral_event(number))
        await publish(rabbit, namespace, early_closure_event())
        [refused] = await tap.wait_for("EarlyClosureRefused", 1)
        # Right behind the referral: a closure is handled after the referrals that came before it.
        await publish(rabbit, namespace, referral_event(2))
        await publish(rabbit, namespace, early_closure_event())
        [group] = await tap.wait_for("GroupFilled", 1)
        await settle(settings.database_url, tap, handled=6)
    assert refused["data"]["reason_code"] == "too-few-waiting"
    assert group["data"]["closed_early"] is True
    assert partner_ids(group["data"]["participants"]) == ["PRM-0000", "PRM-0001", "PRM-0002"]


async def test_the_same_event_delivered_twice_changes_nothing_the_second_time(
    running_enrolment: RunningEnrolment, rabbit: AbstractRobustConnection, namespace: Namespace
) -> None:
    tap = await open_tap(rabbit, namespace, ANSWERS)
    event = referral_event(7)
    async with running_enrolment() as settings:
        await publish(rabbit, namespace, event)
        await publish(rabbit, namespace, event)
        await publish(rabbit, namespace, referral_event(8))
        await settle(settings.database_url, tap, handled=2)
        assert await scalar(settings.database_url, "SELECT count(*) FROM referrals") == 2
    assert sorted(partner_ids(tap.of_type("ReferralAccepted"))) == ["PRM-0007", "PRM-0008"]
    assert tap.of_type("ReferralRejected") == []


async def test_unreadable_messages_are_parked_with_their_reason_and_the_next_is_handled(
    running_enrolment: RunningEnrolment, rabbit: AbstractRobustConnection, namespace: Namespace
) -> None:
    tap = await open_tap(rabbit, namespace, ANSWERS)
    invalid = referral_event(2)
    del invalid["data"]["course"]
    nameless = referral_event(4)  # cannot be answered: which referral would the answer be about?
    del nameless["data"]["partner_referral_id"]
    async with running_enrolment():
        await publish(
            rabbit, namespace, b"this is not json", routing_key="ReferralSubmitted", message_id="m-1"
        )
        await publish(rabbit, namespace, invalid)
        await publish(rabbit, namespace, nameless)
        await publish(rabbit, namespace, referral_event(3))
        await tap.wait_for("ReferralAccepted", 1)
        [rejected] = await tap.wait_for("ReferralRejected", 1)
        parking_queue = namespace.topology("enrolment").parking_queue_name
        parked = await drain_until(rabbit, parking_queue, 2)
    reasons = {m.message_id: m.headers["x-parked-reason"] for m in parked}
    assert reasons == {"m-1": "not-json", nameless["id"]: "schema-invalid"}
    schema_invalid = next(m for m in parked if m.message_id == nameless["id"])
    assert "data.partner_referral_id" in schema_invalid.headers["x-parked-detail"]
    assert json.loads(schema_invalid.body) == nameless  # parked as it came, for replay
    # A referral that names its partner and referral id is answered, with what is wrong.
    assert rejected["data"]["partner_referral_id"] == "PRM-0002"
    assert rejected["data"]["reason_code"] == "invalid-referral"
    assert "course" in rejected["data"]["reason_en"]
    assert partner_ids(tap.of_type("ReferralAccepted")) == ["PRM-0003"]


async def test_a_referral_whose_handling_keeps_failing_is_parked_with_the_error_in_one_delivery(
    running_enrolment: RunningEnrolment, rabbit: AbstractRobustConnection, namespace: Namespace
) -> None:
    tap = await open_tap(rabbit, namespace, ANSWERS)
    async with running_enrolment() as settings:
        # The database answers but refuses every write of a referral: the input is fine, the
        # handling fails, and the database is not away. That is parked, with the error's class.
        engine = create_async_engine(settings.database_url)
        async with engine.begin() as connection:
            await connection.execute(text("ALTER TABLE referrals RENAME TO referrals_away"))
        await engine.dispose()
        event = referral_event(4)
        await publish(rabbit, namespace, event)
        parking_queue = namespace.topology("enrolment").parking_queue_name
        [parked] = await drain_until(rabbit, parking_queue, 1)
        # Once the table is back, the service goes on with the next message.
        async with engine.begin() as connection:
            await connection.execute(text("ALTER TABLE referrals_away RENAME TO referrals"))
        await engine.dispose()
        await publish(rabbit, namespace, referral_event(5))
        [accepted] = await tap.wait_for("ReferralAccepted", 1)
    assert parked.message_id == event["id"]
    assert parked.headers["x-parked-reason"] == "handling-failed"
    assert parked.headers["x-parked-error"] == "UndefinedTableError"
    assert "referrals" in parked.headers["x-parked-detail"]
    assert "x-death" not in parked.headers  # parked by the service, at the first delivery
    assert json.loads(parked.body) == event
    assert accepted["data"]["partner_referral_id"] == "PRM-0005"


async def test_a_retake_is_rejected_with_its_date_eleven_months_after_completion_and_accepted_after_twelve(
    running_enrolment: RunningEnrolment, rabbit: AbstractRobustConnection, namespace: Namespace
) -> None:
    tap = await open_tap(rabbit, namespace, ANSWERS)
    today = enrolment_today()
    eleven_months_ago, twelve_months_ago = add_months(today, -11), add_months(today, -12)
    async with running_enrolment() as settings:
        await publish(rabbit, namespace, intake_event(groups=2))
        for number in range(10):
            await publish(rabbit, namespace, referral_event(number))
        groups = await tap.wait_for("GroupFilled", 2)
        first, second = sorted(groups, key=lambda g: partner_ids(g["data"]["participants"])[0])
        await publish(rabbit, namespace, completion_event(first["data"], eleven_months_ago))
        await publish(rabbit, namespace, completion_event(second["data"], twelve_months_ago))
        await settle(settings.database_url, tap, handled=13)

        too_soon = referral_event(100)
        too_soon["data"]["participant"]["employee_reference"] = "EMP-0000"  # was in the first group
        in_time = referral_event(101)
        in_time["data"]["participant"]["employee_reference"] = "EMP-0005"  # was in the second group
        await publish(rabbit, namespace, too_soon)
        await publish(rabbit, namespace, in_time)
        [rejected] = await tap.wait_for("ReferralRejected", 1)
        await settle(settings.database_url, tap, handled=15)
    assert rejected["data"]["partner_referral_id"] == "PRM-0100"
    assert rejected["data"]["reason_code"] == "retake-too-soon"
    possible_from = add_months(eleven_months_ago, 12)
    assert rejected["data"]["retake_possible_from"] == possible_from.isoformat()
    assert dutch_date(possible_from) in rejected["data"]["reason"]
    accepted = [e for e in tap.of_type("ReferralAccepted") if e["data"]["partner_referral_id"] == "PRM-0101"]
    assert len(accepted) == 1


async def test_after_the_first_session_a_withdrawal_is_noted_and_nobody_takes_the_seat(
    running_enrolment: RunningEnrolment, rabbit: AbstractRobustConnection, namespace: Namespace
) -> None:
    tap = await open_tap(rabbit, namespace, ANSWERS)
    started = enrolment_today() - timedelta(days=7)
    async with running_enrolment() as settings:
        await publish(rabbit, namespace, intake_event(groups=1))
        for number in range(6):
            await publish(rabbit, namespace, referral_event(number))
        [group] = await tap.wait_for("GroupFilled", 1)
        await publish(rabbit, namespace, course_scheduled_event(group["data"], started))
        await settle(settings.database_url, tap, handled=8)
        await publish(rabbit, namespace, withdrawal_event(1))
        [processed] = await tap.wait_for("WithdrawalProcessed", 1)
        await settle(settings.database_url, tap, handled=9)
        first_session = await scalar(settings.database_url, "SELECT first_session FROM groups")
        waiting = await scalar(
            settings.database_url, "SELECT count(*) FROM referrals WHERE status = 'waiting'"
        )
    assert first_session == started
    assert processed["data"]["outcome"] == "left-during-course"
    [change] = tap.distinct("GroupChanged").values()
    assert partner_ids(change["data"]["removed"]) == ["PRM-0001"]
    assert change["data"]["added"] == []
    assert waiting == 1  # PRM-0005 still waits


async def test_a_course_whose_first_session_moved_later_has_not_started_and_frees_the_seat(
    running_enrolment: RunningEnrolment, rabbit: AbstractRobustConnection, namespace: Namespace
) -> None:
    tap = await open_tap(rabbit, namespace, ANSWERS)
    today = enrolment_today()
    async with running_enrolment() as settings:
        await publish(rabbit, namespace, intake_event(groups=1))
        for number in range(6):
            await publish(rabbit, namespace, referral_event(number))
        [group] = await tap.wait_for("GroupFilled", 1)
        # Planned to start last week, but measures cancelled the first session before it took
        # place; it was moved to three weeks from now.
        await publish(rabbit, namespace, course_scheduled_event(group["data"], today - timedelta(days=7)))
        later = datetime.combine(today + timedelta(weeks=3), time(13, 30), ZoneInfo("Europe/Amsterdam"))
        await publish(rabbit, namespace, session_moved_event(group["data"], 1, later))
        await settle(settings.database_url, tap, handled=9)
        await publish(rabbit, namespace, withdrawal_event(1))
        [processed] = await tap.wait_for("WithdrawalProcessed", 1)
        first_session = await scalar(settings.database_url, "SELECT first_session FROM groups")
    assert first_session == later.date()
    assert processed["data"]["outcome"] == "removed-from-group"
