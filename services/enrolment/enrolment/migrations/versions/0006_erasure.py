"""Erasure on request: the shared `erasures` work table and the coordinator's `erasure_requests`.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "erasures",
        sa.Column("request_id", sa.String(100), nullable=False),
        sa.Column("person", sa.JSON(), nullable=True),
        sa.Column("waiting_for", sa.JSON(), nullable=False),
        sa.Column("answered_by", sa.JSON(), nullable=False),
        sa.Column("ordered_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("counts", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("request_id", name="erasures_pkey"),
    )
    op.create_table(
        "erasure_requests",
        sa.Column("request_id", sa.String(100), nullable=False),
        sa.Column("partner_id", sa.String(100), nullable=False),
        sa.Column("asked_by", sa.String(100), nullable=False),
        sa.Column("requested_by", sa.String(100), nullable=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("outcome", sa.String(40), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("request_id", name="erasure_requests_pkey"),
    )


def downgrade() -> None:
    op.drop_table("erasure_requests")
    op.drop_table("erasures")
