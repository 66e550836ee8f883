"""Referral events: what the console saw happen to each referral, for the coordinator's history page.

Revision ID: 0002
Revises: 0001

Written out in full, never derived from the table definitions. The table starts empty: a referral
handled before this revision shows only the lines of the events that come after it.
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "referral_events",
        sa.Column("event_id", sa.String(200), nullable=False),
        sa.Column("partner_id", sa.String(100), nullable=False),
        sa.Column("partner_referral_key", sa.String(100), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(50), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint(
            "event_id", "partner_id", "partner_referral_key", name="referral_events_pkey"
        ),
    )
    op.create_index(
        "referral_events_by_referral", "referral_events", ["partner_id", "partner_referral_key", "at"]
    )


def downgrade() -> None:
    op.drop_index("referral_events_by_referral", table_name="referral_events")
    op.drop_table("referral_events")
