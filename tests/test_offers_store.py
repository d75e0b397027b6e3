"""Offers in the database: one row per (source, id) however often it is imported, and offers gone from
their source, or past their end date, are no longer shown. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select

from bot.config import PROJECT_ROOT
from bot.db import transaction
from bot.models import Offer
from bot.offers.stations import load_stations
from bot.offers.store import (
    OfferIn,
    OffersInvalid,
    expire_past,
    expire_unseen,
    parse_offers,
    save_offers,
    showable,
)
from bot.territory import Territory

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
STATIONS = load_stations(PROJECT_ROOT / "data" / "offers" / "stations.yml")


def offer(offer_id: str, **fields: object) -> OfferIn:
    base: dict[str, object] = {"id": offer_id, "title": "Vendeur H/F", "code_insee": "94017"}
    return OfferIn.model_validate(base | fields)


def shown_ids(engine: Engine, now: datetime) -> set[str]:
    with transaction(engine) as session:
        return set(session.scalars(select(Offer.id).where(showable(now))))


def test_importing_twice_updates_and_never_duplicates(engine: Engine, territory: Territory) -> None:
    with transaction(engine) as session:
        first = save_offers(session, "partner", [offer("a"), offer("b")], NOW, territory, STATIONS)
    with transaction(engine) as session:
        again = save_offers(
            session, "partner", [offer("a", title="Vendeuse en boulangerie")], NOW, territory, STATIONS
        )
        same_id_other_source = save_offers(session, "mission_locale", [offer("a")], NOW, territory, STATIONS)
    assert (first.created, first.updated) == (2, 0)
    assert (again.created, again.updated) == (0, 1)
    assert same_id_other_source.created == 1
    with transaction(engine) as session:
        assert session.scalar(select(func.count()).select_from(Offer)) == 3
        assert session.get(Offer, ("partner", "a")).title == "Vendeuse en boulangerie"  # type: ignore[union-attr]


def test_a_commune_without_coordinates_gives_its_point_flagged_approximate(
    engine: Engine, territory: Territory
) -> None:
    with transaction(engine) as session:
        save_offers(
            session,
            "partner",
            [offer("a"), offer("b", latitude=48.83, longitude=2.52)],
            NOW,
            territory,
            STATIONS,
        )
    with transaction(engine) as session:
        a, b = session.get(Offer, ("partner", "a")), session.get(Offer, ("partner", "b"))
        assert a is not None and b is not None
        champigny = territory.commune("94017")
        assert champigny is not None
        assert (a.latitude, a.longitude, a.approximate, a.commune) == (
            champigny.latitude,
            champigny.longitude,
            True,
            "Champigny-sur-Marne",
        )
        assert (b.latitude, b.approximate) == (48.83, False)
        assert a.station_km is not None


def test_offers_unseen_in_the_last_refresh_expire_and_come_back_when_seen(
    engine: Engine, territory: Territory
) -> None:
    with transaction(engine) as session:
        save_offers(session, "france_travail", [offer("1"), offer("2")], NOW, territory, STATIONS)
        save_offers(session, "partner", [offer("p")], NOW, territory, STATIONS)
    later = NOW + timedelta(hours=6)
    with transaction(engine) as session:
        save_offers(session, "france_travail", [offer("2")], later, territory, STATIONS)
        assert expire_unseen(session, "france_travail", later) == 1
    assert shown_ids(engine, later) == {"2", "p"}
    with transaction(engine) as session:
        save_offers(session, "france_travail", [offer("1")], later + timedelta(hours=6), territory, STATIONS)
    assert "1" in shown_ids(engine, later + timedelta(hours=6))


def test_offers_past_their_end_date_are_not_shown(engine: Engine, territory: Territory) -> None:
    with transaction(engine) as session:
        save_offers(
            session,
            "partner",
            [offer("old", expires_at=NOW + timedelta(days=1)), offer("new")],
            NOW,
            territory,
            STATIONS,
        )
    assert shown_ids(engine, NOW + timedelta(days=2)) == {"new"}
    with transaction(engine) as session:
        assert expire_past(session, NOW + timedelta(days=2)) == 1


def test_a_batch_with_problems_lists_each_one() -> None:
    rows = [
        ("ligne 2", {"id": "x", "title": "Vendeur", "code_insee": "94017"}),
        ("ligne 3", {"id": "x", "title": "Serveur", "code_insee": "94017"}),
        ("ligne 4", {"id": "y", "title": "Plombier", "latitude": 48.8}),
        (
            "ligne 5",
            {"id": "z", "title": "Cariste", "code_insee": "94017", "experience": "débutant", "salaire": 3},
        ),
    ]
    with pytest.raises(OffersInvalid) as raised:
        parse_offers(rows)
    lines = [str(p) for p in raised.value.problems]
    assert "ligne 3: id: 'x' already given at ligne 2" in lines
    assert any(
        line.startswith("ligne 4: ") and "latitude and longitude go together" in line for line in lines
    )
    assert any(line.startswith("ligne 5: experience: ") for line in lines)
    assert "ligne 5: salaire: unknown field" in lines
