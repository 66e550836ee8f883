"""The mail sender: sends the mail outbox's unsent e-mails over SMTP, and retries what failed.

Shaped like the shared outbox relay. Each mail is taken with `FOR UPDATE SKIP LOCKED` in a
transaction of its own, so several processes share the work and a crash re-sends at most the
one mail it was sending (with the same Message-ID). A failed mail counts the attempt, keeps the
error and waits a growing pause of its own: SMTP being down delays mail, it never loses it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

import aiosmtplib
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from taalhuis_shared.messaging.polling import PollingWorker

from ..domain.mails import Mail, as_email, bare_address
from .tables import mails

log = logging.getLogger(__name__)

# Longest wait of one mail between attempts: after an SMTP outage mail goes out within this.
MAX_MAIL_PAUSE = 300.0


@dataclass(frozen=True)
class MailServer:
    """Where and how to hand over mail: host, port, optional login, and whether to demand STARTTLS."""

    host: str
    port: int
    username: str | None = None
    password: str | None = None
    starttls: bool = False


class MailSender(PollingWorker):
    name = "mail-sender"

    def __init__(
        self,
        engine: AsyncEngine,
        server: MailServer,
        *,
        mail_from: str,
        poll_interval: float = 1.0,
        batch_size: int = 50,
        send_timeout: float = 30.0,
    ) -> None:
        super().__init__(poll_interval=poll_interval, batch_size=batch_size)
        self._engine = engine
        self._server = server
        self._mail_from = mail_from
        self._send_timeout = send_timeout

    async def run_once(self) -> tuple[int, bool]:
        return await self.send_due()

    async def send_due(self) -> tuple[int, bool]:
        """Send up to a batch of due mails; returns how many were sent and whether one failed.

        The round stops at the first failure: when the server is down, the others would fail too.
        The failed mail waits its own pause, so the next round starts with the others.
        """
        sent = 0
        while sent < self._batch_size:
            async with self._engine.begin() as connection:
                outcome = await self._send_next(connection)
            if outcome is None:
                return sent, False
            if not outcome:
                return sent, True
            sent += 1
        return sent, False

    async def _send_next(self, connection: AsyncConnection) -> bool | None:
        """Send the next due mail: True when sent, False when it failed, None when none is due."""
        row = (
            await connection.execute(
                select(mails)
                .where(mails.c.sent_at.is_(None))
                .where(mails.c.next_attempt_at <= func.now())
                .order_by(mails.c.next_attempt_at, mails.c.id)
                .limit(1)
                .with_for_update(skip_locked=True)
            )
        ).first()
        if row is None:
            return None
        mail = Mail(row.recipient_role, row.recipient, row.subject, row.body, row.message_id)
        try:
            await aiosmtplib.send(
                as_email(mail, mail_from=self._mail_from, composed_at=row.created_at),
                sender=bare_address(self._mail_from),
                recipients=[mail.recipient],
                hostname=self._server.host,
                port=self._server.port,
                username=self._server.username,
                password=self._server.password,
                start_tls=self._server.starttls,
                timeout=self._send_timeout,
            )
        except Exception as error:
            attempts = row.attempts + 1
            # The mail by id and role: names and bodies stay out of the logs (last_error keeps the detail).
            log.warning(
                "mail %s to the %s not sent (attempt %d): %r", row.id, row.recipient_role, attempts, error
            )
            # The exponent is capped too: after days of failures 2**attempts would overflow a float.
            pause = min(self._poll_interval * 2 ** min(attempts, 20), MAX_MAIL_PAUSE)
            await connection.execute(
                update(mails)
                .where(mails.c.id == row.id)
                .values(
                    attempts=attempts,
                    last_error=repr(error)[:1000],
                    next_attempt_at=func.now() + timedelta(seconds=pause),
                )
            )
            return False
        await connection.execute(
            update(mails).where(mails.c.id == row.id).values(sent_at=func.now(), attempts=row.attempts + 1)
        )
        log.info("mail %s to the %s of course %s sent", row.id, row.recipient_role, row.course_id)
        return True
