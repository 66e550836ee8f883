"""Broker hop and outbox relay benchmark: the bare RabbitMQ hop and the relay, measured in one run.

Not a test: it prints messages per second for both, their ratio and the load average. Run from
the repository root against the running RabbitMQ and PostgreSQL (AMQP_URL and DATABASE_URL, or
the local defaults):

    .venv/bin/python bench/hop_and_relay.py [--messages 5000] [--batch-size 100]

(a) The bare hop: persistent messages published with publisher confirms (up to `--window` awaiting
their confirm at a time) to a quorum queue, consumed and acked one by one; the time runs from the
first publish to the last ack. (a') The same hop into a FastStream subscriber that does
nothing (the body taken as JSON, or validated as a CloudEvent): the floor under every service.
(b) The relay: `--messages` rows inserted into an outbox first
(not timed), then `OutboxRelay` publishes them to a topic exchange bound to a quorum queue; the
time runs until every row is marked published. Everything lives in a database, exchange and
queues of its own, which are removed at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import aio_pika
from faststream import AckPolicy
from faststream.rabbit import Channel, ExchangeType, QueueType, RabbitBroker, RabbitExchange, RabbitQueue
from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import create_async_engine

import enrolment
from taalhuis_shared.db import make_engine, upgrade_schema
from taalhuis_shared.events import ReferralRejected, ReferralRejectedV1, new_event
from taalhuis_shared.messaging.relay import OutboxRelay
from taalhuis_shared.messaging.store import add_to_outbox, pending_count

AMQP_URL = os.environ.get("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
SERVER_URL = os.environ.get("DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres")
EVENT_TYPE = "ReferralRejected"


def event(number: int) -> dict[str, object]:
    return new_event(
        ReferralRejected(
            partner_id="promen",
            partner_referral_id=f"PRM-{number:06d}",
            reason_code="no-consent",
            reason="Geen toestemming.",
            reason_en="No consent.",
        ),
        source="urn:bench",
    )


async def bare_hop(
    connection: aio_pika.abc.AbstractConnection, name: str, messages: int, window: int
) -> float:
    """Messages per second through a quorum queue: confirmed persistent publishes, acked consumes."""
    channel = await connection.channel(publisher_confirms=True)
    consuming = await connection.channel()
    await consuming.set_qos(prefetch_count=window)
    queue = await consuming.declare_queue(name, durable=True, arguments={"x-queue-type": "quorum"})
    body = b'{"data": "' + b"x" * 600 + b'"}'  # about the size of an event
    received = 0
    done = asyncio.Event()

    async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
        nonlocal received
        await message.ack()
        received += 1
        if received == messages:
            done.set()

    tag = await queue.consume(on_message)
    slots = asyncio.Semaphore(window)

    async def publish_one(number: int) -> None:
        async with slots:
            await channel.default_exchange.publish(
                aio_pika.Message(
                    body, message_id=str(number), delivery_mode=aio_pika.DeliveryMode.PERSISTENT
                ),
                routing_key=name,
            )

    try:
        started = time.perf_counter()
        await asyncio.gather(*(publish_one(number) for number in range(messages)))
        await asyncio.wait_for(done.wait(), timeout=600)
        return messages / (time.perf_counter() - started)
    finally:
        await queue.cancel(tag)
        await consuming.queue_delete(name)
        await consuming.close()
        await channel.close()


async def framework_hop(messages: int, window: int, *, validate: bool) -> float:
    """Messages per second through a quorum queue into a FastStream subscriber that does nothing.

    The services' own floor: the bare hop's publishing, consumed by FastStream as the services
    consume (prefetch `window`, acked after the handler), the body taken as JSON
    (`validate=False`) or validated as a CloudEvent of the catalogue (`validate=True`, as the
    services' gate does). No database, no answer published.
    """
    name = f"bench.framework.{uuid.uuid4().hex[:8]}"
    received = 0
    done = asyncio.Event()
    broker = RabbitBroker(AMQP_URL, logger=None, default_channel=Channel(prefetch_count=window))
    queue = RabbitQueue(name, durable=True, queue_type=QueueType.QUORUM)

    def count() -> None:
        nonlocal received
        received += 1
        if received == messages:
            done.set()

    if validate:

        @broker.subscriber(queue, ack_policy=AckPolicy.NACK_ON_ERROR)
        async def on_event(body: ReferralRejectedV1) -> None:
            count()

    else:

        @broker.subscriber(queue, ack_policy=AckPolicy.NACK_ON_ERROR)
        async def on_body(body: dict[str, object]) -> None:
            count()

    connection = await aio_pika.connect(AMQP_URL)
    channel = await connection.channel(publisher_confirms=True)
    bodies = [json.dumps(event(number)).encode() for number in range(messages)]
    slots = asyncio.Semaphore(window)

    async def publish_one(number: int) -> None:
        async with slots:
            await channel.default_exchange.publish(
                aio_pika.Message(
                    bodies[number],
                    message_id=str(number),
                    content_type="application/json",
                    delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                ),
                routing_key=name,
            )

    try:
        await broker.start()
        started = time.perf_counter()
        await asyncio.gather(*(publish_one(number) for number in range(messages)))
        await asyncio.wait_for(done.wait(), timeout=600)
        return messages / (time.perf_counter() - started)
    finally:
        await broker.stop()
        await channel.queue_delete(name)
        await connection.close()


async def relay(
    connection: aio_pika.abc.AbstractConnection, name: str, messages: int, batch_size: int
) -> float:
    """Messages per second the outbox relay publishes, from a full outbox to every row marked."""
    server = make_url(SERVER_URL).set(database="postgres")
    admin = create_async_engine(server, isolation_level="AUTOCOMMIT")
    database = name.replace(".", "_").replace("-", "_")
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{database}"'))
    channel = await connection.channel()
    exchange = await channel.declare_exchange(f"{name}.events", aio_pika.ExchangeType.TOPIC, durable=True)
    queue = await channel.declare_queue(name, durable=True, arguments={"x-queue-type": "quorum"})
    await queue.bind(exchange, routing_key=EVENT_TYPE)
    database_url = server.set(database=database).render_as_string(hide_password=False)
    engine = make_engine(database_url)  # as the services make theirs
    broker = RabbitBroker(AMQP_URL, logger=None)
    try:
        await upgrade_schema(database_url, Path(enrolment.__file__).parent / "migrations")
        async with engine.begin() as conn:
            for number in range(messages):
                await add_to_outbox(conn, event(number))
        await broker.connect()
        user = urlsplit(AMQP_URL).username or "guest"
        outbox_relay = OutboxRelay(
            engine,
            broker,
            RabbitExchange(f"{name}.events", type=ExchangeType.TOPIC, durable=True),
            user_id=user,
            batch_size=batch_size,
        )
        started = time.perf_counter()
        while True:
            published, failed = await outbox_relay.publish_pending()
            if failed:
                raise RuntimeError("a publish failed during the benchmark")
            if published == 0:
                break
        elapsed = time.perf_counter() - started
        async with engine.connect() as conn:
            left = await pending_count(conn)
        if left:
            raise RuntimeError(f"{left} rows left unpublished")
        return messages / elapsed
    finally:
        await broker.stop()
        await engine.dispose()
        await channel.queue_delete(name)
        await channel.exchange_delete(f"{name}.events")
        await channel.close()
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        await admin.dispose()


async def main(messages: int, batch_size: int, window: int) -> None:
    name = f"bench.{uuid.uuid4().hex[:8]}"
    connection = await aio_pika.connect(AMQP_URL)
    try:
        hop = await bare_hop(connection, f"{name}.hop", messages, window)
        relayed = await relay(connection, f"{name}.relay", messages, batch_size)
    finally:
        await connection.close()
    raw = await framework_hop(messages, window, validate=False)
    validated = await framework_hop(messages, window, validate=True)
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"messages: {messages}; relay batch size: {batch_size}; hop window: {window}")
    print(f"bare broker hop: {hop:.0f} messages/s")
    print(f"outbox relay: {relayed:.0f} messages/s")
    print(f"relay / hop: {relayed / hop:.2f}")
    print(f"FastStream subscriber taking the JSON body: {raw:.0f} messages/s; / hop: {raw / hop:.2f}")
    print(
        f"FastStream subscriber validating each CloudEvent: {validated:.0f} messages/s; "
        f"/ hop: {validated / hop:.2f}"
    )
    print(f"load average (1, 5, 15 min): {load}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=5000, help="messages in each part (5000)")
    parser.add_argument("--batch-size", type=int, default=100, help="the relay's batch size (100)")
    parser.add_argument("--window", type=int, default=100, help="the hop's unconfirmed publishes (100)")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.messages, arguments.batch_size, arguments.window))
