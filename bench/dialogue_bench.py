"""Dialogue benchmark: Brain.handle() latency p50/p99 over 10,000 scripted turns, in process, on SQLite
and on PostgreSQL (each in a fresh database with the real catalogue). Target: p99 <= 10 ms.

Run: .venv/bin/python bench/dialogue_bench.py [--turns N] [--postgres URL]
PostgreSQL: --postgres, else SIXTCAP_TEST_DATABASE_URL, else postgresql://postgres@127.0.0.1:5432/test
(a throwaway database is created there and dropped at the end)."""

from __future__ import annotations

import argparse
import os
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
from sqlalchemy.engine import make_url  # noqa: E402

from bot.brain import Brain  # noqa: E402
from bot.catalogue.files import read_catalogue  # noqa: E402
from bot.catalogue.loader import load_catalogue  # noqa: E402
from bot.config import load_settings  # noqa: E402
from bot.db import make_engine  # noqa: E402
from bot.messages import Incoming  # noqa: E402
from bot.migrations import upgrade  # noqa: E402
from bot.privacy import Pseudonyms  # noqa: E402
from bot.resources import Resources  # noqa: E402
from bot.understanding import embedded_parser  # noqa: E402

SCRIPTS = [
    ["salut", "jcherche du taf", "champi", "19 ans", "@more", "merci"],
    ["jsuis de champi j'ai 19 ans je veux passer le permis", "en fait c'est pour le logement", "@other"],
    ["@concern:health", "@town:Villiers-sur-Marne", "@age:18-25", "@adviser"],
    ["jveux faire du sport a fontenay", "17", "non j'habite à Villiers", "@more", "a plus"],
    ["bonjour", "jveux plus vivre", "@crisis:later", "@other", "@concern:wellbeing", "jsp", "@age:skip"],
]


def turns(total: int) -> list[Incoming]:
    out: list[Incoming] = []
    while len(out) < total:
        for script in SCRIPTS:
            user = uuid.uuid4().hex[:12]
            for step in script:
                if step.startswith("@"):
                    out.append(Incoming("bench", user, payload=step[1:]))
                else:
                    out.append(Incoming("bench", user, text=step))
    return out[:total]


def measure(url: str, total: int) -> list[float]:
    settings = load_settings()
    engine = make_engine(url)
    upgrade(engine)
    territory = Resources.load(settings).territory
    load_catalogue(engine, read_catalogue(settings.catalogue_dir, territory), territory)
    pseudonyms = Pseudonyms(b"bench")
    brain = Brain(
        engine,
        Resources.load(settings),
        embedded_parser(settings),
        pseudonyms,
        clock=lambda: datetime.now(UTC),
    )
    script = turns(total)
    for incoming in script[:200]:  # warm up
        brain.handle(incoming)
    latencies = []
    for incoming in script:
        started = time.perf_counter()
        brain.handle(incoming)
        latencies.append((time.perf_counter() - started) * 1000)
    engine.dispose()
    return sorted(latencies)


def report(name: str, latencies: list[float]) -> None:
    p99 = latencies[int(len(latencies) * 0.99)]
    print(
        f"{name:<11} turns {len(latencies):>6}   p50 {statistics.median(latencies):6.2f} ms   "
        f"p99 {p99:6.2f} ms   max {latencies[-1]:7.2f} ms   (target p99 <= 10 ms)"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--turns", type=int, default=10_000)
    parser.add_argument("--postgres", default=os.environ.get("SIXTCAP_TEST_DATABASE_URL", ""))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        report("SQLite", measure(f"sqlite:///{folder}/bench.db", args.turns))
    admin = args.postgres or "postgresql://postgres@127.0.0.1:5432/test"
    name = f"sixtcap_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        report("PostgreSQL", measure(make_url(admin).set(database=name).render_as_string(False), args.turns))
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
