"""Old mails lose body, address and SMTP answer after the period; the mail view still shows them."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from notifications.adapters.retention import mail_bodies
from notifications.adapters.tables import mails
from notifications.entrypoints.mailview import show
from taalhuis_shared.clock import Clock
from taalhuis_shared.retention import RetentionWorker, retention_runs

DAY = timedelta(days=1)
ADDRESS = "sanne.dewit@promen.example"
BODY = b"Subject: Cursusdata\r\n\r\nBeste Sanne, Eva de V. begint op dinsdag."


async def add_mail(engine: AsyncEngine, name: str, **columns: datetime | str) -> None:
    async with engine.begin() as connection:
        await connection.execute(
            insert(mails).values(
                batch_key=name,
                kind="course-scheduled",
                recipient_role="contact",
                recipient=ADDRESS,
                subject=f"Cursusdata {name}",
                message_id=f"<{name}@taalhuis.example>",
                content=BODY,
                **columns,
            )
        )


async def test_bodies_and_addresses_of_mails_sent_before_the_period_are_blanked(engine: AsyncEngine) -> None:
    async with engine.connect() as connection:
        now = await connection.scalar(select(func.now()))
    assert isinstance(now, datetime)
    await add_mail(engine, "sent-long-ago", sent_at=now - 10 * DAY)
    await add_mail(
        engine, "refused-long-ago", failed_at=now - 10 * DAY, last_error=f"550 <{ADDRESS}> unknown"
    )
    await add_mail(engine, "sent-now", sent_at=now)
    await add_mail(engine, "waiting-long", created_at=now - 100 * DAY)
    # 85 days on: the mails finished 10 days ago are 95 days old, past the 90-day period.
    worker = RetentionWorker(engine, [mail_bodies(90)], Clock(offset=85 * DAY), interval=3600)

    await worker.run_once()
    await worker.run_once()  # not due again: nothing more is counted

    async with engine.connect() as connection:
        rows = {
            row.subject.removeprefix("Cursusdata "): row for row in await connection.execute(select(mails))
        }
        records = (await connection.execute(select(retention_runs))).all()
    for blanked in ("sent-long-ago", "refused-long-ago"):
        assert (rows[blanked].content, rows[blanked].recipient, rows[blanked].last_error) == (b"", "", None)
        assert rows[blanked].message_id == f"<{blanked}@taalhuis.example>", "the Message-ID stays"
    for kept in ("sent-now", "waiting-long"):
        assert (rows[kept].content, rows[kept].recipient) == (BODY, ADDRESS)
    assert [(r.shredder, r.rows_affected) for r in records] == [("mail-bodies", 2)]

    # Moved on again, past the period of the mail sent now: already blanked ones are not counted.
    await RetentionWorker(engine, [mail_bodies(90)], Clock(offset=91 * DAY), interval=3600).run_once()
    async with engine.connect() as connection:
        counts = list(
            await connection.scalars(select(retention_runs.c.rows_affected).order_by(retention_runs.c.id))
        )
    assert counts == [2, 1]

    view = await show(
        engine.url.render_as_string(hide_password=False), ["verzonden", "mislukt"], ZoneInfo("UTC")
    )
    assert "Cursusdata sent-long-ago" in view and "(verwijderd)" in view
    assert ADDRESS not in view
