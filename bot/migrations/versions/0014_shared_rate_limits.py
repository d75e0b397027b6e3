"""rate limits shared by the server processes (PostgreSQL)

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-27 16:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rate_windows",
        sa.Column("scope", sa.String(length=40), nullable=False),
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("slot", sa.BigInteger(), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.Column("expires", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("scope", "key", "slot"),
    )
    op.create_index("ix_rate_windows_expires", "rate_windows", ["expires"])


def downgrade() -> None:
    op.drop_index("ix_rate_windows_expires", table_name="rate_windows")
    op.drop_table("rate_windows")
