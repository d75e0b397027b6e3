"""Routing rules that the real catalogue does not exercise (no remote service yet), and the texts."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest
import yaml
from geopy.distance import geodesic

from bot.catalogue.hours import OpeningStatus
from bot.catalogue.nearby import FLAT_ERROR, flat_km
from bot.catalogue.snapshot import Place, ServiceView
from bot.routing import Match, interleave, order_key
from bot.territory import Point
from tests.conftest import DATA

BASE = ServiceView(
    id="s", nom="Service", partner_id="p", partner_kind="mission-locale", partner_nom="Partenaire",
    thematiques=frozenset({"sante--acces-aux-soins"}), publics=frozenset({"jeunes"}), frais="gratuit",
    age_min=16, age_max=25, zone=("94",), in_person=True, remote=False,
    places=(Place("l", None, None, None, "Champigny-sur-Marne", 48.8, 2.5, True),), hours=None, partner_hours=None,
    telephone=None,
    site_web=None, lien_mobilisation=None, places_available=3, is_demo=False, demo_fields=frozenset(),
)  # fmt: skip


def match(name: str, *, room: int | None = 3, km: float | None = 1.0, remote: bool = False) -> Match:
    service = replace(BASE, id=name, places_available=room, remote=remote, in_person=not remote)
    return Match(service, None if remote else service.places[0], None if remote else km, OpeningStatus(None))


def test_room_comes_before_distance() -> None:
    full_near, room_far, unknown_mid = (
        match("full", room=0, km=0.5),
        match("room", km=9),
        match("unknown", room=None, km=2),
    )
    assert [m.service.id for m in sorted([full_near, unknown_mid, room_far], key=order_key)] == [
        "room",
        "unknown",
        "full",
    ]


def test_remote_services_come_one_for_two() -> None:
    local = [match(f"local{i}", km=i) for i in range(4)]
    remote = [match(f"remote{i}", remote=True) for i in range(3)]
    order = [m.service.id for m in interleave(local, remote, every=3)]
    assert order == ["local0", "local1", "remote0", "local2", "local3", "remote1", "remote2"]


@pytest.mark.parametrize("name", ["fr.yml", "staff_actions.fr.yml"])
def test_every_text_fits_a_bubble(name: str) -> None:
    texts = yaml.safe_load((DATA / "dialogue" / name).read_text(encoding="utf-8"))

    def strings(value: object) -> list[str]:
        if isinstance(value, str):
            return [value]
        if isinstance(value, dict):
            return [s for v in value.values() for s in strings(v)]
        if isinstance(value, list):
            return [s for v in value for s in strings(v)]
        return []

    for text in strings({k: v for k, v in texts.items() if not k.endswith("_words")}):
        assert len(text) <= 250, text


def test_the_flat_distance_the_database_orders_by_is_within_its_error_of_the_geodesic_one() -> None:
    """Routing trusts the database's order up to FLAT_ERROR (bot/catalogue/nearby.py): measured from
    points of Île-de-France and beyond, at every bearing, up to 100 km."""
    rng = random.Random(14)
    worst = 0.0
    for _ in range(3000):
        youth = Point(rng.uniform(47.5, 50.0), rng.uniform(1.0, 4.0))
        km, bearing = rng.uniform(0.01, 100.0) ** rng.choice((1, 0.5)), rng.uniform(0, 360)
        place = geodesic(kilometers=km).destination((youth.latitude, youth.longitude), bearing)
        flat = flat_km(youth, Point(place.latitude, place.longitude))
        worst = max(worst, abs(flat - km) / flat)
    assert worst < FLAT_ERROR / 2
