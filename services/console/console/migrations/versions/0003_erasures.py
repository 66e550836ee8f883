"""Erasure on request: the shared `erasures` work table (taalhuis_shared.erasure).

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
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


def downgrade() -> None:
    op.drop_table("erasures")
