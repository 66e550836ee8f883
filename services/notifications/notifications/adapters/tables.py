"""Notifications' tables: notices (what to tell whom), the mail outbox, and each group's staff.

A handler writes notices; the mail sender composes one mail from all notices of a batch (one
recipient, one kind of mail) and marks them composed in the same transaction, then sends it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Select,
    String,
    Table,
    Text,
    case,
    func,
    select,
    text,
)
from sqlalchemy.sql.elements import ColumnElement

metadata = MetaData()

mails = Table(
    "mails",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("batch_key", String(700), nullable=False),
    Column("kind", String(30), nullable=False),
    Column("recipient_role", String(20), nullable=False),
    Column("recipient", String(320), nullable=False),
    Column("subject", String(300), nullable=False),
    Column("message_id", String(300), nullable=False, unique=True),
    # The whole message as it goes over SMTP: every attempt sends the same bytes.
    Column("content", LargeBinary, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("sent_at", DateTime(timezone=True), nullable=True),
    # Refused for good (5xx for the recipient): not tried again.
    Column("failed_at", DateTime(timezone=True), nullable=True),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("last_error", Text, nullable=True),
    # A failed mail waits until then, so that one refused mail neither blocks nor floods the rest.
    Column("next_attempt_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("unsent_mails", "next_attempt_at", postgresql_where=text("sent_at IS NULL AND failed_at IS NULL")),
)

notices = Table(
    "notices",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    # The event (or refused mail) it comes from.
    Column("origin", String(300), nullable=False),
    # Origin, kind and recipient: what makes a notice the same one again.
    Column("notice_key", String(700), nullable=False, unique=True),
    Column("batch_key", String(700), nullable=False),
    Column("kind", String(30), nullable=False),
    Column("recipient_role", String(20), nullable=False),
    Column("language", String(5), nullable=False),
    Column("recipient", String(320), nullable=False),
    Column("recipient_name", String(300), nullable=True),
    Column("payload", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # When the notice's window ends; for batched kinds counted from the notice itself, a quiet
    # period: the batch is composed once the due_at of its latest notice has passed...
    Column("due_at", DateTime(timezone=True), nullable=False),
    # ...or once the deadline of its oldest notice has (BATCH_MAX_WAIT; for the other kinds the
    # same as due_at), so that a stream of notices cannot hold a batch back for ever.
    Column("deadline", DateTime(timezone=True), nullable=False),
    Column("mail_id", BigInteger, ForeignKey("mails.id"), nullable=True),
    # Set when the batch could not be composed (a template or address error): kept, not retried,
    # shown by the mail view, so that one bad batch does not stop all other mail.
    Column("compose_error", Text, nullable=True),
    # The measure the notice waits for (`domain.notices.hold_of`): not due before it is released.
    Column("held_for", String(300), nullable=True),
    Index("pending_notices", "batch_key", "due_at", postgresql_where=text("mail_id IS NULL")),
)

# Measures whose MeasuresApplied notifications has handled: their held notices may go from
# `due_at` (the quiet period after it, for events of the measure still being handled).
measure_releases = Table(
    "measure_releases",
    metadata,
    Column("hold", String(300), primary_key=True),
    Column("due_at", DateTime(timezone=True), nullable=False),
)

# When a notice counts as due: a held notice when its measure's release is due (the measure's
# stream has ended, so its own quiet period no longer matters); until then at its deadline
# (`MEASURE_MAX_WAIT`, the bound if the release never comes).
_notice_due_at = case(
    (notices.c.held_for.is_(None), notices.c.due_at),
    (measure_releases.c.due_at.is_(None), notices.c.deadline),
    else_=measure_releases.c.due_at,
)

# When a batch (the pending notices of one batch key, grouped) is composed: once its latest
# notice is due (the quiet period passed) or its oldest notice's deadline has come.
batch_due_at = func.least(func.max(_notice_due_at), func.min(notices.c.deadline))


def pending_batches(*columns: ColumnElement[Any]) -> Select[Any]:
    """The batches waiting to be composed, one row each, with their notices' releases joined:
    `columns` may use `batch_due_at`."""
    return (
        select(*columns)
        .select_from(notices.outerjoin(measure_releases, measure_releases.c.hold == notices.c.held_for))
        .where(notices.c.mail_id.is_(None), notices.c.compose_error.is_(None))
        .group_by(notices.c.batch_key)
    )


# The staff of each group's course, from CourseScheduled: GroupChanged names no teacher. And
# what names the group in a mail and numbers its sessions (`domain.groups`), from every event.
group_staff = Table(
    "group_staff",
    metadata,
    Column("group_id", String(200), primary_key=True),
    Column("staff", JSON, nullable=False),
    Column("known", JSON, nullable=True),
)
