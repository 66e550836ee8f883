"""Initial schema: courses, sessions, early group changes, measures, inbox and outbox.

Revision ID: 0001
Revises:

Written out in full, never derived from the table definitions: a revision must do the same thing
forever, however the code changes later. Constraint and index names are the ones PostgreSQL chose
when this revision still used `create_all`, so databases made either way are the same.
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "courses",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("group_id", sa.String(100), nullable=False),
        sa.Column("course_type", sa.String(50), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False, server_default="planned"),
        sa.Column("paused_by", sa.String(100), nullable=True),
        sa.Column("participants", sa.JSON(), nullable=False),
        sa.Column("contacts", sa.JSON(), nullable=False),
        sa.Column("partner_ids", sa.JSON(), nullable=False),
        sa.Column("membership_as_of", sa.DateTime(timezone=True), nullable=True),
        sa.Column("teacher_id", sa.String(100), nullable=False),
        sa.Column("place_id", sa.String(100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.text("now()")),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="courses_pkey"),
        sa.UniqueConstraint("group_id", name="courses_group_id_key"),
        sa.CheckConstraint("status IN ('planned', 'paused', 'completed')", name="course_status"),
    )

    op.create_table(
        "sessions",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("course_id", sa.String(36), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False, server_default="planned"),
        sa.Column("place_id", sa.String(100), nullable=False),
        sa.Column("room_id", sa.String(100), nullable=False),
        sa.Column("teacher_id", sa.String(100), nullable=False),
        sa.Column("volunteer_ids", sa.JSON(), nullable=False),
        sa.Column("ipads", sa.Integer(), nullable=False),
        sa.Column("start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("busy_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("busy_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("cancel_reason", sa.String(50), nullable=True),
        sa.Column("measure_id", sa.String(100), nullable=True),
        sa.Column("announced", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="sessions_pkey"),
        sa.ForeignKeyConstraint(["course_id"], ["courses.id"], name="sessions_course_id_fkey"),
        sa.CheckConstraint("status IN ('planned', 'cancelled', 'held')", name="session_status"),
    )
    op.create_index(
        "one_planned_session_per_number",
        "sessions",
        ["course_id", "number"],
        unique=True,
        postgresql_where=sa.text("status = 'planned'"),
    )
    op.create_index("sessions_by_status_and_start", "sessions", ["status", "start"])

    op.create_table(
        "group_changes",
        sa.Column("group_id", sa.String(100), nullable=False),
        sa.Column("participants", sa.JSON(), nullable=False),
        sa.Column("contacts", sa.JSON(), nullable=False),
        sa.Column("as_of", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("group_id", name="group_changes_pkey"),
    )

    op.create_table(
        "measures",
        sa.Column("id", sa.String(100), nullable=False),
        sa.Column("from_date", sa.Date(), nullable=False),
        sa.Column("until_date", sa.Date(), nullable=True),
        sa.Column("locations", sa.JSON(), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column(
            "announced_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.text("now()")
        ),
        sa.Column("lifted_from", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="measures_pkey"),
    )

    op.create_table(
        "inbox",
        sa.Column("source", sa.String(500), nullable=False),
        sa.Column("event_id", sa.String(200), nullable=False),
        sa.Column("event_type", sa.String(200), nullable=False),
        sa.Column("handled_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.text("now()")),
        sa.PrimaryKeyConstraint("source", "event_id", name="inbox_pkey"),
    )

    op.create_table(
        "outbox",
        # A bigserial: the sequence outbox_seq_seq, owned by the column.
        sa.Column("seq", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("event_id", sa.String(200), nullable=False),
        sa.Column("event_type", sa.String(200), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.text("now()")),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("seq", name="outbox_pkey"),
        sa.UniqueConstraint("event_id", name="outbox_event_id_key"),
    )
    op.create_index("ix_outbox_published_at", "outbox", ["published_at"])


def downgrade() -> None:
    # Dropping a table drops its indexes, constraints and owned sequences with it.
    op.drop_table("outbox")
    op.drop_table("inbox")
    op.drop_table("measures")
    op.drop_table("group_changes")
    op.drop_table("sessions")
    op.drop_table("courses")
