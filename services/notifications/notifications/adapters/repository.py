"""Writing composed e-mails into the mail outbox, in the handler's transaction."""

from __future__ import annotations

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from ..domain.mails import Mail
from .tables import mails


class MailRepository:
    def __init__(self, connection: AsyncConnection) -> None:
        self._connection = connection

    async def add(self, mail: Mail, *, event_id: str, course_id: str) -> None:
        await self._connection.execute(
            insert(mails).values(
                event_id=event_id,
                course_id=course_id,
                recipient_role=mail.recipient_role,
                recipient=mail.recipient,
                subject=mail.subject,
                body=mail.body,
                message_id=mail.message_id,
            )
        )
