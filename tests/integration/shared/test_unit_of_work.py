"""The unit of work's `write_out`: outbox rows written early stay in the transaction."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

import enrolment
from taalhuis_shared.db import upgrade_schema
from taalhuis_shared.events import ReferralRejected, ReferralSubmittedV1, new_event
from taalhuis_shared.messaging.store import outbox
from taalhuis_shared.messaging.unit_of_work import UnitOfWork
from tests.support.databases import Databases
from tests.support.referrals import referral_event


def rejection(number: int) -> dict[str, Any]:
    return new_event(
        ReferralRejected(
            partner_id="promen",
            partner_referral_id=f"PRM-{number:04d}",
            reason_code="no-consent",
            reason="Geen toestemming.",
            reason_en="No consent.",
        ),
        source="urn:test",
    )


async def rows_committed(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        return int(await connection.scalar(select(func.count()).select_from(outbox)) or 0)


async def test_write_out_writes_the_rows_in_the_transaction_and_lets_go_of_the_events(
    databases: Databases,
) -> None:
    database_url = await databases.create("uow")
    await upgrade_schema(database_url, Path(enrolment.__file__).parent / "migrations")
    engine = create_async_engine(database_url)
    try:
        async with UnitOfWork(engine, lambda c: None) as uow:
            assert await uow.first_time(ReferralSubmittedV1.model_validate(referral_event(1)))
            await uow.publish(rejection(1))
            await uow.publish(rejection(2))
            await uow.write_out()
            # Written in this transaction, not yet committed; and no longer held in memory.
            assert await uow.connection.scalar(select(func.count()).select_from(outbox)) == 2
            assert await rows_committed(engine) == 0
            assert uow.handled[0].published == []
            await uow.publish(rejection(3))
        assert await rows_committed(engine) == 3

        with pytest.raises(RuntimeError):
            async with UnitOfWork(engine, lambda c: None) as uow:
                await uow.publish(rejection(4))
                await uow.write_out()
                raise RuntimeError("the handler fails after writing out")
        assert await rows_committed(engine) == 3  # rolled back with the transaction
    finally:
        await engine.dispose()
