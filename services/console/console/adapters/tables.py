"""The console's tables: its users, login failures and audit trail, its commands, and the read model.

The read model (intakes, referrals and their events, groups, sessions, notices, measures) is a
projection of the events; rebuilding it from the same events gives the same rows. The migrations
create the same tables with explicit operations (see migrations/versions).
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    func,
)

metadata = MetaData()

users = Table(
    "users",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("role", String(20), nullable=False),
    Column("partner_id", String(100), nullable=True),
    Column("password_hash", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

login_failures = Table(
    "login_failures",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("user_name", String(100), nullable=False),
    Column("failed_at", DateTime(timezone=True), nullable=False),
    Index("login_failures_by_user", "user_name", "failed_at"),
)

audit = Table(
    "audit",
    metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", String(100), nullable=False),
    Column("action", String(50), nullable=False),
    Column("outcome", String(50), nullable=False),
    # Ids only (an event id, a partner referral id, a session id): never a participant's name.
    Column("subject", String(300), nullable=True),
)

# What the console sent, and the answer that came back (matched on `correlation`).
commands = Table(
    "commands",
    metadata,
    Column("id", String(200), primary_key=True),  # the event id
    Column("kind", String(50), nullable=False),
    Column("actor", String(100), nullable=False),
    Column("partner_id", String(100), nullable=True),
    Column("correlation", String(500), nullable=False),
    Column("label", String(300), nullable=False),
    Column("sent_at", DateTime(timezone=True), nullable=False),
    Column("outcome", String(50), nullable=True),
    Column("outcome_text", Text, nullable=True),
    Column("answered_at", DateTime(timezone=True), nullable=True),
    Index("commands_waiting", "kind", "correlation", "sent_at"),
)

# --- the read model ------------------------------------------------------------------------------

intakes = Table(
    "intakes",
    metadata,
    Column("intake_id", String(100), primary_key=True),
    Column("course_type", String(50), nullable=False),
    Column("groups", Integer, nullable=False),
    Column("groups_used", Integer, nullable=False),
    Column("from_date", Date, nullable=False),
    Column("locations", JSON, nullable=False),
    Column("opened_at", DateTime(timezone=True), nullable=False),
)

referrals = Table(
    "referrals",
    metadata,
    Column("partner_id", String(100), primary_key=True),
    Column("partner_referral_key", String(100), primary_key=True),  # casefolded
    Column("partner_referral_id", String(100), nullable=False),
    Column("referral_id", String(100), nullable=True),
    Column("course_type", String(50), nullable=True),
    Column("level", Integer, nullable=True),
    Column("language_group", String(3), nullable=True),
    Column("status", String(20), nullable=False),
    Column("waiting_since", DateTime(timezone=True), nullable=True),
    Column("group_id", String(100), nullable=True),
    Column("display_name", String(200), nullable=True),
    Column("reason_code", String(50), nullable=True),
    Column("reason", Text, nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

groups = Table(
    "groups",
    metadata,
    Column("group_id", String(100), primary_key=True),
    Column("course_type", String(50), nullable=False),
    Column("level", Integer, nullable=False),
    Column("language_group", String(3), nullable=True),
    Column("capacity", Integer, nullable=False),
    Column("closed_early", Boolean, nullable=False),
    Column("status", String(20), nullable=False),
    Column("members", JSON, nullable=False),  # [{referral_id, partner_id, partner_referral_id, display_name}]
    Column("course_id", String(100), nullable=True),
    Column("location", String(200), nullable=True),
    Column("teacher", String(200), nullable=True),
    Column("formed_at", DateTime(timezone=True), nullable=False),
    Column("reason", Text, nullable=True),
)

sessions = Table(
    "sessions",
    metadata,
    Column("session_id", String(100), primary_key=True),
    Column("course_id", String(100), nullable=False),
    Column("group_id", String(100), nullable=False),
    Column("number", Integer, nullable=False),
    Column("starts_at", DateTime(timezone=True), nullable=False),
    Column("ends_at", DateTime(timezone=True), nullable=False),
    Column("location", String(200), nullable=False),
    Column("room", String(100), nullable=True),
    Column("teacher", String(200), nullable=False),
    Column("volunteers", JSON, nullable=False),  # names
    Column("ipads", Integer, nullable=False),
    Column("setup_start", DateTime(timezone=True), nullable=True),
    Column("status", String(20), nullable=False),
    Column("reason", Text, nullable=True),
)

# What the console saw happen to each referral, one line per event and referral (oldest first by `at`).
referral_events = Table(
    "referral_events",
    metadata,
    Column("event_id", String(200), primary_key=True),
    Column("partner_id", String(100), primary_key=True),
    Column("partner_referral_key", String(100), primary_key=True),  # casefolded, as in `referrals`
    Column("at", DateTime(timezone=True), nullable=False),
    Column("kind", String(50), nullable=False),
    Column("description", Text, nullable=False),  # Dutch, for the coordinator
    Index("referral_events_by_referral", "partner_id", "partner_referral_key", "at"),
)

# Things a person must act on: rejected referrals, unschedulable groups, refused early closures.
notices = Table(
    "notices",
    metadata,
    Column("event_id", String(200), primary_key=True),
    Column("kind", String(50), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("subject", String(300), nullable=False),
    Column("reason", Text, nullable=False),
)

measures = Table(
    "measures",
    metadata,
    Column("measure_id", String(100), primary_key=True),
    Column("from_date", Date, nullable=False),
    Column("until_date", Date, nullable=True),
    Column("locations", JSON, nullable=False),
    Column("reason", Text, nullable=False),
    Column("lifted_from", Date, nullable=True),
)

READ_MODEL = (intakes, referrals, referral_events, groups, sessions, notices, measures)
