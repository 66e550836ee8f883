"""Initial schema: intakes, groups, referrals, referral history, inbox and outbox.

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
        "intakes",
        sa.Column("id", sa.String(100), nullable=False),
        sa.Column("course_type", sa.String(50), nullable=False),
        sa.Column("groups_total", sa.Integer(), nullable=False),
        sa.Column("groups_used", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("from_date", sa.Date(), nullable=False),
        sa.Column("locations", sa.JSON(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.text("now()")),
        sa.PrimaryKeyConstraint("id", name="intakes_pkey"),
        sa.CheckConstraint("groups_used BETWEEN 0 AND groups_total", name="intake_not_overused"),
    )
    op.create_index("ix_intakes_course_type", "intakes", ["course_type"])

    op.create_table(
        "groups",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("course_type", sa.String(50), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("language_group", sa.String(3), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False, server_default="formed"),
        sa.Column("intake_id", sa.String(100), nullable=False),
        sa.Column("closed_early", sa.Boolean(), nullable=False, server_default=sa.text("false")),
        sa.Column("formed_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.text("now()")),
        sa.Column("first_session", sa.Date(), nullable=True),
        sa.Column("last_session", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="groups_pkey"),
        # The target of the referrals' composite foreign key, which copies the capacity.
        sa.UniqueConstraint("id", "capacity", name="group_capacity_key"),
    )

    op.create_table(
        "referrals",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("event_id", sa.String(200), nullable=False),
        sa.Column("partner_id", sa.String(100), nullable=False),
        sa.Column("partner_referral_id", sa.String(100), nullable=False),
        sa.Column("employee_reference", sa.String(100), nullable=False),
        sa.Column("display_name", sa.String(120), nullable=False),
        sa.Column("course_type", sa.String(50), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("language_group", sa.String(3), nullable=False),
        sa.Column("preferred_locations", sa.JSON(), nullable=False),
        sa.Column("contact_name", sa.String(200), nullable=False),
        sa.Column("contact_email", sa.String(320), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("arrival", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("group_id", sa.String(36), nullable=True),
        sa.Column("group_capacity", sa.Integer(), nullable=True),
        sa.Column("seat", sa.Integer(), nullable=True),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.text("now()")),
        sa.Column("completed_on", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="referrals_pkey"),
        sa.UniqueConstraint("arrival", name="referrals_arrival_key"),
        sa.UniqueConstraint("partner_id", "partner_referral_id", name="one_referral_per_partner_id"),
        sa.UniqueConstraint("group_id", "seat", name="one_participant_per_seat"),
        sa.ForeignKeyConstraint(
            ["group_id", "group_capacity"],
            ["groups.id", "groups.capacity"],
            name="referrals_group_id_group_capacity_fkey",
        ),
        sa.CheckConstraint("seat BETWEEN 1 AND group_capacity", name="seat_within_capacity"),
        sa.CheckConstraint("(group_id IS NULL) = (seat IS NULL)", name="seat_with_group"),
        sa.CheckConstraint("status <> 'waiting' OR group_id IS NULL", name="waiting_without_group"),
        sa.CheckConstraint("status <> 'placed' OR group_id IS NOT NULL", name="placed_in_a_group"),
    )
    op.create_index(
        "one_active_enrolment_per_course",
        "referrals",
        ["partner_id", "employee_reference", "course_type", "level"],
        unique=True,
        postgresql_where=sa.text("status IN ('waiting', 'placed')"),
    )
    op.create_index(
        "waiting_lists",
        "referrals",
        ["course_type", "level", "language_group", "arrival"],
        postgresql_where=sa.text("status = 'waiting'"),
    )

    op.create_table(
        "referral_history",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("partner_id", sa.String(100), nullable=False),
        sa.Column("partner_referral_id", sa.String(100), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, server_default=sa.text("now()")),
        sa.Column("what", sa.String(40), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False, server_default=""),
        sa.PrimaryKeyConstraint("id", name="referral_history_pkey"),
    )
    op.create_index("history_of_referral", "referral_history", ["partner_id", "partner_referral_id"])

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
    op.drop_table("referral_history")
    op.drop_table("referrals")
    op.drop_table("groups")
    op.drop_table("intakes")
