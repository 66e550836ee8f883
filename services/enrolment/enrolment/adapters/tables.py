"""Enrolment's tables. Only what enrolment needs of a person is stored: no full records."""

from __future__ import annotations

from sqlalchemy import (
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    func,
    text,
)

metadata = MetaData()

groups = Table(
    "groups",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("course_type", String(50), nullable=False),
    Column("level", Integer, nullable=False),
    Column("capacity", Integer, nullable=False),
    Column("status", String(20), nullable=False, server_default="open"),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("filled_at", DateTime(timezone=True), nullable=True),
    # At most one group per course and level is open at a time.
    Index(
        "one_open_group_per_course",
        "course_type",
        "level",
        unique=True,
        postgresql_where=text("status = 'open'"),
    ),
)

referrals = Table(
    "referrals",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("event_id", String(200), nullable=False),
    Column("partner_id", String(100), nullable=False),
    Column("partner_referral_id", String(100), nullable=False),
    Column("employee_reference", String(100), nullable=False),
    Column("display_name", String(120), nullable=False),
    Column("course_type", String(50), nullable=False),
    Column("level", Integer, nullable=False),
    Column("contact_name", String(200), nullable=False),
    Column("contact_email", String(320), nullable=False),
    Column("group_id", String(36), ForeignKey("groups.id"), nullable=True),
    Column("accepted_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    UniqueConstraint("partner_id", "partner_referral_id", name="one_referral_per_partner_id"),
)

rejections = Table(
    "rejections",
    metadata,
    Column("event_id", String(200), primary_key=True),
    Column("partner_id", String(100), nullable=False),
    Column("partner_referral_id", String(100), nullable=False),
    Column("reason_code", String(50), nullable=False),
    Column("rejected_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)
