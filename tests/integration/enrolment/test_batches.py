"""Several referrals for one course type in one unit of work, on the real PostgreSQL.

The shared consumer hands enrolment a batch as `prepare` (one course lock, one load, one look-up
for the batch) and then each event's handler in the same unit of work; these tests do the same by
hand, without RabbitMQ.
"""

from __future__ import annotations

import functools
import json
from collections.abc import AsyncIterator, Callable
from datetime import date
from typing import Any

import pytest
from sqlalchemy import event, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from enrolment.adapters.config import load_policy
from enrolment.adapters.repository import EnrolmentRepository
from enrolment.adapters.tables import groups, history, intakes, referrals
from enrolment.bootstrap import enrolment_handlers
from enrolment.entrypoints import translate
from enrolment.service_layer import handlers
from enrolment.service_layer.reporting import CountingUnitOfWork
from taalhuis_shared.clock import Clock
from taalhuis_shared.db import upgrade_schema
from taalhuis_shared.events import (
    CloudEvent,
    ErasureRequested,
    ErasureRequestedV1,
    IntakeOpenedV1,
    ReferralSubmittedV1,
    new_event,
)
from taalhuis_shared.messaging.store import outbox
from tests.support.databases import Databases
from tests.support.referrals import ENROLMENT_FILE, intake_event, referral_event

from .conftest import MIGRATIONS

POLICY = load_policy(ENROLMENT_FILE)
TODAY = date(2027, 1, 4)
Batch = list[tuple[CloudEvent, str]]


@pytest.fixture
async def engine(databases: Databases) -> AsyncIterator[AsyncEngine]:
    url = await databases.create("enrolment")
    await upgrade_schema(url, MIGRATIONS)
    engine = create_async_engine(url)
    try:
        yield engine
    finally:
        await engine.dispose()


def unit_of_work(engine: AsyncEngine) -> Callable[[], CountingUnitOfWork]:
    clock = Clock()
    repository = functools.partial(EnrolmentRepository, person_key_secret="test-secret", clock=clock)
    return functools.partial(CountingUnitOfWork, engine, repository, None, lambda: TODAY, clock=clock)


async def handle(engine: AsyncEngine, batch: Batch) -> None:
    """One unit of work for the batch, as the batching consumer runs it."""
    handler_of = enrolment_handlers(POLICY, lambda: TODAY, lambda: None)
    async with unit_of_work(engine)() as uow:
        await handlers.prepare(translate.referrals_in(batch), uow, POLICY)
        for cloud_event, publisher in batch:
            if await uow.first_time(cloud_event):
                await handler_of[type(cloud_event)](cloud_event, publisher, uow)


def referral(number: int, **changes: Any) -> tuple[CloudEvent, str]:
    return ReferralSubmittedV1.model_validate(referral_event(number, **changes)), "guest"


async def published(engine: AsyncEngine) -> list[tuple[str, dict[str, Any]]]:
    async with engine.connect() as connection:
        rows = await connection.execute(select(outbox.c.event_type, outbox.c.body).order_by(outbox.c.seq))
        return [(row.event_type, json.loads(row.body)["data"]) for row in rows]


async def test_a_batch_answers_each_referral_in_order_with_duplicates_and_repeated_people_rejected(
    engine: AsyncEngine,
) -> None:
    person = {"employee_reference": "EMP-0042", "given_name": "Jan", "family_name": "Jansen"}
    batch = [
        referral(1),
        referral(2, partner_referral_id="prm-0001"),  # the same referral id: a duplicate
        referral(3, participant=person),
        referral(4, participant={**person, "employee_reference": "emp-0042"}),  # the same person
        referral(5, consent_to_share_data=False),
        referral(6),
    ]
    await handle(engine, batch)
    await handle(engine, [referral(7, partner_referral_id="PRM-0006")])  # a later batch knows it too

    answers = await published(engine)
    assert [(kind, data["partner_referral_id"]) for kind, data in answers] == [
        ("ReferralAccepted", "PRM-0001"),
        ("ReferralRejected", "prm-0001"),
        ("ReferralAccepted", "PRM-0003"),
        ("ReferralRejected", "PRM-0004"),
        ("ReferralRejected", "PRM-0005"),
        ("ReferralAccepted", "PRM-0006"),
        ("ReferralRejected", "PRM-0006"),
    ]
    assert [data.get("reason_code") for _, data in answers if "reason_code" in data] == [
        "duplicate-referral", "already-enrolled", "no-consent", "duplicate-referral",
    ]  # fmt: skip
    assert [data["waiting_position"] for kind, data in answers if kind == "ReferralAccepted"] == [1, 2, 3]
    async with engine.connect() as connection:
        rows = (await connection.execute(select(referrals).order_by(referrals.c.arrival))).all()
        notes = (await connection.execute(select(history.c.partner_referral_id, history.c.what))).all()
    assert [(r.partner_referral_id, r.status) for r in rows] == [
        ("PRM-0001", "waiting"), ("PRM-0003", "waiting"), ("PRM-0006", "waiting"),
    ]  # fmt: skip
    assert all(r.person_key for r in rows) and rows[0].event_id == batch[0][0].id
    assert {r.municipality_of_residence for r in rows} == {"Gouda"}, "kept for the municipality's numbers"
    assert sorted(notes) == [
        ("PRM-0001", "accepted"), ("PRM-0003", "accepted"), ("PRM-0004", "rejected"),
        ("PRM-0005", "rejected"), ("PRM-0006", "accepted"),
    ]  # fmt: skip


