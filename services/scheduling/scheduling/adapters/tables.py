"""Scheduling's tables. Of participants only what the course events carry: a short name."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    func,
    text,
)

metadata = MetaData()

courses = Table(
    "courses",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("group_id", String(100), nullable=False, unique=True),
    Column("course_type", String(50), nullable=False),
    Column("level", Integer, nullable=False),
    Column("status", String(20), nullable=False, server_default="planned"),
    # The measure that stopped the course while it is paused.
    Column("paused_by", String(100), nullable=True),
    # As the group events carry them: GroupMember and PartnerContact dicts.
    Column("participants", JSON, nullable=False),
    Column("contacts", JSON, nullable=False),
    Column("partner_ids", JSON, nullable=False),
    # The time of the group event this membership comes from: an older GroupChanged loses.
    Column("membership_as_of", DateTime(timezone=True), nullable=True),
    # Of the first session: kept when sessions are planned again (resumed, caught up).
    Column("teacher_id", String(100), nullable=False),
    Column("place_id", String(100), nullable=False),
    # The first day the course could start (the group's earliest start, the lead days): a
    # resumed course starts no earlier. None for courses planned before it was kept.
    Column("earliest_start", Date, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("completed_at", DateTime(timezone=True), nullable=True),
    CheckConstraint("status IN ('planned', 'paused', 'completed')", name="course_status"),
)

sessions = Table(
    "sessions",
    metadata,
    # The stable session id: the same when the session moves (calendar UIDs rely on it).
    Column("id", String(36), primary_key=True),
    Column("course_id", String(36), ForeignKey("courses.id"), nullable=False),
    Column("number", Integer, nullable=False),
    Column("status", String(20), nullable=False, server_default="planned"),
    Column("place_id", String(100), nullable=False),
    Column("room_id", String(100), nullable=False),
    Column("teacher_id", String(100), nullable=False),
    Column("volunteer_ids", JSON, nullable=False),
    Column("ipads", Integer, nullable=False),
    Column("start", DateTime(timezone=True), nullable=False),
    Column("end", DateTime(timezone=True), nullable=False),
    # What the session holds, set-up and packing up included.
    Column("busy_from", DateTime(timezone=True), nullable=False),
    Column("busy_until", DateTime(timezone=True), nullable=False),
    Column("revision", Integer, nullable=False, server_default="0"),
    # The last cancellation: a reason code, and the measure when it was one.
    Column("cancel_reason", String(50), nullable=True),
    Column("measure_id", String(100), nullable=True),
    # The session as last announced (a `Session` event part, with names and addresses then), so
    # that its cancellation can be told even when the resources file no longer has its people.
    Column("announced", JSON, nullable=False),
    CheckConstraint("status IN ('planned', 'cancelled', 'held')", name="session_status"),
    Index(
        "one_planned_session_per_number",
        "course_id",
        "number",
        unique=True,
        postgresql_where=text("status = 'planned'"),
    ),
    Index("sessions_by_status_and_start", "status", "start"),
)

# A GroupChanged that came before the group had a course: applied when the course is planned.
group_changes = Table(
    "group_changes",
    metadata,
    Column("group_id", String(100), primary_key=True),
    Column("participants", JSON, nullable=False),
    Column("contacts", JSON, nullable=False),
    Column("as_of", DateTime(timezone=True), nullable=False),
)

measures = Table(
    "measures",
    metadata,
    Column("id", String(100), primary_key=True),
    Column("from_date", Date, nullable=False),
    Column("until_date", Date, nullable=True),
    # Location ids (or names); empty: every location.
    Column("locations", JSON, nullable=False),
    Column("reason", String(500), nullable=False),
    Column("announced_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("lifted_from", Date, nullable=True),
)

# One row: raised by a trigger on every statement that changes `sessions` (migration 0004), so
# that a process knows whether the bookings it keeps indexed are still those of the database.
booking_version = Table(
    "booking_version",
    metadata,
    Column("id", SmallInteger, primary_key=True),
    Column("version", BigInteger, nullable=False),
    CheckConstraint("id = 1", name="booking_version_one_row"),
)
