"""Routing over a big catalogue: 5,000 services packed within 15 km of each other (the size of
bench/match_bench.py), on SQLite and PostgreSQL. The database orders and limits; the youth sees what
measuring every service would show, and the work stays bounded by the page, not by the catalogue."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, event, insert

from bot.catalogue.nearby import Around, Near, nearest_services
from bot.catalogue.snapshot import ServiceView, load_services
from bot.config import load_settings
from bot.db import make_engine, session_factory, transaction
from bot.migrations import upgrade
from bot.models import Location, Partner, Service, service_locations
from bot.routing import SLACK, Need, Results, Rules, find_services, load_rules
from bot.territory import Point, Territory, load_territory
from tests.conftest import BACKENDS, DATA, empty_database

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)  # a Wednesday morning
JOB = "trouver-un-emploi--repondre-a-des-offres-demploi"
SERVICES = 5_000


def fill(engine: Engine, territory: Territory) -> None:
    """5,000 services around the territory's towns: 3 % with places left, 3 % full, the rest unknown;
    some for older youths only, some with two places, some sharing a place with the one before."""
    rng = random.Random(14)
    partners = SERVICES // 100
    places, rows, links = [], [], []
    for n in range(SERVICES):
        commune = rng.choice(territory.communes)
        partner = f"p{n % partners}"
        if n % 20 == 19 and n >= partners:  # the same place as a service of the same partner
            shared = n - partners
            links.append({"service_id": f"s{n}", "partner_id": partner, "location_id": f"l{shared}"})
        else:
            for extra in range(2 if n % 17 == 0 else 1):
                lat = commune.latitude + rng.uniform(-0.05, 0.05)
                lon = commune.longitude + rng.uniform(-0.07, 0.07)
                place = f"l{n}" + ("b" if extra else "")
                places.append(
                    {
                        "partner_id": partner,
                        "id": place,
                        "commune": commune.name,
                        "code_insee": commune.insee,
                        "point_latitude": lat,
                        "point_longitude": lon,
                    }
                )
                links.append({"service_id": f"s{n}", "partner_id": partner, "location_id": place})
        draw = rng.random()
        rows.append(
            {
                "id": f"s{n}",
                "partner_id": partner,
                "position": n,
                "nom": f"Service {n}",
                "type": "accompagnement",
                "thematiques": [JOB] if n % 10 else ["sante--acces-aux-soins", JOB],
                "frais": "gratuit",
                "publics": ["jeunes"],
                "zone_eligibilite": ["94"],
                "age_min": 22 if n % 9 == 0 else 16,
                "age_max": 25,
                "places_available": 2 if draw < 0.03 else 0 if draw < 0.06 else None,
            }
        )
    with transaction(engine) as session:
        session.execute(
            insert(Partner),
            [{"id": f"p{n}", "nom": f"Partenaire {n}", "kind": "association"} for n in range(partners)],
        )
        session.execute(insert(Location), places)
        session.execute(insert(Service), rows)
        session.execute(insert(service_locations), links)


@pytest.fixture(scope="module", params=BACKENDS)
def dense(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Engine, tuple[ServiceView, ...]]]:
    """The packed catalogue in a database, and as routing's cache holds it."""
    with empty_database(request, Path(tmp_path_factory.mktemp("dense"))) as url:
        engine = make_engine(url)
        upgrade(engine)
        fill(engine, load_territory(DATA / "territory.yml"))
        with session_factory(engine)() as session:
            services = load_services(session)
        yield engine, services
        engine.dispose()


@pytest.fixture(scope="module")
def rules() -> Rules:
    return load_rules(DATA / "routing.yml")


MEASURED: dict[Need, Results] = {}  # every service measured, once for both databases (the same catalogue)


def measured(services: tuple[ServiceView, ...], rules: Rules, need: Need) -> Results:
    """The results of measuring every service of the catalogue, in Python (routing without the database)."""
    if need not in MEASURED:
        MEASURED[need] = find_services(services, need, rules, NOW, load_settings().zone)
    return MEASURED[need]


def routed(
    dense: tuple[Engine, tuple[ServiceView, ...]], rules: Rules, need: Need, limit: int
) -> tuple[Results, list[int], int]:
    """The results with the database's order, the rows each of its queries gave, and the statements."""
    engine, services = dense
    read: list[int] = []
    statements: list[object] = []

    def count(*args: object) -> None:
        if str(args[2]).lstrip().startswith("SELECT"):  # not SQLite's BEGIN, which SQLAlchemy sends
            statements.append(args[2])

    with session_factory(engine)() as session:

        def near(around: Around) -> list[Near]:
            found = nearest_services(session, around)
            read.append(len(found))
            return found

        event.listen(engine, "before_cursor_execute", count)
        try:
            found = find_services(services, need, rules, NOW, load_settings().zone, near, limit)
        finally:
            event.remove(engine, "before_cursor_execute", count)
    return found, read, len(statements)


def test_with_5000_services_the_nearest_with_places_left_come_first(
    dense: tuple[Engine, tuple[ServiceView, ...]], territory: Territory, rules: Rules
) -> None:
    champigny = territory.commune("Champigny-sur-Marne")
    need = Need(frozenset({JOB}), champigny, None, (19, 19), territory.point_of(champigny))
    found, read, statements = routed(dense, rules, need, 4)
    shown = list(found.matches)
    assert len(shown) == 4 and all(m.service.has_room for m in shown)
    distances = [m.distance_km or 0.0 for m in shown]
    assert distances == sorted(distances)
    # no service with places left for a 19-year-old is nearer than the last one shown
    assert shown == [m for m in measured(dense[1], rules, need).matches if m.service.has_room][:4]
    assert statements == 1 and read[0] <= 4 + SLACK  # one query: the page and a few more rows


@pytest.mark.parametrize("ages", [(19, 19), None])
def test_the_database_gives_what_measuring_every_service_gives(
    dense: tuple[Engine, tuple[ServiceView, ...]],
    territory: Territory,
    rules: Rules,
    ages: tuple[int, int] | None,
) -> None:
    champigny, villiers = territory.commune("Champigny-sur-Marne"), territory.commune("Villiers-sur-Marne")
    for commune, preferred in ((champigny, frozenset()), (villiers, frozenset({"p7"}))):
        need = Need(frozenset({JOB}), commune, None, ages, territory.point_of(commune), preferred=preferred)
        everything = measured(dense[1], rules, need)
        assert len(everything.matches) > 1000
        for limit in (1, 4, 10, 40):
            found, read, _ = routed(dense, rules, need, limit)
            assert found.matches == everything.matches[:limit], (commune.name, limit)
            assert (found.radius_km, found.widened) == (everything.radius_km, everything.widened)
            assert sum(read) <= 4 * (limit + SLACK), read  # bounded by the page, not the catalogue


def test_far_from_every_service_the_next_radius_is_read(
    dense: tuple[Engine, tuple[ServiceView, ...]], rules: Rules
) -> None:
    """30 km south-west of the packed area: nothing within 10 or 25 km, one query for each radius."""
    need = Need(frozenset({JOB}), None, None, (19, 19), Point(48.60, 2.10))
    everything = measured(dense[1], rules, need)
    found, read, statements = routed(dense, rules, need, 4)
    assert found.matches == everything.matches[:4] and found.widened and everything.widened
    assert statements == len(rules.radius_km) and sum(read) <= 4 + SLACK
