"""Notices, mails and staff lists of a course long past lose their people; a recent course's stay.

Two courses are mailed through a real SMTP server; the first one's mails are made older than the
period. With the clock moved, the retention job (every service's shredders, `mail-bodies` and
`old-notices`) runs, and every text, JSON and byte column of the database is searched for the
first course's participants, contact persons and staff.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from notifications.adapters.retention import mail_bodies, old_notices
from notifications.adapters.tables import group_staff, mails, notices
from notifications.entrypoints.mailview import KINDS, show
from notifications.settings import Settings
from taalhuis_shared.clock import Clock
from taalhuis_shared.retention import RetentionWorker, every_service_shredders, retention_runs
from tests.support.scan import all_text
from tests.support.smtp import SmtpServer
from tests.unit.notifications import courses as c

from .test_notifications import deliver, handle

DAY = timedelta(days=1)
OLD = [*c.PARTICIPANTS, *c.PROMEN.values(), *c.GEMIVA.values()]
OLD_STAFF = ["Marieke Jansen", c.TEACHER, "Piet Bakker", c.VOLUNTEER]
RECENT_PEOPLE = ["Lotte Visser", "Bram O.", "Noor de G.", "Els Mulder", "els.mulder@ipse.example"]
RECENT_TEACHER = "lotte.visser@bibliotheekgouda.example"


def recent_course() -> Any:
    contact = {"name": "Els Mulder", "email": "els.mulder@ipse.example"}
    data = {
        **c.common("course-2", teacher=RECENT_TEACHER),
        "teacher": {"name": "Lotte Visser", "email": RECENT_TEACHER},
        "sessions": [{**c.session(week, course_id="course-2"), "volunteers": []} for week in range(5)],
        "participants": [c.member(11, "ipse", "Bram O."), c.member(12, "ipse", "Noor de G.")],
        "contacts": [{"partner_id": "ipse", "contact": contact}],
    }
    return c.course(**data)


async def test_an_old_course_leaves_no_people_in_notifications(engine: AsyncEngine, smtp: SmtpServer) -> None:
    await handle(engine, c.course())
    await deliver(engine, smtp)
    # The old course's mails went out 60 days ago (the notices were written then too).
    async with engine.begin() as connection:
        await connection.execute(update(mails).values(sent_at=mails.c.sent_at - 60 * DAY))
        await connection.execute(update(notices).values(created_at=notices.c.created_at - 60 * DAY))
    await handle(engine, recent_course())
    await deliver(engine, smtp)
    # And one notice of the old course could not be composed then: set aside, never mailed.
    async with engine.begin() as connection:
        await connection.execute(
            insert(notices).values(
                origin="event-x",
                notice_key=f"event-x/course/{c.GEMIVA['email']}",
                batch_key=f"course/contact/nl/{c.GEMIVA['email']}/event-x",
                kind="course",
                recipient_role="contact",
                language="nl",
                recipient=c.GEMIVA["email"],
                recipient_name=c.GEMIVA["name"],
                payload={"course": {"group_id": "group-course-1"}, "employees": c.GEMIVA_NAMES},
                created_at=func.now() - 60 * DAY,
                due_at=func.now() - 60 * DAY,
                deadline=func.now() - 60 * DAY,
                compose_error="TemplateError",
            )
        )
    settings = Settings(database_url="postgresql+asyncpg://unused/none")
    days = settings.mail_body_retention_days
    shredders = [*every_service_shredders(settings), mail_bodies(days), old_notices(days)]

    # 25 days on the old mails are 85 days old: nothing of them goes yet.
    await RetentionWorker(engine, shredders, Clock(offset=25 * DAY), interval=3600).run_once()
    everything = await all_text(engine)
    for present in [*OLD, *OLD_STAFF, *RECENT_PEOPLE]:
        assert present in everything, present

    # 35 days on they are 95 days old; the recent course's are 35.
    await RetentionWorker(engine, shredders, Clock(offset=35 * DAY), interval=3600).run_once()

    everything = await all_text(engine)
    for gone in [*OLD, *OLD_STAFF]:
        assert gone not in everything, gone
    for kept in RECENT_PEOPLE:
        assert kept in everything, kept
    async with engine.connect() as connection:
        staff_of = set(await connection.scalars(select(group_staff.c.group_id)))
        blanked = await connection.scalar(
            select(func.count()).select_from(notices).where(notices.c.notice_key.like("shredded/%"))
        )
        runs = dict(
            (
                await connection.execute(
                    select(retention_runs.c.shredder, retention_runs.c.rows_affected).where(
                        retention_runs.c.rows_affected > 0
                    )
                )
            ).all()
        )
    assert staff_of == {"group-course-2"}
    assert blanked and runs["old-notices"] == blanked + 1  # the notices and one staff list
    assert runs["mail-bodies"] > 0

    # The mail view still lists the old mails, without addresses.
    view = await show(engine.url.render_as_string(hide_password=False), KINDS, ZoneInfo("UTC"))
    assert "(verwijderd)" in view and RECENT_TEACHER in view and "TemplateError" in view
    assert not any(gone in view for gone in [*OLD, *OLD_STAFF])
