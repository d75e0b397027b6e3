"""routing: services found by an indexed box around the youth (places' points, and from a place to its
services)

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-27 16:15:00
"""

from __future__ import annotations

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_locations_point", "locations", ["point_latitude", "point_longitude"])
    op.create_index("ix_service_locations_location", "service_locations", ["partner_id", "location_id"])


def downgrade() -> None:
    op.drop_index("ix_service_locations_location", table_name="service_locations")
    op.drop_index("ix_locations_point", table_name="locations")
