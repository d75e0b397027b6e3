"""Partners (data·inclusion *structures*), their locations and their services, with capacity.

Aligned with data·inclusion v1; what the standard lacks comes from HSDS: ages, several locations per
service (service_at_location), capacity (service_capacity)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Table,
    Text,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.models.base import Base, JsonValue, UTCDateTime, utcnow


class Partner(Base):
    __tablename__ = "partners"

    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    nom: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(40))
    description: Mapped[str | None] = mapped_column(Text)
    siret: Mapped[str | None] = mapped_column(String(14))
    telephone: Mapped[str | None] = mapped_column(String(40))
    courriel: Mapped[str | None] = mapped_column(String(200))
    site_web: Mapped[str | None] = mapped_column(String(300))
    horaires_accueil: Mapped[str | None] = mapped_column(String(500))
    reseaux_porteurs: Mapped[list[str]] = mapped_column(JsonValue, default=list)
    sources: Mapped[list[str]] = mapped_column(JsonValue, default=list)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    demo_fields: Mapped[list[str]] = mapped_column(JsonValue, default=list)
    notes: Mapped[str | None] = mapped_column(Text)
    # Where a new question for this partner is announced (and reminders): a URL receiving JSON, an e-mail.
    notify_webhook_url: Mapped[str | None] = mapped_column(String(500))
    notify_email: Mapped[str | None] = mapped_column(String(200))
    # Outside the 6Tcap network (imported from data·inclusion): shown only where the network has nothing,
    # never a handoff target, never exported as ours. `source` is the original producer (dora, soliguide...)
    # and `date_maj` the date of its data.
    outside_network: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    source: Mapped[str | None] = mapped_column(String(80))
    date_maj: Mapped[date | None] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    locations: Mapped[list[Location]] = relationship(
        back_populates="partner", cascade="all, delete-orphan", order_by="Location.position"
    )
    services: Mapped[list[Service]] = relationship(back_populates="partner", order_by="Service.position")


class Location(Base):
    """A place where a partner receives youths. Without coordinates it sits at its commune (or
    neighbourhood) point and is flagged `approximate`."""

    __tablename__ = "locations"
    __table_args__ = (Index("ix_locations_point", "point_latitude", "point_longitude"),)  # routing's box

    partner_id: Mapped[str] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"), primary_key=True)
    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    nom: Mapped[str | None] = mapped_column(String(300))
    adresse: Mapped[str | None] = mapped_column(String(300))
    code_postal: Mapped[str | None] = mapped_column(String(5))
    commune: Mapped[str] = mapped_column(String(100))
    code_insee: Mapped[str] = mapped_column(String(5))
    quartier: Mapped[str | None] = mapped_column(String(100))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    # Where the youth is sent on a map: the given point, else the neighbourhood or commune point.
    point_latitude: Mapped[float] = mapped_column(Float)
    point_longitude: Mapped[float] = mapped_column(Float)
    approximate: Mapped[bool] = mapped_column(Boolean, default=False)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)

    partner: Mapped[Partner] = relationship(back_populates="locations")


service_locations = Table(
    "service_locations",
    Base.metadata,
    Column("service_id", ForeignKey("services.id", ondelete="CASCADE"), primary_key=True),
    Column("partner_id", String(80), primary_key=True),
    Column("location_id", String(80), primary_key=True),
    ForeignKeyConstraint(
        ["partner_id", "location_id"], ["locations.partner_id", "locations.id"], ondelete="CASCADE"
    ),
    Index("ix_service_locations_location", "partner_id", "location_id"),  # from a place to its services
)


class Service(Base):
    __tablename__ = "services"
    # routing reads the services of known capacity (few) from this index, then their places
    __table_args__ = (Index("ix_services_places_available", "places_available"),)

    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    partner_id: Mapped[str] = mapped_column(ForeignKey("partners.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    nom: Mapped[str] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    type: Mapped[str] = mapped_column(String(40))
    thematiques: Mapped[list[str]] = mapped_column(JsonValue, default=list)
    frais: Mapped[str] = mapped_column(String(20))
    frais_precisions: Mapped[str | None] = mapped_column(Text)
    publics: Mapped[list[str]] = mapped_column(JsonValue, default=list)
    publics_precisions: Mapped[str | None] = mapped_column(Text)
    conditions_acces: Mapped[str | None] = mapped_column(Text)
    pre_requis: Mapped[list[str]] = mapped_column(JsonValue, default=list)
    justificatifs: Mapped[list[str]] = mapped_column(JsonValue, default=list)
    age_min: Mapped[int | None] = mapped_column(Integer)
    age_max: Mapped[int | None] = mapped_column(Integer)
    modes_accueil: Mapped[list[str]] = mapped_column(JsonValue, default=list)
    modes_mobilisation: Mapped[list[str]] = mapped_column(JsonValue, default=list)
    lien_mobilisation: Mapped[str | None] = mapped_column(String(500))
    mobilisable_par: Mapped[list[str]] = mapped_column(JsonValue, default=list)  # usagers, professionnels
    zone_eligibilite: Mapped[list[str]] = mapped_column(JsonValue, default=list)
    horaires_accueil: Mapped[str | None] = mapped_column(String(500))
    telephone: Mapped[str | None] = mapped_column(String(40))
    courriel: Mapped[str | None] = mapped_column(String(200))
    places_total: Mapped[int | None] = mapped_column(Integer)
    places_available: Mapped[int | None] = mapped_column(Integer)
    capacity_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sources: Mapped[list[str]] = mapped_column(JsonValue, default=list)
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)
    demo_fields: Mapped[list[str]] = mapped_column(JsonValue, default=list)
    source: Mapped[str | None] = mapped_column(String(80))  # outside the network: the original producer
    date_maj: Mapped[date | None] = mapped_column(Date)  # outside the network: the date of the data
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    partner: Mapped[Partner] = relationship(back_populates="services")
    locations: Mapped[list[Location]] = relationship(
        secondary=service_locations, order_by="Location.position"
    )

    def as_dict(self) -> dict[str, Any]:
        return {c.key: getattr(self, c.key) for c in self.__table__.columns}
