"""Offers matching benchmark: `ranked_offers` top-10 for random youth profiles, over 100,000 offers and
5,000 services, on SQLite and on PostgreSQL (fresh databases). Target: p99 <= 5 ms on both.

The offers are the demo generator's, spread up to 35 km around the territory's communes (dense near
them, sparse far away); profiles draw a commune or neighbourhood point, a radius (5, 10, 20, 30 km), a
trade (or none: every trade), what is wanted (job, alternance, training), beginner or not, licence and
car or not, and a page (first, or "Plus d'offres"). Then the services of the "job" concern are routed
(bot/routing.py, the places near the youth from the database) for the first 50 of those points
(--routed: at 5,000 services packed in 15 km it takes seconds each).

Run: .venv/bin/python bench/match_bench.py [--offers N] [--services N] [--queries N] [--routed N]
[--postgres URL]
PostgreSQL: --postgres, else SIXTCAP_TEST_DATABASE_URL, else postgresql://postgres@127.0.0.1:5432/test
(a throwaway database is created there and dropped at the end)."""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from sqlalchemy import Engine, insert  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from bot.catalogue.nearby import services_near  # noqa: E402
from bot.catalogue.snapshot import load_services  # noqa: E402
from bot.concerns import load_concerns  # noqa: E402
from bot.config import load_settings  # noqa: E402
from bot.db import make_engine, transaction  # noqa: E402
from bot.migrations import upgrade  # noqa: E402
from bot.models import Location, Partner, Service, service_locations  # noqa: E402
from bot.offers.data import OfferData  # noqa: E402
from bot.offers.demo import demo_offers  # noqa: E402
from bot.offers.matching import Profile, ranked_offers  # noqa: E402
from bot.offers.store import save_offers  # noqa: E402
from bot.routing import Need, find_services, load_rules  # noqa: E402
from bot.territory import Point, Territory, load_territory  # noqa: E402

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def fill(engine: Engine, territory: Territory, data: OfferData, offers: int, services: int) -> None:
    upgrade(engine)
    generated = list(demo_offers(territory, data.trades, NOW, count=offers, seed=14, spread_km=35.0))
    with transaction(engine) as session:
        save_offers(session, "demo", generated, NOW, territory, data.stations)
    rng = random.Random(5)
    partners = max(1, services // 100)
    with transaction(engine) as session:
        session.execute(
            insert(Partner),
            [{"id": f"p{n}", "nom": f"Partenaire {n}", "kind": "association"} for n in range(partners)],
        )
        places, rows, links = [], [], []
        for n in range(services):
            commune = rng.choice(territory.communes)
            lat = commune.latitude + rng.uniform(-0.05, 0.05)
            lon = commune.longitude + rng.uniform(-0.07, 0.07)
            partner = f"p{n % partners}"
            places.append(
                {
                    "partner_id": partner,
                    "id": f"l{n}",
                    "commune": commune.name,
                    "code_insee": commune.insee,
                    "point_latitude": lat,
                    "point_longitude": lon,
                    "latitude": lat,
                    "longitude": lon,
                }
            )
            rows.append(
                {
                    "id": f"s{n}",
                    "partner_id": partner,
                    "nom": f"Service {n}",
                    "type": "accompagnement",
                    "thematiques": ["trouver-un-emploi--repondre-a-des-offres-demploi"],
                    "frais": "gratuit",
                    "publics": ["jeunes"],
                    "zone_eligibilite": ["94"],
                }
            )
            links.append({"service_id": f"s{n}", "partner_id": partner, "location_id": f"l{n}"})
        session.execute(insert(Location), places)
        session.execute(insert(Service), rows)
        session.execute(insert(service_locations), links)
    if (
        engine.dialect.name == "postgresql"
    ):  # what autovacuum does on a live database (off on the test server)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("ANALYZE")


def profiles(
    territory: Territory, trades: list[list[str]], total: int
) -> list[tuple[Point, list[str], Profile, int]]:
    rng = random.Random(27)
    points = [c.point for c in territory.communes] + [
        Point(q.latitude, q.longitude)
        for q in territory.quartiers
        if q.latitude is not None and q.longitude is not None
    ]
    out = []
    for _ in range(total):
        profile = Profile(
            wanted=rng.choice(("job", "job", "alternance", "training")),  # type: ignore[arg-type]
            radius_km=rng.choice((5.0, 10.0, 20.0, 30.0)),
            beginner=rng.random() < 0.7,
            mobile=rng.random() < 0.3,
        )
        codes = rng.choice(trades) if rng.random() < 0.8 else []
        out.append((rng.choice(points), codes, profile, rng.choice((0, 0, 0, 10))))
    return out


def measure(
    url: str, offers: int, services: int, total: int, routed_points: int
) -> tuple[list[float], list[float], float, list[float]]:
    settings = load_settings()
    territory = load_territory(settings.territory_file)
    data = OfferData.load(settings)
    engine = make_engine(url)
    started = time.perf_counter()
    fill(engine, territory, data, offers, services)
    filled = time.perf_counter() - started
    trades = [list(t.rome) for t in data.trades.trades]
    runs = profiles(territory, trades, total)
    latencies, cpu = [], []
    with transaction(engine) as session:
        for point, codes, profile, offset in runs[:200]:  # warm up
            ranked_offers(session, codes, point, profile, NOW, limit=10, offset=offset)
        for point, codes, profile, offset in runs:
            begin, begin_cpu = time.perf_counter(), time.process_time()
            ranked_offers(session, codes, point, profile, NOW, limit=10, offset=offset)
            latencies.append((time.perf_counter() - begin) * 1000)
            cpu.append((time.process_time() - begin_cpu) * 1000)
        services = load_services(session)
        rules = load_rules(settings.data_dir / "routing.yml")
        themes = load_concerns(settings.data_dir / "concerns.yml")["job"].thematiques
        routed = []
        for point, _codes, _profile, _offset in runs[:routed_points]:
            need = Need(themes, None, None, (19, 19), point)
            begin = time.perf_counter()
            find_services(
                services, need, rules, NOW, settings.zone, lambda *near: services_near(session, *near)
            )
            routed.append((time.perf_counter() - begin) * 1000)
    engine.dispose()
    return sorted(latencies), sorted(cpu), filled, sorted(routed)


def report(name: str, latencies: list[float], cpu: list[float], filled: float, routed: list[float]) -> None:
    """Wall-clock times, and this process's CPU time (on a machine shared with other work, the wall
    clock also counts the time the process waited for a core; SQLite runs in this process, PostgreSQL
    does not, so its CPU figure leaves the server out)."""
    p99, cpu_p99 = latencies[int(len(latencies) * 0.99)], cpu[int(len(cpu) * 0.99)]
    print(
        f"{name:<11} queries {len(latencies):>6}   p50 {statistics.median(latencies):5.2f} ms   "
        f"p99 {p99:5.2f} ms   max {latencies[-1]:6.2f} ms   (target p99 <= 5 ms; filled in {filled:.0f} s)\n"
        f"{'':<11} this process's CPU: p50 {statistics.median(cpu):5.2f} ms   p99 {cpu_p99:5.2f} ms\n"
        f"{'':<11} services (job, {len(routed)} points): p50 {statistics.median(routed):5.2f} ms"
        f"   max {routed[-1]:5.2f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--offers", type=int, default=100_000)
    parser.add_argument("--services", type=int, default=5_000)
    parser.add_argument("--queries", type=int, default=5_000)
    parser.add_argument("--routed", type=int, default=50, help="points whose services are routed")
    parser.add_argument("--postgres", default=os.environ.get("SIXTCAP_TEST_DATABASE_URL", ""))
    args = parser.parse_args()
    print(  # the load: other work on the machine slows the wall clock down
        f"{args.offers} offers, {args.services} services, top-10; {platform.machine()}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, load {os.getloadavg()[0]:.1f}"
    )
    with tempfile.TemporaryDirectory() as folder:
        report(
            "SQLite",
            *measure(f"sqlite:///{folder}/bench.db", args.offers, args.services, args.queries, args.routed),
        )
    admin = args.postgres or "postgresql://postgres@127.0.0.1:5432/test"
    name = f"sixtcap_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        url = make_url(admin).set(database=name).render_as_string(False)
        report("PostgreSQL", *measure(url, args.offers, args.services, args.queries, args.routed))
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
