"""Erasure on request, as every service does it: wait until nothing in flight names the person, then erase.

As Moodle's privacy API: each service knows what it holds of a person and erases it itself; this
module holds what they share. An erasure is a row in `erasures` with what identifies the
person's records (`Person`, kept only until the erasure is done). The `Eraser` worker takes each
open erasure once it is ready: its upstream services have answered (notifications waits for
scheduling, whose last messages about the person must have arrived first) and none of the
service's own outgoing messages that name the person is still on its way (an unpublished outbox
row, an unsent mail). Those messages are how the teacher hears that someone left, so they go
out first and are erased after. Then, in one transaction, the service's own `erase` removes its
records, the shared part removes published outbox rows and parked messages naming the person, and
`PersonErased` with the counts goes into the outbox. `ERASURE_RECHECK` seconds later a second
pass erases what a message handled after the first pass stored again (a service handles several
messages at once, so the withdrawal may be handled after the order) and drops the identifying
strings from the `erasures` row. A restart in between repeats the attempt; erasing twice removes
nothing twice.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any

import aio_pika
from sqlalchemy import JSON, Column, DateTime, MetaData, String, Table, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from .clock import Clock
from .events import CloudEvent, ErasureOrdered, ErasureOrderedV1, PersonErased, PersonErasedV1, new_event
from .messaging.consumer import Handler
from .messaging.polling import PollingWorker
from .messaging.settings import ServiceSettings
from .messaging.store import add_to_outbox, outbox
from .messaging.topology import Topology
from .messaging.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

metadata = MetaData()

erasures = Table(
    "erasures",
    metadata,
    Column("request_id", String(100), primary_key=True),
    # What identifies the person's records (Person.as_json); null until ordered and once erased.
    Column("person", JSON(none_as_null=True), nullable=True),
    # Services whose answer must come first, and those that have answered.
    Column("waiting_for", JSON, nullable=False, default=list),
    Column("answered_by", JSON, nullable=False, default=list),
    Column("ordered_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("erased_at", DateTime(timezone=True), nullable=True),
    Column("counts", JSON, nullable=True),
)


@dataclass(frozen=True)
class Person:
    """What identifies one person's records in the services: ids, references and display names."""

    partner_id: str
    referral_ids: frozenset[str] = frozenset()
    partner_referral_ids: frozenset[str] = frozenset()
    display_names: frozenset[str] = frozenset()
    employee_reference: str | None = None

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> Person:
        return cls(
            value["partner_id"],
            frozenset(value.get("referral_ids", ())),
            frozenset(value.get("partner_referral_ids", ())),
            frozenset(value.get("display_names", ())),
            value.get("employee_reference"),
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "partner_id": self.partner_id,
            "referral_ids": sorted(self.referral_ids),
            "partner_referral_ids": sorted(self.partner_referral_ids),
            "display_names": sorted(self.display_names),
            "employee_reference": self.employee_reference,
        }

    @property
    def strings(self) -> list[str]:
        found = [*self.referral_ids, *self.partner_referral_ids, *self.display_names]
        return [s for s in (*found, self.employee_reference) if s]

    @cached_property
    def _pattern(self) -> re.Pattern[str] | None:
        # Whole words only, without regard to case: erasing `E-12` must not touch `E-123`.
        strings = sorted({s.casefold() for s in self.strings}, key=len, reverse=True)
        if not strings:
            return None
        return re.compile("|".join(rf"(?<!\w){re.escape(s)}(?!\w)" for s in strings))

    def named_in(self, text: str) -> bool:
        return self._pattern is not None and self._pattern.search(text.casefold()) is not None


# --- the erasures table ---------------------------------------------------------------------------


async def order(
    connection: AsyncConnection, request_id: str, person: Person, waiting_for: Iterable[str] = ()
) -> None:
    """Record that `person` is to be erased (again: nothing changes once erased)."""
    statement = pg_insert(erasures).values(
        request_id=request_id, person=person.as_json(), waiting_for=sorted(waiting_for)
    )
    await connection.execute(
        statement.on_conflict_do_update(
            index_elements=[erasures.c.request_id],
            set_={"person": statement.excluded.person, "waiting_for": statement.excluded.waiting_for},
            where=erasures.c.erased_at.is_(None),
        )
    )


