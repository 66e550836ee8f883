"""Initial schema: users, login failures, audit, commands, the read model, inbox and outbox.

Revision ID: 0001
Revises:

Written out in full, never derived from the table definitions: a revision must do the same thing
forever, however the code changes later.
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _now() -> sa.TextClause:
    return sa.text("now()")


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("partner_id", sa.String(100), nullable=True),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=_now()),
        sa.PrimaryKeyConstraint("name", name="users_pkey"),
    )
    op.create_table(
        "login_failures",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("user_name", sa.String(100), nullable=False),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="login_failures_pkey"),
    )
    op.create_index("login_failures_by_user", "login_failures", ["user_name", "failed_at"])
    op.create_table(
        "audit",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("action", sa.String(50), nullable=False),
        sa.Column("outcome", sa.String(50), nullable=False),
        sa.Column("subject", sa.String(300), nullable=True),
        sa.PrimaryKeyConstraint("id", name="audit_pkey"),
    )
    op.create_table(
        "commands",
        sa.Column("id", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(50), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("partner_id", sa.String(100), nullable=True),
        sa.Column("correlation", sa.String(500), nullable=False),
        sa.Column("label", sa.String(300), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(50), nullable=True),
        sa.Column("outcome_text", sa.Text(), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="commands_pkey"),
    )
    op.create_index("commands_waiting", "commands", ["kind", "correlation", "sent_at"])

    op.create_table(
        "intakes",
        sa.Column("intake_id", sa.String(100), nullable=False),
        sa.Column("course_type", sa.String(50), nullable=False),
        sa.Column("groups", sa.Integer(), nullable=False),
        sa.Column("groups_used", sa.Integer(), nullable=False),
        sa.Column("from_date", sa.Date(), nullable=False),
        sa.Column("locations", sa.JSON(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("intake_id", name="intakes_pkey"),
    )
    op.create_table(
        "referrals",
        sa.Column("partner_id", sa.String(100), nullable=False),
        sa.Column("partner_referral_key", sa.String(100), nullable=False),
        sa.Column("partner_referral_id", sa.String(100), nullable=False),
        sa.Column("referral_id", sa.String(100), nullable=True),
        sa.Column("course_type", sa.String(50), nullable=True),
        sa.Column("level", sa.Integer(), nullable=True),
        sa.Column("language_group", sa.String(3), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("waiting_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("group_id", sa.String(100), nullable=True),
        sa.Column("display_name", sa.String(200), nullable=True),
        sa.Column("reason_code", sa.String(50), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("partner_id", "partner_referral_key", name="referrals_pkey"),
    )
    op.create_table(
        "groups",
        sa.Column("group_id", sa.String(100), nullable=False),
        sa.Column("course_type", sa.String(50), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("language_group", sa.String(3), nullable=True),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("closed_early", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("members", sa.JSON(), nullable=False),
        sa.Column("course_id", sa.String(100), nullable=True),
        sa.Column("location", sa.String(200), nullable=True),
        sa.Column("teacher", sa.String(200), nullable=True),
        sa.Column("formed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("group_id", name="groups_pkey"),
    )
    op.create_table(
        "sessions",
        sa.Column("session_id", sa.String(100), nullable=False),
        sa.Column("course_id", sa.String(100), nullable=False),
        sa.Column("group_id", sa.String(100), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("location", sa.String(200), nullable=False),
        sa.Column("room", sa.String(100), nullable=True),
        sa.Column("teacher", sa.String(200), nullable=False),
        sa.Column("volunteers", sa.JSON(), nullable=False),
        sa.Column("ipads", sa.Integer(), nullable=False),
        sa.Column("setup_start", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("session_id", name="sessions_pkey"),
    )
    op.create_table(
        "notices",
        sa.Column("event_id", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(50), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("subject", sa.String(300), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name="notices_pkey"),
    )
    op.create_table(
        "measures",
        sa.Column("measure_id", sa.String(100), nullable=False),
        sa.Column("from_date", sa.Date(), nullable=False),
        sa.Column("until_date", sa.Date(), nullable=True),
        sa.Column("locations", sa.JSON(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("lifted_from", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("measure_id", name="measures_pkey"),
    )

    op.create_table(
        "inbox",
        sa.Column("source", sa.String(500), nullable=False),
        sa.Column("event_id", sa.String(200), nullable=False),
        sa.Column("event_type", sa.String(200), nullable=False),
        sa.Column("handled_at", sa.DateTime(timezone=True), nullable=False, server_default=_now()),
        sa.PrimaryKeyConstraint("source", "event_id", name="inbox_pkey"),
    )
    op.create_table(
        "outbox",
        sa.Column("seq", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("event_id", sa.String(200), nullable=False),
        sa.Column("event_type", sa.String(200), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=_now()),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("seq", name="outbox_pkey"),
        sa.UniqueConstraint("event_id", name="outbox_event_id_key"),
    )
    op.create_index("ix_outbox_published_at", "outbox", ["published_at"])


def downgrade() -> None:
    for table in (
        "outbox", "inbox", "measures", "notices", "sessions", "groups", "referrals", "intakes",
        "commands", "audit", "login_failures", "users",
    ):  # fmt: skip
        op.drop_table(table)
