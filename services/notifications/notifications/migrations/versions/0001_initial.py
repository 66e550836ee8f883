"""Initial schema: the mail outbox, notices, each group's staff, and the inbox and event outbox.

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
        "mails",
        # A bigserial: the sequence mails_id_seq, owned by the column.
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("batch_key", sa.String(700), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("recipient_role", sa.String(20), nullable=False),
        sa.Column("recipient", sa.String(320), nullable=False),
        sa.Column("subject", sa.String(300), nullable=False),
        sa.Column("message_id", sa.String(300), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.text("now()")),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column(
            "next_attempt_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.text("now()")
        ),
        sa.PrimaryKeyConstraint("id", name="mails_pkey"),
        sa.UniqueConstraint("message_id", name="mails_message_id_key"),
    )
    op.create_index(
        "unsent_mails",
        "mails",
        ["next_attempt_at"],
        postgresql_where=sa.text("sent_at IS NULL AND failed_at IS NULL"),
    )

    op.create_table(
        "notices",
        # A bigserial: the sequence notices_id_seq, owned by the column.
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("origin", sa.String(300), nullable=False),
        sa.Column("notice_key", sa.String(700), nullable=False),
        sa.Column("batch_key", sa.String(700), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("recipient_role", sa.String(20), nullable=False),
        sa.Column("language", sa.String(5), nullable=False),
        sa.Column("recipient", sa.String(320), nullable=False),
        sa.Column("recipient_name", sa.String(300), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.text("now()")),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("mail_id", sa.BigInteger(), nullable=True),
        sa.Column("compose_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="notices_pkey"),
        sa.UniqueConstraint("notice_key", name="notices_notice_key_key"),
        sa.ForeignKeyConstraint(["mail_id"], ["mails.id"], name="notices_mail_id_fkey"),
    )
    op.create_index(
        "pending_notices",
        "notices",
        ["batch_key", "due_at"],
        postgresql_where=sa.text("mail_id IS NULL"),
    )

    op.create_table(
        "group_staff",
        sa.Column("group_id", sa.String(200), nullable=False),
        sa.Column("staff", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("group_id", name="group_staff_pkey"),
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
    op.drop_table("group_staff")
    op.drop_table("notices")
    op.drop_table("mails")