async def test_a_batch_that_fills_groups_places_them_and_uses_the_intake(engine: AsyncEngine) -> None:
    opened = IntakeOpenedV1.model_validate(intake_event(groups=2))
    await handle(engine, [(opened, "guest")])
    await handle(engine, [referral(n) for n in range(1, 13)])

    answers = await published(engine)
    kinds = [kind for kind, _ in answers]
    assert kinds.count("GroupFilled") == 2 and kinds.count("ParticipantPlaced") == 10
    async with engine.connect() as connection:
        placed = (
            await connection.execute(
                select(referrals.c.partner_referral_id, referrals.c.group_id, referrals.c.seat)
                .where(referrals.c.status == "placed")
                .order_by(referrals.c.arrival)
            )
        ).all()
        used = await connection.scalar(select(intakes.c.groups_used))
        formed = await connection.scalar(select(text("count(*)")).select_from(groups))
    assert [p.partner_referral_id for p in placed] == [f"PRM-{n:04d}" for n in range(1, 11)]
    assert [p.seat for p in placed] == [1, 2, 3, 4, 5] * 2
    assert used == 2 and formed == 2


async def test_a_batch_costs_one_statement_per_referral_and_a_few_more(engine: AsyncEngine) -> None:
    """One inbox line per event (the shared unit of work's); enrolment's own part is one lock, three
    reads (intakes, waiting lists, the referrals' history), the arrival numbers, and one insert
    each for referrals, history and outbox; counting adds one look-up and one upsert."""
    await handle(engine, [referral(1)])  # the pool's first connection and its prepared statements
    statements: list[str] = []

    def counted(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", counted)
    try:
        await handle(engine, [referral(n) for n in range(2, 22)])
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", counted)

    inbox = [s for s in statements if "INSERT INTO inbox" in s]
    assert len(inbox) == 20
    others = [s for s in statements if s not in inbox]
    assert len(others) <= 10, "\n".join(s[:90] for s in others)


async def test_erasing_a_placed_person_gives_their_seat_to_the_next_person_waiting(
    engine: AsyncEngine,
) -> None:
    opened = IntakeOpenedV1.model_validate(intake_event(groups=1))
    await handle(engine, [(opened, "guest")])
    await handle(engine, [referral(n) for n in range(1, 7)])
    request = ErasureRequested(request_id="avg-2", partner_id="promen", employee_reference="EMP-0002")
    erase = ErasureRequestedV1.model_validate(new_event(request, source="urn:taalhuis:coordinator"))
    await handle(engine, [(erase, "guest")])

    answers = await published(engine)
    kinds = [kind for kind, _ in answers]
    assert kinds[-4:] == ["ParticipantPlaced", "GroupChanged", "WithdrawalProcessed", "ErasureOrdered"]
    changed = answers[-3][1]
    assert [m["partner_referral_id"] for m in changed["removed"]] == ["PRM-0002"]
    assert [m["partner_referral_id"] for m in changed["added"]] == ["PRM-0006"]
    async with engine.connect() as connection:
        rows = await connection.execute(select(referrals.c.partner_referral_id, referrals.c.seat))
        seats = {row.partner_referral_id: row.seat for row in rows}
    assert seats["PRM-0006"] == 2 and seats["PRM-0002"] is None
