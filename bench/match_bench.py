"""Offers matching benchmark: `ranked_offers` top-10 for random youth profiles, over 100,000 offers and
5,000 services, on SQLite and on PostgreSQL (fresh databases). Target: p99 <= 5 ms on both.

The offers are the demo generator's, spread up to 35 km around the territory's communes (dense near
them, sparse far away); profiles draw a commune or neighbourhood point, a radius (5, 10, 20, 30 km), a
trade (or none: every trade), what is wanted (job, alternance, training), beginner or not, licence and
car or not, and a page (first, or "Plus d'offres"). Then the services of the "job" concern are routed
(bot/routing.py: the first page and the "Plus de résultats" button, ordered and limited by the database,
bot/catalogue/nearby.py) for the first 2,000 of those points (--routed), the 5,000 services packed
within 15 km of each other, 3 % with places left and 3 % full: the same target. Each part also counts
the SQL statements and the rows the database gives per request (the same on any machine).

Run: .venv/bin/python bench/match_bench.py [--offers N] [--services N] [--queries N] [--routed N]
[--postgres URL] [--only sqlite|postgresql]
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
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
from sqlalchemy import Engine, event, insert, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bot.catalogue.nearby import Around, Near, nearest_services  # noqa: E402
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
    capacity = random.Random(6)  # places left for 3 %, full for 3 %, unknown for the rest
    partners = max(1, services // 100)
    with transaction(engine) as session:
        session.execute(
            insert(Partner),
            [{"id": f"p{n}", "nom": f"Partenaire {n}", "kind": "association"} for n in range(partners)],
        )
        places, rows, links = [], [], []
        for n in range(services):
            draw = capacity.random()
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
                    "places_available": 2 if draw < 0.03 else 0 if draw < 0.06 else None,
                }
            )
            links.append({"service_id": f"s{n}", "partner_id": partner, "location_id": f"l{n}"})
        session.execute(insert(Location), places)
        session.execute(insert(Service), rows)
        session.execute(insert(service_locations), links)
    if engine.dialect.name == "postgresql":  # what autovacuum does after the import (off on the test server)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE")


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


@dataclass
class Figures:
    """Wall-clock and CPU milliseconds per request, and SQL statements and rows read per request."""

    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    server: list[float] = field(default_factory=list)  # PostgreSQL: its backend's CPU, this process's added
    statements: list[int] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)


def backend_cpu(session: Session) -> Callable[[], float]:
    """PostgreSQL, same machine: the CPU milliseconds the session's server process has used so far (Linux's
    /proc/PID/schedstat, in nanoseconds), so that a request's server-side work is counted apart from the
    time it waited for a core. SQLite runs in this process: nothing to add."""
    if session.connection().dialect.name != "postgresql":
        return lambda: 0.0
    pid = session.execute(text("SELECT pg_backend_pid()")).scalar_one()
    path = Path(f"/proc/{pid}/schedstat")
    return lambda: int(path.read_text().split()[0]) / 1e6


def timed(
    engine: Engine, figures: Figures, call: Callable[[], object], rows: list[int], server: Callable[[], float]
) -> None:
    """Runs `call` once, adding its times, its SELECT statements and the rows counted in `rows`."""
    statements = []

    def count(*args: object) -> None:
        if str(args[2]).lstrip().startswith("SELECT"):  # not SQLite's BEGIN
            statements.append(1)

    rows.clear()
    event.listen(engine, "before_cursor_execute", count)
    begin, begin_cpu, begin_server = time.perf_counter(), time.process_time(), server()
    call()
    figures.wall.append((time.perf_counter() - begin) * 1000)
    figures.cpu.append((time.process_time() - begin_cpu) * 1000)
    figures.server.append(figures.cpu[-1] + server() - begin_server)
    event.remove(engine, "before_cursor_execute", count)
    figures.statements.append(len(statements))
    figures.rows.append(sum(rows))


def measure(
    url: str, offers: int, services: int, total: int, routed_points: int
) -> tuple[Figures, float, Figures]:
    settings = load_settings()
    territory = load_territory(settings.territory_file)
    data = OfferData.load(settings)
    engine = make_engine(url)
    started = time.perf_counter()
    fill(engine, territory, data, offers, services)
    filled = time.perf_counter() - started
    trades = [list(t.rome) for t in data.trades.trades]
    runs = profiles(territory, trades, total)
    offered, routed, read = Figures(), Figures(), []
    with transaction(engine) as session:
        server = backend_cpu(session)

        def ranked(point: Point, codes: list[str], profile: Profile, offset: int) -> None:
            found = ranked_offers(session, codes, point, profile, NOW, limit=10, offset=offset)
            read.append(offset + len(found))  # the query gives the pages before too (at most offset + 10)

        for point, codes, profile, offset in runs[:200]:  # warm up
            ranked_offers(session, codes, point, profile, NOW, limit=10, offset=offset)
        for point, codes, profile, offset in runs:
            timed(engine, offered, partial(ranked, point, codes, profile, offset), read, server)
        catalogue = load_services(session)  # routing's cache, loaded once per catalogue version
        rules = load_rules(settings.data_dir / "routing.yml")
        themes = load_concerns(settings.data_dir / "concerns.yml")["job"].thematiques
        size = rules.results_per_page

        def near(around: Around) -> list[Near]:
            found = nearest_services(session, around)
            read.append(len(found))
            return found

        def route(need: Need, page: int) -> None:
            find_services(catalogue, need, rules, NOW, settings.zone, near, (page + 1) * size + 1)

        for n, (point, _codes, _profile, _offset) in enumerate(runs[:routed_points]):
            need = Need(themes, None, None, (19, 19), point)
            page = 1 if n % 4 == 3 else 0  # the first page, or the next
            timed(engine, routed, partial(route, need, page), read, server)
    engine.dispose()
    return offered, filled, routed


def report(name: str, offered: Figures, filled: float, routed: Figures) -> None:
    """Wall-clock times, and this process's CPU time (on a machine shared with other work, the wall
    clock also counts the time the process waited for a core; SQLite runs in this process, PostgreSQL
    does not, so its CPU figure leaves the server out: "with the server's" adds the CPU of PostgreSQL's
    process for the session); the SQL statements and the rows the database gave per request do not
    depend on the machine."""

    def p(values: list[float], share: float) -> float:
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, int(len(ordered) * share))]

    print(f"{name}: filled in {filled:.0f} s, load {os.getloadavg()[0]:.1f}")
    for label, figures in (("offers top-10", offered), ("routing (job)", routed)):
        if not figures.wall:
            continue
        print(
            f"  {label:<14} requests {len(figures.wall):>5}   p50 {p(figures.wall, 0.5):6.2f} ms   "
            f"p99 {p(figures.wall, 0.99):6.2f} ms   max {max(figures.wall):7.2f} ms   (target p99 <= 5 ms)\n"
            f"  {'':<14} this process's CPU: p50 {p(figures.cpu, 0.5):5.2f} ms   "
            f"p99 {p(figures.cpu, 0.99):5.2f} ms"
            + (
                f"   with the server's: p50 {p(figures.server, 0.5):5.2f} ms"
                f"   p99 {p(figures.server, 0.99):5.2f} ms"
                if figures.server != figures.cpu
                else ""
            )
            + f"\n  {'':<14} SQL statements per request: max {max(figures.statements)}"
            f"   rows read: mean {statistics.mean(figures.rows):.1f}, max {max(figures.rows)}"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--offers", type=int, default=100_000)
    parser.add_argument("--services", type=int, default=5_000)
    parser.add_argument("--queries", type=int, default=5_000)
    parser.add_argument("--routed", type=int, default=2_000, help="points whose services are routed")
    parser.add_argument("--only", choices=("sqlite", "postgresql"), help="one database only")
    parser.add_argument("--postgres", default=os.environ.get("SIXTCAP_TEST_DATABASE_URL", ""))
    args = parser.parse_args()
    print(  # the load: other work on the machine slows the wall clock down
        f"{args.offers} offers, {args.services} services, top-10; {platform.machine()}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, load {os.getloadavg()[0]:.1f}"
    )
    if args.only != "postgresql":
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite:///{folder}/bench.db"
            report("SQLite", *measure(url, args.offers, args.services, args.queries, args.routed))
    if args.only == "sqlite":
        return
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
