"""The shared handling step with batches, on the real broker and database: one bad message in a batch.

A small service of the test's own (the shared consumer, a handler that fails for one referral
while the database answers) finds a backlog of referrals of one course type when it starts. The
batch that holds the bad one fails as a whole; its messages are then handled one by one: the bad
one is parked alone with its reason, the others commit and are acked.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from aio_pika.abc import AbstractRobustConnection
from faststream.rabbit import RabbitRouter
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

import enrolment
from taalhuis_shared.db import make_engine, upgrade_schema
from taalhuis_shared.events import ReferralSubmittedV1
from taalhuis_shared.messaging.broker import service_broker
from taalhuis_shared.messaging.consumer import Consumer, consumer_router
from taalhuis_shared.messaging.settings import ServiceSettings
from taalhuis_shared.messaging.topology import Topology
from taalhuis_shared.messaging.unit_of_work import UnitOfWork
from taalhuis_shared.runtime import consuming_service
from tests.support.broker import Namespace, drain_until, publish
from tests.support.databases import Databases
from tests.support.referrals import referral_event
from tests.support.waiting import eventually

REFERRALS = 30
BAD = "PRM-0015"
SERVICE = "enrolment"  # its queue names are cleaned up with the test's namespace


class CannotBeHandledError(Exception):
    """What the handler raises for the one bad referral."""


async def test_one_failing_message_in_a_batch_is_parked_alone_and_the_rest_of_its_batch_commits(
    databases: Databases, namespace: Namespace, rabbit: AbstractRobustConnection, amqp_url: str
) -> None:
    database_url = await databases.create("batches")
    await upgrade_schema(database_url, Path(enrolment.__file__).parent / "migrations")  # inbox, outbox
    settings = ServiceSettings(
        amqp_url=amqp_url,
        database_url=database_url,
        events_exchange=namespace.events_exchange,
        queue_prefix=namespace.queue_prefix,
    )
    # Each attempt at a referral: the transaction it ran in, and the referral.
    attempts: list[tuple[int, str]] = []

    async def handle(event: ReferralSubmittedV1, publisher: str, uow: UnitOfWork[Any]) -> None:
        transaction = await uow.connection.scalar(text("SELECT txid_current()"))
        attempts.append((int(transaction), event.data.partner_referral_id))
        if event.data.partner_referral_id == BAD:
            raise CannotBeHandledError("this referral cannot be handled")

    @asynccontextmanager
    async def running() -> AsyncIterator[None]:
        engine = make_engine(database_url)
        topology = Topology.of(settings, SERVICE)

        def build_router(consumer: Consumer) -> RabbitRouter:
            return consumer_router(
                consumer, consumes=[ReferralSubmittedV1], publishes=[], title=SERVICE, description="Test."
            )

        app = consuming_service(
            settings=settings,
            broker=service_broker(settings),
            topology=topology,
            engine=engine,
            handlers={ReferralSubmittedV1: handle},
            unit_of_work=lambda: UnitOfWork(engine, lambda connection: None),
            build_router=build_router,
            workers=[],
            partner_users=["guest"],
            batch_key=lambda event: event.data.course.type,
        )
        await app.start()
        try:
            yield
        finally:
            await app.stop()

    async with running():  # declares the queue; the backlog then waits for the next start
        pass
    events = [referral_event(n) for n in range(REFERRALS)]
    bad = next(e for e in events if e["data"]["partner_referral_id"] == BAD)
    for event in events:
        await publish(rabbit, namespace, event)

    topology = Topology.of(settings, SERVICE)
    async with running():
        [parked] = await drain_until(rabbit, topology.parking_queue_name, 1)

        async def others_handled() -> bool:
            return await _scalar(database_url, "SELECT count(*) FROM inbox") == REFERRALS - 1

        await eventually(others_handled, what="every other referral handled")

    assert parked.message_id == bad["id"]
    assert parked.headers["x-parked-reason"] == "handling-failed"
    assert parked.headers["x-parked-error"] == "CannotBeHandledError"
    handled = await _scalar(database_url, "SELECT count(*) FROM inbox WHERE event_id <> :bad", bad=bad["id"])
    assert handled == REFERRALS - 1
    assert await _scalar(database_url, "SELECT count(*) FROM inbox WHERE event_id = :bad", bad=bad["id"]) == 0

    # The bad referral was first tried in a batch with others, which were committed after all.
    in_transaction: dict[int, list[str]] = defaultdict(list)
    for transaction, referral in attempts:
        in_transaction[transaction].append(referral)
    first_try = next(t for t, referral in attempts if referral == BAD)
    assert len(in_transaction[first_try]) > 1, f"the bad referral was not in a batch: {attempts}"
    # Then alone, as many times as the step tries before it parks (3).
    assert sum(1 for referrals in in_transaction.values() if referrals == [BAD]) == 3

    # Nothing is left in the queue: every message was acked, the parked one too.
    channel = await rabbit.channel()
    try:
        queue = await channel.declare_queue(topology.queue_name, passive=True)
        assert queue.declaration_result.message_count == 0
    finally:
        await channel.close()


async def _scalar(database_url: str, query: str, **values: Any) -> int:
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            return int(await connection.scalar(text(query), values))
    finally:
        await engine.dispose()