async def answered(connection: AsyncConnection, request_id: str, service: str) -> None:
    """Record that an upstream `service` has erased the person (it may come before the order)."""
    await connection.execute(
        pg_insert(erasures).values(request_id=request_id, answered_by=[]).on_conflict_do_nothing()
    )
    row = (
        await connection.execute(
            select(erasures.c.answered_by).where(erasures.c.request_id == request_id).with_for_update()
        )
    ).one()
    if service not in row.answered_by:
        await connection.execute(
            update(erasures)
            .where(erasures.c.request_id == request_id)
            .values(answered_by=sorted([*row.answered_by, service]))
        )


# --- what every service erases the same way ------------------------------------------------------


async def outbox_rows_naming(connection: AsyncConnection, person: Person, *, published: bool) -> list[int]:
    """Outbox rows (published or not) whose event names the person."""
    if not person.strings:
        return []
    body = func.convert_from(outbox.c.body, "UTF8")
    # A quick filter in the database, then whole words in Python (JSON escapes what needs it).
    mentions = [func.strpos(func.lower(body), json.dumps(s.casefold())[1:-1]) > 0 for s in person.strings]
    state = outbox.c.published_at.is_not(None) if published else outbox.c.published_at.is_(None)
    rows = await connection.execute(select(outbox.c.seq, body.label("body")).where(state, or_(*mentions)))
    return [row.seq for row in rows if person.named_in(row.body)]


async def erase_published_events(connection: AsyncConnection, person: Person) -> int:
    seqs = await outbox_rows_naming(connection, person, published=True)
    if seqs:
        await connection.execute(delete(outbox).where(outbox.c.seq.in_(seqs)))
    return len(seqs)


async def erase_parked(amqp_url: str, topology: Topology, person: Person) -> int:
    """Remove the service's parked messages that name the person; the others stay as they were.

    Every parked message is fetched without acknowledging it; those naming the person are
    acknowledged (removed), and closing the channel returns the rest to the queue, in their
    order, with their headers and their time in the queue (the parking period runs on).
    """
    removed = 0
    connection = await aio_pika.connect(amqp_url)
    try:
        channel = await connection.channel()
        queue = await channel.declare_queue(topology.parking_queue_name, passive=True)
        waiting = queue.declaration_result.message_count or 0
        for _ in range(waiting):
            message = await queue.get(no_ack=False, fail=False)
            if message is None:
                break
            if person.named_in(message.body.decode("utf-8", errors="replace")):
                await message.ack()
                removed += 1
        await channel.close()
    finally:
        await connection.close()
    return removed


# --- the worker ----------------------------------------------------------------------------------

# (connection, person) -> whether something naming the person is still on its way out
InFlight = Callable[[AsyncConnection, Person], Awaitable[bool]]
# (connection, person) -> what was erased, counted per kind of record
Erase = Callable[[AsyncConnection, Person], Awaitable[dict[str, int]]]


async def nothing_in_flight(connection: AsyncConnection, person: Person) -> bool:
    return False


@dataclass
class ErasureSteps:
    """A service's part: what it erases, and what must have gone out before."""

    service: str
    source: str
    erase: Erase
    in_flight: InFlight = nothing_in_flight
    # Enrolment also records its own answer in the coordinator's view of the request.
    on_erased: Callable[[AsyncConnection, str, dict[str, int]], Awaitable[None]] | None = None


