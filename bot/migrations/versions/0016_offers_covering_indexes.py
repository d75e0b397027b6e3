"""offers: the spatial indexes also hold every column the rings of the offers' query read, so that the
database answers from the index alone (no read of the table for each offer of the youth's cells)

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-27 22:45:00
"""

from __future__ import annotations

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

RING_COLUMNS = [
    "latitude", "longitude", "expired_at", "expires_at", "experience", "diploma_level", "station_km",
    "created_at", "source", "id",
]  # fmt: skip
COVERING = {
    "ix_offers_kind_cell": ["kind", "alternance", "cell", *RING_COLUMNS],
    "ix_offers_rome_cell": ["rome_code", "cell", "kind", "alternance", *RING_COLUMNS],
    "ix_offers_kind_zone": ["kind", "alternance", "zone", *RING_COLUMNS],
    "ix_offers_rome_zone": ["rome_code", "zone", "kind", "alternance", *RING_COLUMNS],
}
BEFORE = {
    "ix_offers_kind_cell": ["kind", "alternance", "cell"],
    "ix_offers_rome_cell": ["rome_code", "cell"],
    "ix_offers_kind_zone": ["kind", "alternance", "zone"],
    "ix_offers_rome_zone": ["rome_code", "zone"],
}


def _replace(indexes: dict[str, list[str]]) -> None:
    for name, columns in indexes.items():
        op.drop_index(name, table_name="offers")
        op.create_index(name, "offers", columns)


def upgrade() -> None:
    _replace(COVERING)


def downgrade() -> None:
    _replace(BEFORE)
