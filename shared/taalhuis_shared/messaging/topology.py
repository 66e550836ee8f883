"""Names and declarations of the exchanges and queues a service owns.

One durable topic exchange carries every event, routed by event type. Each service has one quorum
queue on it, dead-lettering into its own parking queue through a topic dead-letter exchange, with
the service's queue name as routing key. `deploy/rabbitmq/definitions.json` declares the same,
with the same arguments.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from faststream.rabbit import ExchangeType, QueueType, RabbitBroker, RabbitExchange, RabbitQueue

from .settings import ServiceSettings

if TYPE_CHECKING:
    from faststream.rabbit.schemas.queue import QuorumQueueArgs


@dataclass(frozen=True)
class Topology:
    events_exchange: str
    queue_prefix: str
    service: str
    delivery_limit: int = 10
    # False: the exchanges must exist already (deploy/rabbitmq/definitions.json); they are only
    # looked up, so the service's user needs no configure permission on them, which would let
    # it delete them.
    declare_exchanges: bool = True

    @classmethod
    def of(cls, settings: ServiceSettings, service: str) -> Topology:
        return cls(
            settings.events_exchange,
            settings.queue_prefix,
            service,
            settings.delivery_limit,
            settings.declare_exchanges,
        )

    @property
    def dead_letter_exchange(self) -> str:
        return f"{self.events_exchange}.dead-letter"

    @property
    def queue_name(self) -> str:
        return f"{self.queue_prefix}{self.service}"

    @property
    def parking_queue_name(self) -> str:
        return f"{self.queue_name}.parked"

    def exchange(self) -> RabbitExchange:
        return RabbitExchange(
            self.events_exchange, type=ExchangeType.TOPIC, durable=True, declare=self.declare_exchanges
        )

    def dead_letter(self) -> RabbitExchange:
        # Topic, not direct, though every routing key is a plain queue name: RabbitMQ checks
        # topic permissions on topic exchanges only, so this way each service user can park
        # into, and bind to, its own parking queue's key only.
        return RabbitExchange(
            self.dead_letter_exchange, type=ExchangeType.TOPIC, durable=True, declare=self.declare_exchanges
        )

    def queue_arguments(self) -> dict[str, Any]:
        return {
            "x-queue-type": "quorum",
            "x-dead-letter-exchange": self.dead_letter_exchange,
            "x-dead-letter-routing-key": self.queue_name,
            # A message whose handling keeps failing is parked after this many deliveries.
            "x-delivery-limit": self.delivery_limit,
            # Dead-lettering itself must not lose messages. RabbitMQ does at-least-once
            # dead-lettering only with overflow `reject-publish` (else it falls back to at-most-once).
            "x-dead-letter-strategy": "at-least-once",
            # A bound on the backlog of a service that is down for long: far above any real one,
            # some 100 MB at about 1 KB an event. When full, RabbitMQ refuses new events with a negative
            # publisher confirm: the publishing service's outbox keeps them and retries, so they
            # wait in PostgreSQL instead of filling the broker's disk. Other queues the refused
            # event reached get it again on the retry (consumers are idempotent on the event id).
            "x-max-length": 100_000,
            "x-overflow": "reject-publish",
        }

    def queue(self, first_routing_key: str) -> RabbitQueue:
        return RabbitQueue(
            self.queue_name,
            queue_type=QueueType.QUORUM,
            routing_key=first_routing_key,
            arguments=cast("QuorumQueueArgs", self.queue_arguments()),
        )

    def parking_queue(self) -> RabbitQueue:
        return RabbitQueue(self.parking_queue_name, queue_type=QueueType.QUORUM, routing_key=self.queue_name)

    async def declare(self, broker: RabbitBroker, routing_keys: list[str]) -> None:
        """Declare exchanges (or look them up), the service queue with its bindings, the parking queue.

        Runs before consuming starts, so that a message parked at once has somewhere to go.
        """
        events = await broker.declare_exchange(self.exchange())
        dead_letter = await broker.declare_exchange(self.dead_letter())
        parking = await broker.declare_queue(self.parking_queue())
        await parking.bind(dead_letter, routing_key=self.queue_name)
        queue = await broker.declare_queue(self.queue(routing_keys[0]))
        for key in routing_keys:
            await queue.bind(events, routing_key=key)
