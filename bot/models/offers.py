"""Job, apprenticeship (alternance) and training offers, following France Travail's "Offres d'emploi v2"
fields, from every source (France Travail, La bonne alternance, the missions locales' and partners' files
and API), and the leases that let one process at a time run each scheduled job.

Public facts about employers only: nothing here is about a youth."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Float, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base, UTCDateTime, utcnow

# what the rings of the offers' query read of an offer besides its kind, trade and cell: its point, whether
# it is still shown, what orders it, and its key
RING_COLUMNS = (
    "latitude", "longitude", "expired_at", "expires_at", "experience", "diploma_level", "station_km",
    "created_at", "source", "id",
)  # fmt: skip


class Offer(Base):
    """One offer, identified by its source and the source's own id (an upsert key: importing the same
    offer twice changes it, never duplicates it). `latitude`/`longitude` are always set: the workplace's
    point, or its commune's point when the source gave none (`approximate`)."""

    __tablename__ = "offers"
    __table_args__ = (
        # the spatial prefilter of bot/offers/matching.py: grid cells around the youth (bot/offers/grid.py),
        # followed by every column its rings read, so that the database reads the index alone (migration 0016)
        Index("ix_offers_kind_cell", "kind", "alternance", "cell", *RING_COLUMNS),
        Index("ix_offers_rome_cell", "rome_code", "cell", "kind", "alternance", *RING_COLUMNS),
        Index("ix_offers_kind_zone", "kind", "alternance", "zone", *RING_COLUMNS),
        Index("ix_offers_rome_zone", "rome_code", "zone", "kind", "alternance", *RING_COLUMNS),
        Index("ix_offers_source_seen", "source", "last_seen_at"),
    )

    source: Mapped[str] = mapped_column(String(30), primary_key=True)  # see bot/offers/store.py SOURCES
    id: Mapped[str] = mapped_column(String(120), primary_key=True)  # the source's id
    kind: Mapped[str] = mapped_column(String(10))  # "job" (alternance included) or "training"
    title: Mapped[str] = mapped_column(String(300))  # intitule
    description: Mapped[str | None] = mapped_column(Text)
    employer: Mapped[str | None] = mapped_column(String(300))  # entreprise.nom
    rome_code: Mapped[str | None] = mapped_column(String(5))  # romeCode
    rome_label: Mapped[str | None] = mapped_column(String(200))  # romeLibelle
    contract_type: Mapped[str | None] = mapped_column(String(20))  # typeContrat: CDI, CDD, MIS, SAI, ...
    contract_label: Mapped[str | None] = mapped_column(String(100))  # typeContratLibelle
    alternance: Mapped[bool] = mapped_column(Boolean, default=False)
    experience: Mapped[str] = mapped_column(String(1), default="S")  # experienceExige: D beginner, S, E
    diploma_level: Mapped[int | None] = mapped_column(Integer)  # European level asked (3 CAP, 4 bac...)
    commune: Mapped[str | None] = mapped_column(String(100))  # lieuTravail.libelle
    code_insee: Mapped[str | None] = mapped_column(String(5))  # lieuTravail.commune
    code_postal: Mapped[str | None] = mapped_column(String(5))
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    approximate: Mapped[bool] = mapped_column(Boolean, default=False)  # the commune's point
    cell: Mapped[int] = mapped_column(Integer)  # the ~2 km grid cell of the point (bot/offers/grid.py)
    zone: Mapped[int] = mapped_column(Integer)  # the ~11 km grid cell of the point
    station_km: Mapped[float | None] = mapped_column(Float)  # to the nearest station (data/offers/)
    salary: Mapped[str | None] = mapped_column(String(200))  # salaire.libelle
    working_time: Mapped[str | None] = mapped_column(String(200))  # dureeTravailLibelleConverti
    apply_url: Mapped[str | None] = mapped_column(String(500))  # contact.urlPostulation / urlOrigine
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)  # dateCreation
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)  # dateActualisation
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # given by the source, if any
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)  # in its source's refresh
    expired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # gone from its source: not shown
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)


class JobLease(Base):
    """Who runs a scheduled job now, until when, and when it last finished: with several processes,
    each run of a job is taken by one of them (a conditional update only one wins), and a process that
    dies leaves the lease to expire. `last_run_at` also makes the schedule survive restarts."""

    __tablename__ = "job_leases"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(80))
    until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(300))
