"""The outbox relay: publishes committed outbox rows with publisher confirms, in order.

Rows are taken with `FOR UPDATE SKIP LOCKED`, so several processes of one service share the
work. A row is marked published only after RabbitMQ confirmed it; a failed publish is counted,
its error kept, and retried after a growing pause. A crash between confirm and mark publishes
the row again: consumers are idempotent on the event id.

A batch is pipelined: every publish is sent, then all confirms are awaited together, and the
confirmed rows are marked in one UPDATE. The order still holds:

- The publishes start in `seq` order and share one channel, whose frames are written under a
  first-come-first-served lock; nothing before that lock waits once the channel is open, and a
  wait for a reconnect releases the waiters in the order they came. So the frames go out, and
  RabbitMQ puts the messages in each queue, in `seq` order, as when each confirm was awaited.
- Only the rows before the first failed one are marked published. The failed row is counted
  and it and every row after it stay pending, even those RabbitMQ confirmed: they are published
  again, after it, once it goes through.
- Each round publishes its first row alone and the others only after it was confirmed. After a
  failure the first row is the failed one, so it is retried by itself, as before pipelining, and
  the rows behind it wait without being sent again at every retry.
- What pipelining adds: when RabbitMQ refuses one message but accepts the ones sent right after
  it in the same round (say a queue that rejects publishes when full), those arrive once before
  the refused one and again after it. The erasure work does not depend on that: an eraser puts
  `PersonErased` in the outbox only after every row naming the person is marked published, so
  it always goes out in a later round than they do.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Sequence
from typing import Any

from aiormq.abc import FieldValue
from faststream.rabbit import RabbitBroker, RabbitExchange
from sqlalchemy import Row, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from ..clock import Clock
from ..events.envelope import CONTENT_TYPE
from ..logs import stored_error
from .polling import PollingWorker
from .settings import ServiceSettings
from .store import outbox
from .topology import Topology

log = logging.getLogger(__name__)


def routing_headers(body: bytes) -> dict[str, FieldValue]:
    """AMQP headers for routing by content: `partner_id`, so each partner gets only its answers.

    Partners' queues are bound to a headers exchange behind the events exchange, matching on it.
    """
    data = json.loads(body).get("data")
    partner_id = data.get("partner_id") if isinstance(data, dict) else None
    return {"partner_id": partner_id} if isinstance(partner_id, str) else {}


class OutboxRelay(PollingWorker):
    name = "outbox-relay"

    def __init__(
        self,
        engine: AsyncEngine,
        broker: RabbitBroker,
        exchange: RabbitExchange,
        *,
        user_id: str,
        poll_interval: float = 1.0,
        batch_size: int = 100,
        publish_timeout: float = 10.0,
        clock: Clock | None = None,
    ) -> None:
        super().__init__(poll_interval=poll_interval, batch_size=batch_size)
        self._engine = engine
        self._broker = broker
        self._exchange = exchange
        self._publish_timeout = publish_timeout
        self._user_id = user_id
        # published_at, from which the outbox period counts, is the service's time.
        self._clock = clock or Clock()

    @classmethod
    def of(
        cls,
        settings: ServiceSettings,
        engine: AsyncEngine,
        broker: RabbitBroker,
        topology: Topology,
        clock: Clock,
    ) -> OutboxRelay:
        """A service's relay: to its events exchange, as its own RabbitMQ user, on its clock."""
        return cls(
            engine,
            broker,
            topology.exchange(),
            user_id=settings.amqp_user,
            poll_interval=settings.outbox_poll_interval,
            clock=clock,
        )

    async def run_once(self) -> tuple[int, bool]:
        return await self.publish_pending()

    async def publish_pending(self) -> tuple[int, bool]:
        """Publish one batch; returns how many were published and whether a publish failed."""
        async with self._engine.begin() as connection:
            rows = (
                await connection.execute(
                    select(outbox.c.seq, outbox.c.event_id, outbox.c.event_type, outbox.c.body)
                    .where(outbox.c.published_at.is_(None))
                    .order_by(outbox.c.seq)
                    .limit(self._batch_size)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            if not rows:
                return 0, False
            # The first row alone: after a failed round it is the failed one, retried by itself.
            errors = await self._publish_in_order(rows[:1])
            if errors[0] is None:
                errors += await self._publish_in_order(rows[1:])
            confirmed = next((index for index, error in enumerate(errors) if error is not None), len(rows))
            if confirmed:
                await connection.execute(
                    update(outbox)
                    .where(outbox.c.seq.in_([row.seq for row in rows[:confirmed]]))
                    .values(published_at=self._clock.now(), attempts=outbox.c.attempts + 1)
                )
            if confirmed == len(rows):
                return confirmed, False
            failed, error = rows[confirmed], errors[confirmed]
            assert error is not None
            # The error's type: its text may quote the event (last_error keeps it, beside the body).
            log.warning("outbox relay: publishing %s failed: %s", failed.event_id, type(error).__name__)
            await connection.execute(
                update(outbox)
                .where(outbox.c.seq == failed.seq)
                .values(attempts=outbox.c.attempts + 1, last_error=stored_error(error))
            )
            return confirmed, True

    async def _publish_in_order(self, rows: Sequence[Row[*tuple[Any, ...]]]) -> list[Exception | None]:
        """Start every publish in `seq` order, then await all their confirms; each row's error."""
        results = await asyncio.gather(*(self._publish(row) for row in rows), return_exceptions=True)
        errors: list[Exception | None] = []
        for result in results:
            if isinstance(result, BaseException) and not isinstance(result, Exception):
                raise result  # cancelled: the transaction rolls back, every row stays pending
            errors.append(result)
        return errors

    async def _publish(self, row: Row[*tuple[Any, ...]]) -> None:
        async with asyncio.timeout(self._publish_timeout):
            await self._broker.publish(
                row.body,
                exchange=self._exchange,
                routing_key=row.event_type,
                message_id=row.event_id,
                message_type=row.event_type,
                content_type=CONTENT_TYPE,
                headers=routing_headers(row.body),
                # Consumers act only on events whose validated user may send them.
                user_id=self._user_id,
                persist=True,
                # An event nobody subscribes to yet is not an error.
                mandatory=False,
            )
