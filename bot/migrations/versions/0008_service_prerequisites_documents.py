"""services: data·inclusion's pre_requis and justificatifs

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27 10:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("services", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pre_requis", JSON, nullable=False, server_default="[]"))
        batch_op.add_column(sa.Column("justificatifs", JSON, nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("services", schema=None) as batch_op:
        batch_op.drop_column("justificatifs")
        batch_op.drop_column("pre_requis")
