"""The retention job's record: one row per shredder run, with counts only (no personal data).

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "retention_runs",
        # A bigserial: the sequence retention_runs_id_seq, owned by the column.
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        sa.Column("shredder", sa.String(100), nullable=False),
        sa.Column("ran_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rows_affected", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="retention_runs_pkey"),
    )


def downgrade() -> None:
    op.drop_table("retention_runs")
