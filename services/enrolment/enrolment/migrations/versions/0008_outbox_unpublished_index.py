"""The outbox relay's round uses an index of the rows not yet published, in order.

Without it each round sorted the whole backlog of unpublished rows, so a relay that fell behind
under load fell further behind (seen in `bench/sustained.py`).

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_outbox_unpublished", "outbox", ["seq"], postgresql_where=sa.text("published_at IS NULL")
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_unpublished", table_name="outbox")
