"""Topology.declare with DECLARE_EXCHANGES off: the exchanges are only looked up, never created."""

from __future__ import annotations

import dataclasses

import pytest
from aio_pika.abc import AbstractRobustConnection
from aiormq.exceptions import ChannelNotFoundEntity
from faststream.rabbit import RabbitBroker

from tests.support.broker import Namespace, drain_until


async def test_a_service_that_does_not_declare_exchanges_needs_them_to_exist_and_parks_through_them(
    amqp_url: str, namespace: Namespace, rabbit: AbstractRobustConnection
) -> None:
    declaring = namespace.topology("enrolment")
    looking_up = dataclasses.replace(declaring, declare_exchanges=False)

    # Passive: where the definitions have not created them, the service does not start.
    broker = RabbitBroker(amqp_url, logger=None)
    await broker.connect()
    try:
        with pytest.raises(ChannelNotFoundEntity):
            await looking_up.declare(broker, ["ReferralSubmitted"])
    finally:
        await broker.stop()

    # Created (here by a declaring service, in compose by the definitions), they are found; the
    # parking queue is bound on the topic dead-letter exchange under the queue's own name.
    for topology in (declaring, looking_up):
        broker = RabbitBroker(amqp_url, logger=None)
        await broker.connect()
        try:
            await topology.declare(broker, ["ReferralSubmitted"])
            await broker.publish(
                b"{}", exchange=topology.dead_letter(), routing_key=topology.queue_name, mandatory=True
            )
        finally:
            await broker.stop()
    parked = await drain_until(rabbit, declaring.parking_queue_name, 2)
    assert [m.body for m in parked] == [b"{}", b"{}"]
