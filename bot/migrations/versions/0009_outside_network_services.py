"""catalogue: services outside the 6Tcap network (data·inclusion imports), their producer and date;
mobilisable_par on every service

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27 12:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    # plain ADD COLUMN (SQLite too): a batch copy of `partners` would trip over the rows pointing at it
    op.add_column(
        "partners", sa.Column("outside_network", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    op.add_column("partners", sa.Column("source", sa.String(length=80), nullable=True))
    op.add_column("partners", sa.Column("date_maj", sa.Date(), nullable=True))
    op.add_column("services", sa.Column("mobilisable_par", JSON, nullable=False, server_default="[]"))
    op.add_column("services", sa.Column("source", sa.String(length=80), nullable=True))
    op.add_column("services", sa.Column("date_maj", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("services", schema=None) as batch_op:
        batch_op.drop_column("date_maj")
        batch_op.drop_column("source")
        batch_op.drop_column("mobilisable_par")
    with op.batch_alter_table("partners", schema=None) as batch_op:
        batch_op.drop_column("date_maj")
        batch_op.drop_column("source")
        batch_op.drop_column("outside_network")
