"""Initial schema: courses, sessions, measures, inbox and outbox.

Revision ID: 0001
Revises:
"""

from alembic import op

from scheduling.adapters.tables import metadata
from taalhuis_shared.messaging.store import create_messaging_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The first revision creates the tables as the code defines them today; later revisions
    # are written as explicit alembic operations.
    metadata.create_all(op.get_bind())
    create_messaging_tables(op.get_bind())


def downgrade() -> None:
    metadata.drop_all(op.get_bind())
