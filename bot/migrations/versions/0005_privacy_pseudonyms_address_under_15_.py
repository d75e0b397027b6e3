"""privacy: pseudonyms, address, under 15, daily counts

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 02:05:03.453493
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text  # noqa: F401  (autogenerate writes Text() for JSONB)

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "daily_counts",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("intent", sa.String(length=40), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "channel", "intent", name=op.f("pk_daily_counts")),
    )
    with op.batch_alter_table("youths", schema=None) as batch_op:
        batch_op.add_column(sa.Column("address", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("under_15", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("youths", schema=None) as batch_op:
        batch_op.drop_column("under_15")
        batch_op.drop_column("address")

    op.drop_table("daily_counts")
