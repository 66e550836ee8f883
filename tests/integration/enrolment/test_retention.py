"""Enrolment's retention on the real broker and database, with the retention clock moved forward.

Five people complete a course 40 days ago, one waits, one withdraws today, one is rejected today.
The retention job runs as the service builds it (`retention_worker` with enrolment's shredders),
each time with `CLOCK_OFFSET` moved past a period; after each run a scan of every text, JSON and
outbox-body column of enrolment's database looks for each person's strings, their partner's
referral id included. The retake rule, which the real service applies with the real date, still
refuses a person reduced to the keyed hash.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aio_pika.abc import AbstractRobustConnection
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from enrolment.adapters.config import load_policy
from enrolment.adapters.retention import enrolment_shredders
from enrolment.domain.model import display_name
from enrolment.settings import Settings
from taalhuis_shared.clock import Clock
from taalhuis_shared.retention import retention_worker
from tests.support.broker import Namespace, open_tap, publish
from tests.support.referrals import completion_event, intake_event, referral_event, withdrawal_event

from .conftest import RunningEnrolment
from .test_referrals import ANSWERS, enrolment_today, settle

DAY = 24 * 3600.0
COMPLETED = range(5)  # the group (capacity 5 in the tests' enrolment file)
WAITING = 5
WITHDRAWN = 6
REJECTED = 7


def person(number: int) -> dict[str, str]:
    return {
        "employee_reference": f"EMP-{number:04d}",
        "given_name": f"Voornaam{number}x",
        "family_name": f"Achternaam{number}x",
    }


def strings_of(number: int) -> list[str]:
    who = person(number)
    return [
        who["employee_reference"],
        who["given_name"],
        who["family_name"],
        display_name(who["given_name"], who["family_name"]),
        f"PRM-{number:04d}",
    ]


async def found(engine: AsyncEngine, needle: str) -> list[str]:
    """Every text, JSON and outbox-body column of the database that holds `needle` (any case)."""
    async with engine.connect() as connection:
        columns = await connection.execute(
            text(
                "SELECT table_name, column_name, data_type FROM information_schema.columns "
                "WHERE table_schema = 'public' AND data_type IN "
                "('character varying', 'text', 'json', 'jsonb', 'bytea')"
            )
        )
        hits = []
        for table, column, data_type in columns:
            # bytea as escaped text (not UTF-8: a reporting sketch is binary); the needles are ASCII.
            value = f"encode(\"{column}\", 'escape')" if data_type == "bytea" else f'"{column}"::text'
            count = await connection.scalar(
                text(f'SELECT count(*) FROM "{table}" WHERE {value} ILIKE :needle'),
                {"needle": f"%{needle}%"},
            )
            if count:
                hits.append(f"{table}.{column}")
        return hits


async def run_retention(settings: Settings, engine: AsyncEngine, days_on: float) -> None:
    moved = settings.model_copy(update={"clock_offset": days_on * DAY})
    shredders = enrolment_shredders(moved, load_policy(moved.enrolment_path))
    worker = retention_worker(moved, engine, Clock.of(moved), shredders)
    _, failed = await worker.run_once()
    assert not failed


async def rows(engine: AsyncEngine, query: str) -> list[Any]:
    async with engine.connect() as connection:
        return list(await connection.execute(text(query)))


async def test_retention_blanks_each_person_after_their_period_and_the_hash_still_refuses_a_retake(
    running_enrolment: RunningEnrolment, rabbit: AbstractRobustConnection, namespace: Namespace
) -> None:
    tap = await open_tap(rabbit, namespace, ANSWERS)
    completed_on = enrolment_today() - timedelta(days=40)
    async with running_enrolment() as settings:
        engine = create_async_engine(settings.database_url)
        try:
            for number in COMPLETED:  # first, so that they are the group
                await publish(rabbit, namespace, referral_event(number, participant=person(number)))
            await tap.wait_for("ReferralAccepted", len(COMPLETED))
            for number in (WAITING, WITHDRAWN):
                await publish(rabbit, namespace, referral_event(number, participant=person(number)))
            await tap.wait_for("ReferralAccepted", len(COMPLETED) + 2)
            await publish(rabbit, namespace, intake_event(groups=1))
            [group] = await tap.wait_for("GroupFilled", 1)
            await publish(rabbit, namespace, completion_event(group["data"], completed_on))
            await publish(rabbit, namespace, withdrawal_event(WITHDRAWN))
            await tap.wait_for("WithdrawalProcessed", 1)
            unable = {"can_read_and_write_a_little": False, "participant": person(REJECTED)}
            await publish(rabbit, namespace, referral_event(REJECTED, **unable))
            await tap.wait_for("ReferralRejected", 1)
            await settle(settings.database_url, tap, handled=11)
            for number in [*COMPLETED, WAITING, WITHDRAWN]:
                assert await found(engine, f"Voornaam{number}x"), "the scan finds what is there"
            assert sorted(await found(engine, "PRM-0007")) == [
                "outbox.body",
                "referral_history.partner_referral_id",
            ]
            old_ids = {row[0] for row in await rows(engine, "SELECT id FROM referrals")}

            # 31 days on: the completion is 71 days old (> 30), the outbox rows 31 (> 30).
            await run_retention(settings, engine, days_on=31)
            for number in COMPLETED:
                for needle in strings_of(number):
                    assert await found(engine, needle) == [], needle
            for number in (WAITING, WITHDRAWN):
                who = person(number)
                assert await found(engine, who["employee_reference"]) == ["referrals.employee_reference"]
                assert await found(engine, who["given_name"]) == ["referrals.display_name"]
            # Within the answered period the rejection's history line stays.
            assert await found(engine, "PRM-0007") == ["referral_history.partner_referral_id"]
            blanked = await rows(
                engine,
                "SELECT contact_name, contact_email, preferred_locations::text, language_group, "
                "person_key, course_type, level, completed_on, partner_referral_id, event_id, id "
                "FROM referrals WHERE status = 'completed'",
            )
            assert len(blanked) == len(COMPLETED)
            for row in blanked:
                assert (row[0], row[1], row[2], row[3]) == ("", "", "[]", "")
                assert row[4] is not None and len(row[4]) == 64
                assert (row[5], row[6], row[7]) == ("klik-en-tik", 1, completed_on)
                assert (row[8], row[9]) == (None, ""), "nothing the partner could recognise"
                assert row[10] not in old_ids, "a new random id, unknown to the other services' copies"

            places = await rows(
                engine, "SELECT DISTINCT municipality_of_residence FROM referrals WHERE status = 'completed'"
            )
            assert [place for (place,) in places] == [""], (
                "the municipality goes with the other personal fields"
            )

            # The person is now only a keyed hash; the real service still refuses the retake.
            retake = referral_event(100, participant=person(0) | {"employee_reference": "emp-0000"})
            await publish(rabbit, namespace, retake)
            answers = await tap.wait_for("ReferralRejected", 2)
            [rejected] = [a for a in answers if a["data"]["partner_referral_id"] == "PRM-0100"]
            assert rejected["data"]["reason_code"] == "retake-too-soon"
            # (Its answer is published after the commit that wrote its history line.)

            # 91 days on: the withdrawal and the rejections are older than 90 days: not a trace
            # of them is left, not even a row without fields; the waiting person stays.
            await run_retention(settings, engine, days_on=91)
            for needle in [*strings_of(WITHDRAWN), *strings_of(REJECTED), "PRM-0100"]:
                assert await found(engine, needle) == [], needle
            assert await found(engine, person(WAITING)["employee_reference"]) != []
            statuses = await rows(engine, "SELECT status, count(*) FROM referrals GROUP BY status ORDER BY 1")
            assert statuses == [("completed", len(COMPLETED)), ("waiting", 1)]
            assert await rows(
                engine, "SELECT what FROM referral_history WHERE partner_referral_id = 'PRM-0005'"
            )
            kept = await rows(engine, "SELECT person_key FROM referrals WHERE status = 'completed'")
            assert None not in [key for (key,) in kept], "within the retake window the hash stays"

            # 12 + 1 months after the completion the rows go, with their keyed hash.
            await run_retention(settings, engine, days_on=365 + 31 - 40 + 5)
            assert await rows(engine, "SELECT status FROM referrals") == [("waiting",)]
            assert await found(engine, person(WAITING)["employee_reference"]) != []
            runs = await rows(engine, "SELECT shredder, rows_affected FROM retention_runs ORDER BY id")
            assert ("completed-referrals", len(COMPLETED)) in runs
            # The withdrawn row and its 2 history lines; the 2 rejections' lines.
            assert ("answered-referrals", 1 + 2 + 2) in runs
            assert ("expired-completions", len(COMPLETED)) in runs
        finally:
            await engine.dispose()
