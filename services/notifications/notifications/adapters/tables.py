"""Notifications' tables: the mail outbox, one row per e-mail to one person."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)

metadata = MetaData()

mails = Table(
    "mails",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("event_id", String(200), nullable=False),
    Column("course_id", String(200), nullable=False),
    Column("recipient_role", String(20), nullable=False),
    Column("recipient", String(320), nullable=False),
    Column("subject", String(300), nullable=False),
    Column("body", Text, nullable=False),
    Column("message_id", String(300), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("sent_at", DateTime(timezone=True), nullable=True),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("last_error", Text, nullable=True),
    # A failed mail waits until then, so that one refused mail neither blocks nor floods the rest.
    Column("next_attempt_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("event_id", "recipient", name="one_mail_per_event_and_recipient"),
    # The sender only ever looks for unsent mails.
    Index("unsent_mails", "next_attempt_at", postgresql_where=text("sent_at IS NULL")),
)
