"""The bookings' version: raised by every statement that changes `sessions`.

A scheduling process keeps the planned sessions indexed between groups; it reads this version
under the planning lock and reads the bookings again only when another writer changed them.

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
    op.create_table(
        "booking_version",
        sa.Column("id", sa.SmallInteger(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("id = 1", name="booking_version_one_row"),
        sa.PrimaryKeyConstraint("id", name="booking_version_pkey"),
    )
    op.execute("INSERT INTO booking_version (id, version) VALUES (1, 0)")
    op.execute(
        "CREATE FUNCTION raise_booking_version() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN UPDATE booking_version SET version = version + 1 WHERE id = 1; RETURN NULL; END $$"
    )
    op.execute(
        "CREATE TRIGGER sessions_raise_booking_version "
        "AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON sessions "
        "FOR EACH STATEMENT EXECUTE FUNCTION raise_booking_version()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER sessions_raise_booking_version ON sessions")
    op.execute("DROP FUNCTION raise_booking_version()")
    op.drop_table("booking_version")
