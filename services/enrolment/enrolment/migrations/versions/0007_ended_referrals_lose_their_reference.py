"""A referral's partner reference may be empty: retention removes it from ended referrals it keeps.

A completed referral (or one that left during its course) is kept after the completed period
only for the retake rule: keyed hash, course type, level and completion date. The partner's
referral id would tell the partner who it was, so the `completed-referrals` shredder sets it to
NULL (the unique index on partner and lower(id) allows several NULLs).

Downgrading gives such rows a made-up, non-identifying reference (`verwijderd-` and the row's
own random id) so the column can be NOT NULL again.

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
    op.alter_column("referrals", "partner_referral_id", existing_type=sa.String(100), nullable=True)


def downgrade() -> None:
    op.execute(
        "UPDATE referrals SET partner_referral_id = 'verwijderd-' || id WHERE partner_referral_id IS NULL"
    )
    op.alter_column("referrals", "partner_referral_id", existing_type=sa.String(100), nullable=False)
