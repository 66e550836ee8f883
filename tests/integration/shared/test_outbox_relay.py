"""The outbox relay: events committed while RabbitMQ is unreachable are published once it is back."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aio_pika
from aio_pika.abc import AbstractRobustConnection
from faststream.rabbit import RabbitBroker
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

import enrolment
from taalhuis_shared.db import upgrade_schema
from taalhuis_shared.events import ReferralRejected, new_event
from taalhuis_shared.messaging.relay import OutboxRelay
from taalhuis_shared.messaging.store import add_to_outbox, outbox
from taalhuis_shared.messaging.unit_of_work import UnitOfWork
from tests.support.broker import Namespace, declare_exchange, open_tap
from tests.support.databases import Databases
from tests.support.proxy import CuttableProxy
from tests.support.waiting import eventually


def rejection(number: int, partner_id: str = "promen") -> dict[str, Any]:
    return new_event(
        ReferralRejected(
            partner_id=partner_id,
            partner_referral_id=f"PRM-{number:04d}",
            reason_code="no-consent",
            reason="Geen toestemming.",
            reason_en="No consent.",
        ),
        source="urn:test",
    )


async def test_events_committed_during_an_outage_are_published_after_it(
    databases: Databases, namespace: Namespace, rabbit: AbstractRobustConnection
) -> None:
    database_url = await databases.create("relay")
    await upgrade_schema(database_url, Path(enrolment.__file__).parent / "migrations")
    engine = create_async_engine(database_url)
    tap = await open_tap(rabbit, namespace, ["ReferralRejected"])
    proxy = CuttableProxy("127.0.0.1", 5672)
    await proxy.start()
    broker = RabbitBroker(f"amqp://guest:guest@127.0.0.1:{proxy.port}/", logger=None)
    await broker.connect()
    topology = namespace.topology("relay-test")
    relay = OutboxRelay(
        engine, broker, topology.exchange(), user_id="guest", poll_interval=0.1, publish_timeout=1.0
    )
    relay.start()
    try:
        async with UnitOfWork(engine, lambda c: None, relay.wake) as uow:
            await uow.publish(rejection(0))
        await tap.wait_for("ReferralRejected", 1)

        await proxy.cut()
        events = [rejection(n) for n in range(1, 6)]
        for event in events:
            async with UnitOfWork(engine, lambda c: None, relay.wake) as uow:
                await uow.publish(event)

        async def failed_attempt_recorded(connection: AsyncConnection) -> bool:
            row = (await connection.execute(select(outbox).where(outbox.c.event_id == events[0]["id"]))).one()
            return row.published_at is None and row.attempts > 0 and row.last_error is not None

        async def outage_seen() -> bool:
            async with engine.connect() as connection:
                return await failed_attempt_recorded(connection)

        await eventually(outage_seen, what="a failed publish recorded in the outbox")
        assert len(tap.distinct("ReferralRejected")) == 1

        await proxy.restore()
        arrived = await tap.wait_for("ReferralRejected", 6, timeout=60)
        assert {e["id"] for e in events} <= {e["id"] for e in arrived}
        # In the order they were committed.
        order = [e["id"] for e in tap.of_type("ReferralRejected") if e["id"] in {x["id"] for x in events}]
        assert list(dict.fromkeys(order)) == [e["id"] for e in events]

        async def all_marked_published() -> bool:
            async with engine.connect() as connection:
                rows = (await connection.execute(select(outbox.c.published_at))).all()
                return all(r.published_at is not None for r in rows)

        await eventually(all_marked_published, what="every outbox row marked published")
    finally:
        await relay.stop()
        await broker.stop()
        await proxy.cut()
        await engine.dispose()


async def test_each_partner_gets_only_its_own_answers_through_the_headers_exchange(
    databases: Databases, namespace: Namespace, rabbit: AbstractRobustConnection
) -> None:
    database_url = await databases.create("relay")
    await upgrade_schema(database_url, Path(enrolment.__file__).parent / "migrations")
    engine = create_async_engine(database_url)
    channel = await rabbit.channel()
    events = await channel.declare_exchange(
        namespace.events_exchange, aio_pika.ExchangeType.TOPIC, durable=True
    )
    partners = await channel.declare_exchange(
        f"{namespace.events_exchange}.partners", aio_pika.ExchangeType.HEADERS
    )
    # As in deploy/rabbitmq/definitions.json: answers go on to the headers exchange, and each
    # partner's queue takes those with its partner_id.
    await partners.bind(events, routing_key="ReferralRejected")
    replies = {}
    for partner in ("promen", "gouwe"):
        queue = await channel.declare_queue(exclusive=True)
        await queue.bind(partners, arguments={"x-match": "all", "partner_id": partner})
        replies[partner] = queue
    broker = RabbitBroker("amqp://guest:guest@127.0.0.1:5672/", logger=None)
    await broker.connect()
    relay = OutboxRelay(
        engine, broker, namespace.topology("relay-test").exchange(), user_id="guest", poll_interval=0.1
    )
    relay.start()
    try:
        for number, partner in enumerate(["promen", "gouwe", "promen"]):
            event = rejection(number, partner)
            async with UnitOfWork(engine, lambda c: None, relay.wake) as uow:
                await uow.publish(event)

        async def received(partner: str, count: int) -> list[str]:
            got: list[str] = []

            async def enough() -> bool:
                while (message := await replies[partner].get(fail=False, no_ack=True)) is not None:
                    got.append(json.loads(message.body)["data"]["partner_id"])
                return len(got) >= count

            await eventually(enough, what=f"{count} answers for {partner}")
            return got

        assert await received("promen", 2) == ["promen", "promen"]
        assert await received("gouwe", 1) == ["gouwe"]
    finally:
        await relay.stop()
        await broker.stop()
        await partners.delete()
        await channel.close()
        await engine.dispose()


async def test_a_full_batch_goes_out_in_one_round_in_seq_order_and_is_marked_at_once(
    databases: Databases, namespace: Namespace, rabbit: AbstractRobustConnection
) -> None:
    database_url = await databases.create("relay")
    await upgrade_schema(database_url, Path(enrolment.__file__).parent / "migrations")
    engine = create_async_engine(database_url)
    channel = await rabbit.channel()
    exchange = await declare_exchange(channel, namespace)
    queue = await channel.declare_queue(f"{namespace.queue_prefix}batch", exclusive=True)
    await queue.bind(exchange, routing_key="ReferralRejected")
    broker = RabbitBroker("amqp://guest:guest@127.0.0.1:5672/", logger=None)
    await broker.connect()
    relay = OutboxRelay(
        engine, broker, namespace.topology("relay-test").exchange(), user_id="guest", batch_size=150
    )
    try:
        events = [rejection(n) for n in range(150)]
        async with engine.begin() as connection:
            for event in events:
                await add_to_outbox(connection, event)

        assert await relay.publish_pending() == (150, False)

        arrived = []
        while (message := await queue.get(fail=False, no_ack=True)) is not None:
            arrived.append(message.message_id)
        # Confirmed means queued: every message is there when the round returns, in seq order.
        assert arrived == [e["id"] for e in events]
        async with engine.connect() as connection:
            rows = (await connection.execute(select(outbox.c.published_at, outbox.c.attempts))).all()
        assert len({r.published_at for r in rows}) == 1 and None not in {r.published_at for r in rows}
        assert {r.attempts for r in rows} == {1}
    finally:
        await broker.stop()
        await channel.close()
        await engine.dispose()


async def test_a_refused_publish_holds_back_the_rows_after_it_until_it_goes_through(
    databases: Databases, namespace: Namespace, rabbit: AbstractRobustConnection
) -> None:
    database_url = await databases.create("relay")
    await upgrade_schema(database_url, Path(enrolment.__file__).parent / "migrations")
    engine = create_async_engine(database_url)
    channel = await rabbit.channel()
    exchange = await declare_exchange(channel, namespace)
    answers = await channel.declare_queue(f"{namespace.queue_prefix}answers", exclusive=True)
    await answers.bind(exchange, routing_key="ReferralRejected")
    # A full queue that rejects publishes: RabbitMQ nacks every message routed to it.
    full = await channel.declare_queue(
        f"{namespace.queue_prefix}full",
        exclusive=True,
        arguments={"x-max-length": 0, "x-overflow": "reject-publish"},
    )
    await full.bind(exchange, routing_key="Refused")
    broker = RabbitBroker("amqp://guest:guest@127.0.0.1:5672/", logger=None)
    await broker.connect()
    relay = OutboxRelay(engine, broker, namespace.topology("relay-test").exchange(), user_id="guest")

    async def outbox_rows() -> list[tuple[bool, int, bool]]:
        """Per row in seq order: published, attempts, has an error."""
        async with engine.connect() as connection:
            rows = await connection.execute(select(outbox).order_by(outbox.c.seq))
            return [(r.published_at is not None, r.attempts, r.last_error is not None) for r in rows]

    arrived: list[str | None] = []

    async def answers_arrived() -> list[str | None]:
        """Every answer queued so far, by id (confirmed means queued: none is still on its way)."""
        while (message := await answers.get(fail=False, no_ack=True)) is not None:
            arrived.append(message.message_id)
        return arrived

    try:
        events = [rejection(0), {**rejection(1), "type": "Refused"}, rejection(2)]
        async with engine.begin() as connection:
            for event in events:
                await add_to_outbox(connection, event)

        # The row after the refused one was sent with it (pipelined) but is not marked published.
        assert await relay.publish_pending() == (1, True)
        assert await outbox_rows() == [(True, 1, False), (False, 1, True), (False, 0, False)]
        assert await answers_arrived() == [events[0]["id"], events[2]["id"]]

        # Retried alone: the rows behind it are not sent again while it keeps failing.
        assert await relay.publish_pending() == (0, True)
        assert await outbox_rows() == [(True, 1, False), (False, 2, True), (False, 0, False)]
        assert await answers_arrived() == [events[0]["id"], events[2]["id"]]

        await full.delete(if_unused=False, if_empty=False)
        assert await relay.publish_pending() == (2, False)
        assert [published for published, _, _ in await outbox_rows()] == [True, True, True]
        # The later row once before the refused one and again after it: consumers take the first.
        assert await answers_arrived() == [events[0]["id"], events[2]["id"], events[2]["id"]]
    finally:
        await broker.stop()
        await channel.close()
        await engine.dispose()
