"""catalogue and youths

Revision ID: 0001
Revises:
Create Date: 2026-11-26 00:36:38.704988
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import bot.models.base

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "partners",
        sa.Column("id", sa.String(length=80), nullable=False),
        sa.Column("nom", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("siret", sa.String(length=14), nullable=True),
        sa.Column("telephone", sa.String(length=40), nullable=True),
        sa.Column("courriel", sa.String(length=200), nullable=True),
        sa.Column("site_web", sa.String(length=300), nullable=True),
        sa.Column("horaires_accueil", sa.String(length=500), nullable=True),
        sa.Column(
            "reseaux_porteurs",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "sources",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("is_demo", sa.Boolean(), nullable=False),
        sa.Column(
            "demo_fields",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", bot.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", bot.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partners")),
    )
    op.create_table(
        "youths",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("user_ref", sa.String(length=128), nullable=False),
        sa.Column("created_at", bot.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", bot.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_youths")),
        sa.UniqueConstraint("channel", "user_ref", name=op.f("uq_youths_channel")),
    )
    op.create_table(
        "locations",
        sa.Column("partner_id", sa.String(length=80), nullable=False),
        sa.Column("id", sa.String(length=80), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("nom", sa.String(length=300), nullable=True),
        sa.Column("adresse", sa.String(length=300), nullable=True),
        sa.Column("code_postal", sa.String(length=5), nullable=True),
        sa.Column("commune", sa.String(length=100), nullable=False),
        sa.Column("code_insee", sa.String(length=5), nullable=False),
        sa.Column("quartier", sa.String(length=100), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("point_latitude", sa.Float(), nullable=False),
        sa.Column("point_longitude", sa.Float(), nullable=False),
        sa.Column("approximate", sa.Boolean(), nullable=False),
        sa.Column("is_demo", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["partners.id"], name=op.f("fk_locations_partner_id_partners"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("partner_id", "id", name=op.f("pk_locations")),
    )
    op.create_table(
        "services",
        sa.Column("id", sa.String(length=80), nullable=False),
        sa.Column("partner_id", sa.String(length=80), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("nom", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column(
            "thematiques",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("frais", sa.String(length=20), nullable=False),
        sa.Column("frais_precisions", sa.Text(), nullable=True),
        sa.Column(
            "publics",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("publics_precisions", sa.Text(), nullable=True),
        sa.Column("conditions_acces", sa.Text(), nullable=True),
        sa.Column("age_min", sa.Integer(), nullable=True),
        sa.Column("age_max", sa.Integer(), nullable=True),
        sa.Column(
            "modes_accueil",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "modes_mobilisation",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("lien_mobilisation", sa.String(length=500), nullable=True),
        sa.Column(
            "zone_eligibilite",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("horaires_accueil", sa.String(length=500), nullable=True),
        sa.Column("telephone", sa.String(length=40), nullable=True),
        sa.Column("courriel", sa.String(length=200), nullable=True),
        sa.Column("places_total", sa.Integer(), nullable=True),
        sa.Column("places_available", sa.Integer(), nullable=True),
        sa.Column("capacity_updated_at", bot.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "sources",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("is_demo", sa.Boolean(), nullable=False),
        sa.Column(
            "demo_fields",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", bot.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", bot.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["partners.id"], name=op.f("fk_services_partner_id_partners")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_services")),
    )
    with op.batch_alter_table("services", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_services_partner_id"), ["partner_id"], unique=False)

    op.create_table(
        "service_locations",
        sa.Column("service_id", sa.String(length=80), nullable=False),
        sa.Column("partner_id", sa.String(length=80), nullable=False),
        sa.Column("location_id", sa.String(length=80), nullable=False),
        sa.ForeignKeyConstraint(
            ["partner_id", "location_id"],
            ["locations.partner_id", "locations.id"],
            name=op.f("fk_service_locations_partner_id_locations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["services.id"],
            name=op.f("fk_service_locations_service_id_services"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("service_id", "partner_id", "location_id", name=op.f("pk_service_locations")),
    )


def downgrade() -> None:
    op.drop_table("service_locations")
    with op.batch_alter_table("services", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_services_partner_id"))

    op.drop_table("services")
    op.drop_table("locations")
    op.drop_table("youths")
    op.drop_table("partners")
