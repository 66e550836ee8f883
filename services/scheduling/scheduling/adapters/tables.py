"""Scheduling's tables. Of participants only what the course events carry: a short name."""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    func,
)

metadata = MetaData()

courses = Table(
    "courses",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("group_id", String(100), nullable=False, unique=True),
    Column("slot_id", String(100), nullable=False),
    Column("course_type", String(50), nullable=False),
    Column("level", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

sessions = Table(
    "sessions",
    metadata,
    Column("course_id", String(36), ForeignKey("courses.id"), primary_key=True),
    Column("number", Integer, primary_key=True),
    Column("slot_id", String(100), nullable=False),
    Column("date", Date, nullable=False),
    Column("start", DateTime(timezone=True), nullable=False),
    Column("end", DateTime(timezone=True), nullable=False),
    # The database itself refuses two sessions in one slot on one day.
    UniqueConstraint("slot_id", "date", name="one_session_per_slot_and_day"),
)

participants = Table(
    "participants",
    metadata,
    Column("course_id", String(36), ForeignKey("courses.id"), primary_key=True),
    Column("referral_id", String(100), primary_key=True),
    Column("partner_id", String(100), nullable=False),
    Column("partner_referral_id", String(100), nullable=False),
    Column("display_name", String(120), nullable=False),
)

partner_contacts = Table(
    "partner_contacts",
    metadata,
    Column("course_id", String(36), ForeignKey("courses.id"), primary_key=True),
    Column("partner_id", String(100), primary_key=True),
    Column("email", String(320), primary_key=True),
    Column("name", String(200), nullable=False),
)
