"""Notices held for a measure until its MeasuresApplied, and the measures released.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("notices", sa.Column("held_for", sa.String(300), nullable=True))
    op.create_table(
        "measure_releases",
        sa.Column("hold", sa.String(300), primary_key=True),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("measure_releases")
    op.drop_column("notices", "held_for")