class Eraser(PollingWorker):
    """Takes each ready erasure, erases in one transaction and answers `PersonErased`."""

    name = "eraser"

    def __init__(
        self,
        engine: AsyncEngine,
        steps: ErasureSteps,
        amqp_url: str,
        topology: Topology,
        *,
        poll_interval: float,
        clock: Clock,
        recheck: float = 300.0,
        on_events: Callable[[], None] | None = None,
    ) -> None:
        super().__init__(poll_interval=poll_interval, batch_size=10)
        self._engine = engine
        self._steps = steps
        self._amqp_url = amqp_url
        self._topology = topology
        self._on_events = on_events
        self.clock = clock  # for `erased_at`, so that a moved clock keeps the record consistent
        self._recheck = timedelta(seconds=recheck)

    async def run_once(self) -> tuple[int, bool]:
        recheck_due = self.clock.now() - self._recheck
        async with self._engine.connect() as connection:
            open_ = (
                (
                    await connection.execute(
                        select(erasures.c.request_id)
                        .where(
                            erasures.c.person.is_not(None),
                            or_(erasures.c.erased_at.is_(None), erasures.c.erased_at <= recheck_due),
                        )
                        .order_by(erasures.c.ordered_at)
                        .limit(self._batch_size)
                    )
                )
                .scalars()
                .all()
            )
        done, failed = 0, False
        for request_id in open_:
            try:
                done += await self._erase(request_id, recheck_due)
            except Exception as error:
                log.warning("erasure %s failed (%s); tried again later", request_id, type(error).__name__)
                failed = True
        return done, failed

    async def _erase(self, request_id: str, recheck_due: datetime) -> int:
        """The first pass erases and answers; the second, `recheck` later, erases what came late.

        A service handles up to its prefetch of messages at once, so a message about the person
        that enrolment sent before `ErasureOrdered` (the withdrawal) may still be handled after
        the first pass and store the person again. The second pass removes that, then drops the
        identifying strings; it sends no second answer.
        """
        async with self._engine.begin() as connection:
            row = (
                await connection.execute(
                    select(erasures)
                    .where(erasures.c.request_id == request_id)
                    .with_for_update(skip_locked=True)
                )
            ).first()
            if row is None or row.person is None:
                return 0
            second_pass = row.erased_at is not None
            if second_pass and row.erased_at > recheck_due:
                return 0
            if set(row.waiting_for) - set(row.answered_by):
                return 0
            person = Person.from_json(row.person)
            if await self._steps.in_flight(connection, person) or await outbox_rows_naming(
                connection, person, published=False
            ):
                return 0
            counts = await self._steps.erase(connection, person)
            counts["outbox-events"] = await erase_published_events(connection, person)
            counts["parked-messages"] = await erase_parked(self._amqp_url, self._topology, person)
            if second_pass:
                total = {
                    kind: counts.get(kind, 0) + (row.counts or {}).get(kind, 0)
                    for kind in {*counts, *(row.counts or {})}
                }
                await connection.execute(
                    update(erasures)
                    .where(erasures.c.request_id == request_id)
                    .values(person=None, counts=total)
                )
                log.info("erasure %s checked again: %s more", request_id, counts)
                return 1
            await connection.execute(
                update(erasures)
                .where(erasures.c.request_id == request_id)
                .values(erased_at=self.clock.now(), counts=counts)
            )
            if self._steps.on_erased is not None:
                await self._steps.on_erased(connection, request_id, counts)
            await add_to_outbox(
                connection,
                new_event(
                    PersonErased(request_id=request_id, service=self._steps.service, counts=counts),
                    source=self._steps.source,
                    subject=request_id,
                ),
            )
        log.info("erasure %s done: %s", request_id, counts)
        if self._on_events is not None:
            self._on_events()
        return 1


def eraser(
    settings: ServiceSettings,
    engine: AsyncEngine,
    topology: Topology,
    steps: ErasureSteps,
    on_events: Callable[[], None],
    clock: Clock,
) -> Eraser:
    """A service's eraser, looking as often as its outbox relay (it waits for the relay's work)."""
    return Eraser(
        engine,
        steps,
        settings.amqp_url,
        topology,
        poll_interval=settings.outbox_poll_interval,
        clock=clock,
        recheck=settings.erasure_recheck,
        on_events=on_events,
    )


def ordered_person(order: ErasureOrdered) -> Person:
    return Person(
        order.partner_id,
        frozenset(order.referral_ids),
        frozenset(order.partner_referral_ids),
        frozenset(order.display_names),
    )


def handlers_for(eraser: Eraser, waiting_for: Iterable[str] = ()) -> dict[type[CloudEvent], Handler]:
    """The handlers of a service that erases on enrolment's order (and, maybe, after others)."""
    upstream = sorted(waiting_for)

    async def take_order(event: ErasureOrderedV1, publisher: str, uow: UnitOfWork[Any]) -> None:
        await order(uow.connection, event.data.request_id, ordered_person(event.data), upstream)
        uow.after_commit(eraser.wake)

    async def take_answer(event: PersonErasedV1, publisher: str, uow: UnitOfWork[Any]) -> None:
        if event.data.service in upstream:
            await answered(uow.connection, event.data.request_id, event.data.service)
            uow.after_commit(eraser.wake)

    found: dict[type[CloudEvent], Handler] = {ErasureOrderedV1: take_order}
    if upstream:
        found[PersonErasedV1] = take_answer
    return found
