"""Wires enrolment together: the one place that builds engine, broker, relay and handlers."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Sequence
from datetime import date
from zoneinfo import ZoneInfo

from faststream import FastStream
from sqlalchemy.ext.asyncio import AsyncConnection

from taalhuis_shared import erasure
from taalhuis_shared.clock import Clock
from taalhuis_shared.db import make_engine
from taalhuis_shared.events import (
    CloudEvent,
    CourseCompletedV1,
    CoursePausedV1,
    CourseResumedV1,
    CourseScheduledV1,
    EarlyClosureRequestedV1,
    ErasureRequestedV1,
    IntakeOpenedV1,
    PersonErasedV1,
    ReferralSubmittedV1,
    ReferralWithdrawnV1,
    SessionCancelledV1,
    SessionRescheduledV1,
)
from taalhuis_shared.messaging.broker import service_broker
from taalhuis_shared.messaging.consumer import Handler
from taalhuis_shared.messaging.gate import Refused
from taalhuis_shared.messaging.relay import OutboxRelay
from taalhuis_shared.messaging.topology import Topology
from taalhuis_shared.messaging.trust import Publishers, Role
from taalhuis_shared.retention import retention_worker
from taalhuis_shared.runtime import consuming_service

from .adapters import erasure as erasing
from .adapters.config import load_policy
from .adapters.repository import EnrolmentRepository
from .adapters.retention import enrolment_shredders
from .domain.model import Policy
from .entrypoints import translate
from .entrypoints.messaging import build_router
from .service_layer import handlers, messages, reporting
from .service_layer.handlers import Uow
from .settings import Settings

SERVICE = "enrolment"
LIBRARY_TIME = ZoneInfo("Europe/Amsterdam")


def topology(settings: Settings) -> Topology:
    return Topology.of(settings, SERVICE)


def enrolment_handlers(
    policy: Policy, today: Callable[[], date], erasure_ordered: Callable[[], None]
) -> dict[type[CloudEvent], Handler]:
    """What enrolment does with each event it takes: the event as a command, to its handler.

    `erasure_ordered` is called after a transaction that ordered an erasure has committed.
    """

    async def submit_referral(event: ReferralSubmittedV1, publisher: str, uow: Uow) -> None:
        await handlers.submit_referral(translate.submit_referral(event, publisher), uow, policy, today())

    async def withdraw(event: ReferralWithdrawnV1, publisher: str, uow: Uow) -> None:
        await handlers.withdraw(translate.withdraw(event, publisher), uow, policy, today())

    async def open_intake(event: IntakeOpenedV1, publisher: str, uow: Uow) -> None:
        await handlers.open_intake(translate.open_intake(event), uow, policy)

    async def close_early(event: EarlyClosureRequestedV1, publisher: str, uow: Uow) -> None:
        await handlers.close_early(translate.close_early(event), uow, policy)

    async def record_schedule(event: CourseScheduledV1, publisher: str, uow: Uow) -> None:
        await handlers.record_schedule(translate.record_schedule(event), uow)

    async def record_new_dates(
        event: SessionRescheduledV1 | CourseResumedV1, publisher: str, uow: Uow
    ) -> None:
        await handlers.record_new_dates(translate.record_new_dates(event), uow)

    async def record_completion(event: CourseCompletedV1, publisher: str, uow: Uow) -> None:
        await handlers.record_completion(translate.record_completion(event), uow)

    async def erase_person(event: ErasureRequestedV1, publisher: str, uow: Uow) -> None:
        await handlers.erase_person(translate.erase_person(event, publisher), uow, policy, today())
        uow.after_commit(erasure_ordered)

    async def record_erasure_answer(event: PersonErasedV1, publisher: str, uow: Uow) -> None:
        answer = event.data
        await handlers.record_erasure_answer(answer.request_id, answer.service, dict(answer.counts), uow)

    return {
        ReferralSubmittedV1: submit_referral,
        ReferralWithdrawnV1: withdraw,
        IntakeOpenedV1: open_intake,
        EarlyClosureRequestedV1: close_early,
        CourseScheduledV1: record_schedule,
        SessionRescheduledV1: record_new_dates,
        CourseResumedV1: record_new_dates,
        CourseCompletedV1: record_completion,
        CoursePausedV1: reporting.nothing_else,  # taken only to count them
        SessionCancelledV1: reporting.nothing_else,
        ErasureRequestedV1: erase_person,
        PersonErasedV1: record_erasure_answer,
    }


def build_app(settings: Settings) -> FastStream:
    """Build the whole service without connecting to anything; connecting happens on start."""
    queues = topology(settings)
    console_users = Publishers.of(settings.publishers).users.get(Role.CONSOLE, frozenset())
    policy = dataclasses.replace(load_policy(settings.enrolment_path), console_users=console_users)
    clock = Clock.of(settings)  # everything below that decides by time follows this one
    engine = make_engine(settings.database_url)
    broker = service_broker(settings)
    relay = OutboxRelay.of(settings, engine, broker, queues, clock)
    repository = functools.partial(
        EnrolmentRepository, person_key_secret=settings.person_key_secret, clock=clock
    )

    def today() -> date:
        """The library's date: the retake rule and "has the course started" count in it."""
        return clock.today(LIBRARY_TIME)

    # Counts each handled event for the municipality's numbers before it commits.
    new_unit_of_work = functools.partial(
        reporting.CountingUnitOfWork, engine, repository, relay.wake, today, clock=clock
    )

    async def record_own_answer(connection: AsyncConnection, request_id: str, counts: dict[str, int]) -> None:
        await repository(connection).record_erasure_answer(request_id, SERVICE, counts)

    eraser = erasure.eraser(
        settings,
        engine,
        queues,
        erasure.ErasureSteps(SERVICE, messages.SOURCE, erasing.erase, on_erased=record_own_answer),
        relay.wake,
        clock,
    )

    def answer(refused: Refused) -> Handler | None:
        return handlers.answer_to_invalid_referral(refused, policy)

    async def prepare(events: Sequence[tuple[CloudEvent, str]], uow: Uow) -> None:
        await handlers.prepare(translate.referrals_in(events), uow, policy)

    return consuming_service(
        settings=settings,
        broker=broker,
        topology=queues,
        engine=engine,
        handlers=enrolment_handlers(policy, today, eraser.wake),
        unit_of_work=new_unit_of_work,
        build_router=build_router,
        workers=[
            relay,
            eraser,
            retention_worker(settings, engine, clock, enrolment_shredders(settings, policy)),
        ],
        answer=answer,
        partner_users=[partner.amqp_user for partner in policy.partners.values()],
        batch_key=translate.batch_key,
        prepare=prepare,
    )
