"""Partner referral ids and employee references are compared without regard to case.

The unique constraint on (partner_id, partner_referral_id), the partial unique index "one active
enrolment per person and course" and the history index are replaced by the same on
`lower(...)`, so `PRM-1` after `prm-1` is a duplicate and `E-7` after `e-7` the same person. The
columns keep the partner's spelling.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

ACTIVE = sa.text("status IN ('waiting', 'placed')")


def upgrade() -> None:
    # `if_exists` / `if_not_exists`: a database made by an earlier 0001, which created the tables
    # from the current definitions, has the new indexes already and not the old ones.
    op.drop_constraint("one_referral_per_partner_id", "referrals", type_="unique", if_exists=True)
    op.create_index(
        "one_referral_per_partner_id_in_any_case",
        "referrals",
        ["partner_id", sa.text("lower(partner_referral_id)")],
        unique=True,
        if_not_exists=True,
    )
    op.drop_index("one_active_enrolment_per_course", table_name="referrals", if_exists=True)
    op.create_index(
        "one_active_enrolment_per_course_in_any_case",
        "referrals",
        ["partner_id", sa.text("lower(employee_reference)"), "course_type", "level"],
        unique=True,
        postgresql_where=ACTIVE,
        if_not_exists=True,
    )
    op.drop_index("history_of_referral", table_name="referral_history", if_exists=True)
    op.create_index(
        "history_of_referral_in_any_case",
        "referral_history",
        ["partner_id", sa.text("lower(partner_referral_id)")],
        if_not_exists=True,
    )


def downgrade() -> None:
    op.drop_index("history_of_referral_in_any_case", table_name="referral_history")
    op.create_index("history_of_referral", "referral_history", ["partner_id", "partner_referral_id"])
    op.drop_index("one_active_enrolment_per_course_in_any_case", table_name="referrals")
    op.create_index(
        "one_active_enrolment_per_course",
        "referrals",
        ["partner_id", "employee_reference", "course_type", "level"],
        unique=True,
        postgresql_where=ACTIVE,
    )
    op.drop_index("one_referral_per_partner_id_in_any_case", table_name="referrals")
    op.create_unique_constraint(
        "one_referral_per_partner_id", "referrals", ["partner_id", "partner_referral_id"]
    )
