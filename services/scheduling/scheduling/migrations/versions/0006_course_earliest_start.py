"""A course keeps the first day it could start: a resumed course starts no earlier.

The day it was planned from (the group's earliest start, and never within the lead days after
filling). Courses planned before this revision have none: for them the resume goes by the
planned first date, which is never earlier.

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
    op.add_column("courses", sa.Column("earliest_start", sa.Date(), nullable=True))


def downgrade() -> None:
    op.drop_column("courses", "earliest_start")
