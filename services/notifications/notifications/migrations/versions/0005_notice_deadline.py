"""A notice's deadline: the batch window is a quiet period, bounded by BATCH_MAX_WAIT.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("notices", sa.Column("deadline", sa.DateTime(timezone=True), nullable=True))
    # Notices kept before: their window counted from the first notice, so that stays their bound.
    op.execute("UPDATE notices SET deadline = due_at")
    op.alter_column("notices", "deadline", nullable=False)


def downgrade() -> None:
    op.drop_column("notices", "deadline")
