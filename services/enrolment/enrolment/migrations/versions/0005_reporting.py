"""The municipality's numbers: counts per day, distinct-people sketches, a course's sessions; and the
referral's municipality of residence.

Existing referrals get '' as municipality (unknown): their later course events count under
"(onbekend)". Nothing is counted back from before this revision.

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
    op.add_column(
        "referrals",
        sa.Column("municipality_of_residence", sa.String(100), nullable=False, server_default=""),
    )
    op.create_table(
        "report_counts",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("measure", sa.String(50), nullable=False),
        sa.Column("reason", sa.String(50), nullable=False),
        sa.Column("municipality", sa.String(100), nullable=False),
        sa.Column("partner_id", sa.String(100), nullable=False),
        sa.Column("course_type", sa.String(50), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "day",
            "measure",
            "reason",
            "municipality",
            "partner_id",
            "course_type",
            "level",
            name="report_counts_pkey",
        ),
    )
    op.create_table(
        "report_people",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("municipality", sa.String(100), nullable=False),
        sa.Column("partner_id", sa.String(100), nullable=False),
        sa.Column("course_type", sa.String(50), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("sketch", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint(
            "day", "municipality", "partner_id", "course_type", "level", name="report_people_pkey"
        ),
    )
    op.create_table(
        "report_sessions",
        sa.Column("group_id", sa.String(36), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("cancelled", sa.Boolean(), nullable=False, server_default="false"),
        sa.PrimaryKeyConstraint("group_id", "number", name="report_sessions_pkey"),
    )


def downgrade() -> None:
    op.drop_table("report_sessions")
    op.drop_table("report_people")
    op.drop_table("report_counts")
    op.drop_column("referrals", "municipality_of_residence")
