"""Referrals get the keyed hash of the person (for the retake rule after retention) and an end time.

Rows from before this revision have no key: the `completed-referrals` shredder computes it (it
has the secret; SQL here does not) before it blanks the reference. `ended_at` stays empty on old
withdrawn rows; the shredders count from `accepted_at` for them.

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
    op.add_column("referrals", sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("referrals", sa.Column("person_key", sa.String(64), nullable=True))
    op.create_index("completions_of_person", "referrals", ["person_key", "course_type", "level"])


def downgrade() -> None:
    op.drop_index("completions_of_person", table_name="referrals")
    op.drop_column("referrals", "person_key")
    op.drop_column("referrals", "ended_at")
