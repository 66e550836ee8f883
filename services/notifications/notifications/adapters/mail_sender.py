"""The mail sender: composes due batches of notices into mails, sends them over SMTP, retries.

Composing: a batch (one recipient, one kind of mail) is due once its latest notice has waited
its window, or its oldest notice its deadline. Its mail is written in the same transaction that
marks the notices composed, with a Message-ID made from the notices, so a batch becomes exactly
one mail. An advisory lock per
batch keeps two processes from composing the same batch. A round of due batches shares one
transaction and a handful of statements (a lockdown gives thousands of batches at once).

Sending: mails are claimed (`CLAIM_SIZE` per connection at a time) with `FOR UPDATE SKIP LOCKED`
for a lease (`CLAIM_LEASE`) in a committed transaction of their own, then each is handed to
SMTP, then marked sent. So several processes share the work, and a mail handed to SMTP whose
marking fails (the database went away) stays claimed: it is remembered in memory and marked
first when the database is back, never sent by another process meanwhile. Only a crash between
handing over and marking sends a mail again, after the lease, with the same Message-ID; the
other mails of a crashed process's claim wait the lease too. A claim is sent over up to
`connections` SMTP connections at once (one per `CLAIM_SIZE` mails in hand), each recipient's
mails over one connection in the order they were due, so an answer to a referral still goes
before the mail that places the employee. Each connection carries consecutive mails (a new one
after an error, `MAILS_PER_CONNECTION` mails or `SMTP_IDLE` seconds unused). A temporary
failure counts the attempt, keeps the error and waits a growing pause, and the mails claimed
with it are due again as they were: SMTP being down delays mail, it never loses it. A recipient
refused for good (5xx) is recorded as failed, and the coordinator is told once.

Composing and sending overlap: a round composes the next batches while the mails composed
before go out (SMTP and database round trips are waits, composing is work).
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

import aiosmtplib
from sqlalchemy import bindparam, func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from taalhuis_shared.clock import Clock
from taalhuis_shared.logs import stored_error
from taalhuis_shared.messaging.polling import PollingWorker

from ..domain.calendar import FeedLinks
from ..domain.mails import as_email, bare_address, compose, domain_of
from ..domain.notices import Audience, Notice, Window, refused_notice
from .repository import add_notices
from .tables import batch_due_at, mails, notices, pending_batches

log = logging.getLogger(__name__)

# Longest wait of one mail between attempts: after an SMTP outage mail goes out within this.
MAX_MAIL_PAUSE = 300.0
# Seconds a mail being sent is left to the process that took it. Longer than a send, and than a
# database outage the sender is meant to ride out: only after it may another process send the
# mail again (with the same Message-ID), as after a crash of the first.
CLAIM_LEASE = 600.0
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
# About the most notices composed in one round (one transaction); a bigger batch is composed alone.
NOTICES_PER_ROUND = 1000
# Mails claimed at once per SMTP connection: after a crash these wait the lease, the others do
# not. Also the mails in hand that make it worth opening another connection.
CLAIM_SIZE = 10
# SMTP connections a process sends over at once (the setting SMTP_CONNECTIONS).
SMTP_CONNECTIONS = 4
# Mails sent over one SMTP connection before a new one, and seconds it may idle in between
# (servers close idle connections after a few minutes).
MAILS_PER_CONNECTION = 100
SMTP_IDLE = 30.0


# When the connection is upgraded with STARTTLS (the setting SMTP_TLS).
SmtpTls = Literal["opportunistic", "required", "off"]
# aiosmtplib's `start_tls`: None upgrades when the server offers STARTTLS (and sends in plain text
# when it does not), True fails unless the upgrade succeeds, False never upgrades.
START_TLS: Mapping[SmtpTls, bool | None] = {"opportunistic": None, "required": True, "off": False}


@dataclass(frozen=True)
class MailServer:
    """Where and how to hand over mail: host, port, optional login, and when to use STARTTLS."""

    host: str
    port: int
    username: str | None = None
    password: str | None = None
    tls: SmtpTls = "opportunistic"


def refused_for_good(error: Exception) -> bool:
    """A 5xx for the recipient or the message: trying again would give the same answer.

    Other 5xx answers (login, sender, greeting) are about our own set-up; those mails wait and
    are retried, so that fixing the configuration sends them all.
    """
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused):
        return bool(error.recipients) and all(r.code >= 500 for r in error.recipients)
    return isinstance(error, aiosmtplib.SMTPRecipientRefused | aiosmtplib.SMTPDataError) and error.code >= 500


def reply_codes(error: Exception) -> list[int]:
    """The SMTP reply codes of a refusal (one per refused recipient), never the server's text."""
    refused = getattr(error, "recipients", None) or [error]
    return [code for code in (getattr(r, "code", None) for r in refused) if isinstance(code, int)]


