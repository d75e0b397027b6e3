"""routing: the services of known capacity (places left, full) found by an index, before their places

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-27 19:40:00
"""

from __future__ import annotations

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_services_places_available", "services", ["places_available"])


def downgrade() -> None:
    op.drop_index("ix_services_places_available", table_name="services")
