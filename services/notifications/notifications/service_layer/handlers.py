"""What notifications does with a scheduled course: write the e-mails into the mail outbox.

Nothing is sent here: the mails are stored in the same transaction as the inbox entry, and the
mail sender sends them after the commit. So a repeated event writes nothing, and SMTP being
down never makes the handler fail.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from taalhuis_shared.events import CourseScheduledV1
from taalhuis_shared.messaging.unit_of_work import UnitOfWork

from ..adapters.repository import MailRepository
from ..domain.mails import course_mails

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MailStyle:
    """What every mail shares: the zone its times are written in and the domain of its Message-ID."""

    timezone: ZoneInfo
    mail_domain: str


async def announce_course(
    event: CourseScheduledV1, uow: UnitOfWork[MailRepository], style: MailStyle
) -> None:
    course = event.data
    async with uow:
        if not await uow.first_time(event):
            log.info("course event %s was handled before; nothing to do", event.id)
            return
        mails = course_mails(event.id, course, timezone=style.timezone, mail_domain=style.mail_domain)
        for mail in mails:
            await uow.repository.add(mail, event_id=event.id, course_id=course.course_id)
        log.info("course %s scheduled: %d mails to send", course.course_id, len(mails))