class SmtpLine:
    """One SMTP connection of the sender, opened when first needed, with what it carried."""

    def __init__(self) -> None:
        self.client: aiosmtplib.SMTP | None = None
        self.mails = 0
        self.used = 0.0

    async def close(self) -> None:
        client, self.client = self.client, None
        if client is None:
            return
        try:
            if client.is_connected:
                await client.quit()
        except Exception:  # the connection was broken anyway
            client.close()


def _notice(row: Any) -> Notice:
    return Notice(
        row.origin, row.kind, row.recipient_role, row.recipient, row.recipient_name, row.language, row.payload
    )


class MailSender(PollingWorker):
    name = "mail-sender"

    def __init__(
        self,
        engine: AsyncEngine,
        server: MailServer,
        *,
        mail_from: str,
        audience: Audience,
        timezone: ZoneInfo = AMSTERDAM,
        poll_interval: float = 1.0,
        batch_size: int = 50,
        send_timeout: float = 15.0,
        connections: int = SMTP_CONNECTIONS,
        clock: Clock | None = None,
        feed: FeedLinks | None = None,
    ) -> None:
        super().__init__(poll_interval=poll_interval, batch_size=batch_size)
        self._engine = engine
        # For the statements that stand alone (a claim, a release, a mail's mark, the next due
        # time): one round trip each instead of three (BEGIN, the statement, COMMIT). Under load
        # the sender's socket writes were a fifth of its process's time.
        self._autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")
        self._server = server
        self._mail_from = mail_from
        self._audience = audience
        self._timezone = timezone
        self._send_timeout = send_timeout
        self._feed = feed  # the staff's feed links, written into their course mails
        # The service's clock says when a batch is due (its window), dates a mail (Date, the
        # invitation's DTSTAMP) and records when it was sent or refused (the mail period counts
        # from then). Retry pauses and the lease, seconds or minutes, use the database's clock.
        self._clock = clock or Clock()
        self._next_batch: asyncio.TimerHandle | None = None
        # Mails handed to SMTP but not yet marked sent (mail id -> attempts): marked first.
        self._handed_over: dict[int, int] = {}
        # Claimed mails not tried when a round stopped (a failure, the database away): freed before
        # the next round, so that an outage does not leave them waiting out the lease.
        self._to_release: list[Any] = []
        # SMTP connections for consecutive mails, used from the first: a trickle of mail keeps
        # to one connection, a backlog spreads over all.
        self._lines = [SmtpLine() for _ in range(max(1, connections))]

    async def run_once(self) -> tuple[int, bool]:
        # Composing the next batches while the mails composed before go out: the one waits on
        # SMTP and the database while the other renders. A batch's mails become visible to the
        # sending at its commit, an answer's with its placement's (`_answers_first`).
        composing, sending = await asyncio.gather(self.compose_due(), self.send_due(), return_exceptions=True)
        if isinstance(composing, BaseException):
            raise composing
        if isinstance(sending, BaseException):
            raise sending
        sent, failed = sending
        if composing and not failed:
            self.wake()  # the mails just composed: sent in the next round, without waiting a poll
        # Scheduled after the round, so that PollingWorker's clearing of the wake-up cannot lose it.
        await self._wake_at_next_batch()
        return sent, failed

    async def compose_due(self) -> int:
        """Compose every batch that is due (`tables.batch_due_at`); returns how many.

        A batch is due once no notice joined it for its window (a quiet period: a lockdown's
        notices to one person arrive over minutes and become one mail), or once its oldest
        notice's deadline (`BATCH_MAX_WAIT`) has come, whichever is first. A batch with notices
        held for a measure waits for the measure's release (`tables.measure_releases`).

        Up to a round of due batches in one transaction, with a few statements for all of them:
        the batches' advisory locks, their notices, the mails (inserted in order, so an answer's
        mail keeps the lower id) and the notices' marks. A batch that cannot be composed is set
        aside in the same transaction.
        """
        async with self._engine.begin() as connection:
            due = (
                await connection.execute(
                    pending_batches(notices.c.batch_key, func.count())
                    .having(batch_due_at <= self._clock.now())
                    .order_by(batch_due_at)
                    .limit(self._batch_size)
                )
            ).all()
            if not due:
                return 0
            # A round holds its batches' notices and mails in memory: after a lockdown one
            # batch (the coordinator's) can hold thousands, so a round stops at about
            # `NOTICES_PER_ROUND` notices, and takes such a batch alone.
            keys: list[str] = []
            taken = 0
            for key, count in due:
                if keys and taken + count > NOTICES_PER_ROUND:
                    break
                keys.append(key)
                taken += count
            keys = await self._answers_first(connection, keys)
            # Batches another process is composing hold their lock: left to it.
            locked = set(
                await connection.scalars(
                    text(
                        "SELECT k FROM unnest(CAST(:keys AS text[])) AS k"
                        " WHERE pg_try_advisory_xact_lock(hashtext(k))"
                    ),
                    {"keys": keys},
                )
            )
            rows = (
                await connection.execute(
                    select(notices)
                    .where(
                        notices.c.batch_key.in_(locked),
                        notices.c.mail_id.is_(None),
                        notices.c.compose_error.is_(None),
                    )
                    .order_by(notices.c.created_at, notices.c.id)
                    .with_for_update()
                )
            ).all()
            batches: dict[str, list[Any]] = {key: [] for key in keys if key in locked}
            for row in rows:
                batches[row.batch_key].append(row)
            now = self._clock.now()
            composed: list[tuple[dict[str, Any], list[int]]] = []
            for key, batch in batches.items():
                if not batch:
                    continue
                try:
                    composed.append((self._compose(key, batch, now), [row.id for row in batch]))
                except Exception as error:  # a bad batch is set aside with its error, not retried
                    # The kind only: the rest of the key is the recipient's address.
                    kind = key.split("/")[0]
                    log.error("a %s batch could not be composed (%r); set aside", kind, type(error))
                    await connection.execute(
                        update(notices)
                        .where(notices.c.batch_key == key, notices.c.mail_id.is_(None))
                        .values(compose_error=type(error).__name__)
                    )
            if not composed:
                return 0
            mail_ids = (
                await connection.scalars(
                    insert(mails).returning(mails.c.id, sort_by_parameter_order=True),
                    [values for values, _ in composed],
                )
            ).all()
            await connection.execute(
                update(notices).where(notices.c.id == bindparam("notice")).values(mail_id=bindparam("mail")),
                [
                    {"notice": notice_id, "mail": mail_id}
                    for mail_id, (_, notice_ids) in zip(mail_ids, composed, strict=True)
                    for notice_id in notice_ids
                ],
            )
        for mail_id, (values, notice_ids) in zip(mail_ids, composed, strict=True):
            log.info(
                "mail %s (%s to the %s) composed from %d notices",
                mail_id,
                values["kind"],
                values["recipient_role"],
                len(notice_ids),
            )
        return len(composed)

    async def _answers_first(self, connection: AsyncConnection, keys: Sequence[str]) -> list[str]:
        """The due batches, each after the person's waiting answers to referrals, due or not.

        A partner's contact person hears whether a referral is accepted before (never a minute
        after) the mail that the employee is in a group: the answers' batch window is cut short.
        Composed first, the answers' mail has the lower id and goes first.
        """
        others = [key for key in keys if not key.startswith("referrals/")]
        answers: dict[str, list[str]] = {}
        if others:
            recipient = func.lower(notices.c.recipient)
            of_keys = (
                select(notices.c.batch_key, recipient.label("recipient"))
                .where(notices.c.batch_key.in_(others))
                .distinct()
                .subquery()
            )
            waiting = await connection.execute(
                select(of_keys.c.batch_key, notices.c.batch_key.label("answer"))
                .distinct()
                .join(of_keys, recipient == of_keys.c.recipient)
                .where(
                    notices.c.kind == "referrals",
                    notices.c.mail_id.is_(None),
                    notices.c.compose_error.is_(None),
                )
                .order_by(notices.c.batch_key)
            )
            for key, answer in waiting:
                answers.setdefault(key, []).append(answer)
        ordered: list[str] = []
        for key in keys:
            ordered += [answer for answer in answers.get(key, []) if answer not in ordered]
            if key not in ordered:
                ordered.append(key)
        return ordered

    def _compose(self, batch_key: str, rows: Sequence[Any], now: datetime) -> dict[str, Any]:
        """The mail of one batch, as the values of its row in `mails`."""
        mail = compose(
            [_notice(row) for row in rows],
            timezone=self._timezone,
            mail_from=self._mail_from,
            mail_domain=domain_of(self._mail_from),
            now=now,
            feed=self._feed,
        )
        message = as_email(mail, mail_from=self._mail_from, composed_at=now)
        return {
            "batch_key": batch_key,
            "kind": mail.kind,
            "recipient_role": mail.recipient_role,
            "recipient": mail.recipient,
            "subject": mail.subject[:300],
            "message_id": mail.message_id,
            "content": message.as_bytes(),
        }

    async def _wake_at_next_batch(self) -> None:
        """Run again when the next batch is due, however long the poll interval is."""
        pending = pending_batches(batch_due_at.label("due_at")).subquery()
        async with self._autocommit.connect() as connection:
            due = await connection.scalar(select(func.min(pending.c.due_at)))
        if self._next_batch is not None:
            self._next_batch.cancel()
            self._next_batch = None
        if due is not None:
            wait = (due - self._clock.now()).total_seconds()
            self._next_batch = asyncio.get_running_loop().call_later(max(wait, 0.0) + 0.01, self.wake)

    async def stop(self) -> None:
        await super().stop()
        for line in self._lines:
            await line.close()

    async def send_due(self) -> tuple[int, bool]:
        """Send up to a batch of due mails; returns how many were sent and whether one failed.

        The round stops at the first temporary failure: when the server is down, the others
        would fail too. The failed mail waits its own pause, so the next round starts with others;
        the mails claimed with it and not tried are freed at once.
        """
        await self._mark_handed_over()
        await self._release_untried()
        sent = 0
        while sent < self._batch_size:
            claimed = await self._claim(min(CLAIM_SIZE * len(self._lines), self._batch_size - sent))
            if not claimed:
                return sent, False
            done, failed = await self._send_claimed(claimed)
            sent += done
            if failed:
                await self._release_untried()
                return sent, True
        return sent, False

    async def _send_claimed(self, claimed: Sequence[Any]) -> tuple[int, bool]:
        """Send a claim over a connection per `CLAIM_SIZE` mails: each recipient's mails over one, in order.

        Returns how many were sent and whether one failed for now; then the others stop after
        the mail in hand, and what no connection took is left in `_to_release`.
        """
        per_recipient: dict[str, list[Any]] = {}
        for row in claimed:
            per_recipient.setdefault(row.recipient.casefold(), []).append(row)
        waiting = deque(per_recipient.values())  # in the order their first mail was due
        stopped = False
        sent = 0

        async def send_over(line: SmtpLine) -> None:
            nonlocal stopped, sent
            while waiting and not stopped:
                rows = waiting.popleft()
                for n, row in enumerate(rows):
                    if stopped:
                        self._to_release.extend(rows[n:])
                        break
                    try:
                        done = await self._send(row, line)
                    except Exception:
                        stopped = True
                        self._to_release.extend(rows[n + 1 :])  # freed when the database is back
                        raise
                    if not done:
                        stopped = True
                        self._to_release.extend(rows[n + 1 :])
                        break
                    sent += 1

        lines = self._lines[: -(-len(claimed) // CLAIM_SIZE)]
        outcomes = await asyncio.gather(*(send_over(line) for line in lines), return_exceptions=True)
        for rows in waiting:
            self._to_release.extend(rows)
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome
        return sent, stopped

    async def _release_untried(self) -> None:
        if self._to_release:
            await self._release(self._to_release)
            self._to_release = []

    async def _claim(self, limit: int) -> list[Any]:
        """Take the next due mails for `CLAIM_LEASE` seconds, committed: no other process sends them then.

        The claim is its own transaction (one statement), so that a database lost while a mail
        is with SMTP does not free the mail for another process (it would send it again).
        """
        due = (
            select(mails.c.id, mails.c.next_attempt_at)
            .where(mails.c.sent_at.is_(None), mails.c.failed_at.is_(None))
            .where(mails.c.next_attempt_at <= func.now())
            .order_by(mails.c.next_attempt_at, mails.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
            .subquery()
        )
        async with self._autocommit.begin() as connection:
            rows = (
                await connection.execute(
                    update(mails)
                    .where(mails.c.id == due.c.id)
                    .values(next_attempt_at=func.now() + timedelta(seconds=CLAIM_LEASE))
                    .returning(*mails.c, due.c.next_attempt_at.label("due"))
                )
            ).all()
        # The order they were due in: an answer to a referral before the mail that places the employee.
        return sorted(rows, key=lambda row: (row.due, row.id))

    async def _release(self, rows: Sequence[Any]) -> None:
        """Claimed mails not tried in this round: due when they were (after a crash: after the lease)."""
        if rows:
            async with self._autocommit.begin() as connection:
                await connection.execute(
                    update(mails)
                    .where(mails.c.id == bindparam("mail"), mails.c.sent_at.is_(None))
                    .values(next_attempt_at=bindparam("due")),
                    [{"mail": row.id, "due": row.due} for row in rows],
                )

    async def _connection(self, line: SmtpLine) -> aiosmtplib.SMTP:
        """The line's open connection, or a new one: after an error, `MAILS_PER_CONNECTION` mails, idling."""
        loop = asyncio.get_running_loop()
        if line.client is not None and (
            not line.client.is_connected
            or line.mails >= MAILS_PER_CONNECTION
            or loop.time() - line.used > SMTP_IDLE
        ):
            await line.close()
        if line.client is None:
            client = aiosmtplib.SMTP(
                hostname=self._server.host,
                port=self._server.port,
                username=self._server.username,
                password=self._server.password,
                start_tls=START_TLS[self._server.tls],
                timeout=self._send_timeout,
            )
            await client.connect()
            line.client, line.mails = client, 0
        line.used = loop.time()
        return line.client

    async def _send(self, row: Any, line: SmtpLine) -> bool:
        """Send one claimed mail over `line`: True when done with it, False when it failed for now."""
        attempts = row.attempts + 1
        try:
            client = await self._connection(line)
            await client.sendmail(bare_address(self._mail_from), [row.recipient], row.content)
            line.mails += 1
        except Exception as error:
            # A fresh connection for the next mail: this one may be in any state.
            await line.close()
            async with self._engine.begin() as connection:
                if refused_for_good(error):
                    await self._record_refusal(connection, row, attempts, error)
                    return True
                # The mail by id and role, the error's type and SMTP code: its text may repeat the
                # address (last_error keeps it).
                log.warning(
                    "mail %s to the %s not sent (attempt %d): %s %s",
                    row.id, row.recipient_role, attempts, type(error).__name__, getattr(error, "code", ""),
                )  # fmt: skip
                # The exponent is capped too: after days of failures 2**attempts would overflow a float.
                pause = min(self._poll_interval * 2 ** min(attempts, 20), MAX_MAIL_PAUSE)
                await connection.execute(
                    update(mails)
                    .where(mails.c.id == row.id)
                    .values(
                        attempts=attempts,
                        last_error=stored_error(error),
                        next_attempt_at=func.now() + timedelta(seconds=pause),
                    )
                )
            return False
        # Remembered until recorded: if the database is away now, it is marked when it is back.
        self._handed_over[row.id] = attempts
        await self._mark_handed_over()
        log.info("mail %s (%s to the %s) sent", row.id, row.kind, row.recipient_role)
        return True

    async def _mark_handed_over(self) -> None:
        """Mark the mails SMTP took while the database could not record it; before sending more."""
        if not self._handed_over:
            return
        # The other connections may hand over more meanwhile: only what was marked is forgotten.
        marking = dict(self._handed_over)
        async with self._autocommit.begin() as connection:
            await connection.execute(
                update(mails)
                .where(mails.c.id == bindparam("mail"), mails.c.sent_at.is_(None))
                .values(sent_at=self._clock.now(), attempts=bindparam("tries")),
                [{"mail": mail_id, "tries": attempts} for mail_id, attempts in marking.items()],
            )
        for mail_id in marking:
            self._handed_over.pop(mail_id, None)

    async def _record_refusal(
        self, connection: AsyncConnection, row: Any, attempts: int, error: Exception
    ) -> None:
        log.warning("mail %s to the %s refused for good; not tried again", row.id, row.recipient_role)
        await connection.execute(
            update(mails)
            .where(mails.c.id == row.id)
            .values(failed_at=self._clock.now(), attempts=attempts, last_error=stored_error(error))
        )
        notice = refused_notice(row.id, row.recipient, row.subject, reply_codes(error), self._audience)
        if notice is not None:
            windows: Mapping[Window, float] = {"now": 0.0}
            await add_notices(connection, [notice], windows, self._clock.now())
