"""What names a group in a mail and numbers its sessions: `group_staff.known` (domain.groups).

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("group_staff", sa.Column("known", sa.JSON(), nullable=True))


def downgrade() -> None:
    op.drop_column("group_staff", "known")
