"""Where one turn's time goes, in process: the youths of bench/load.py sent one after the other through the
whole application (HTTP routing, rate limits, the brain), on SQLite or PostgreSQL, with each SQL statement
and each commit timed. Prints, per turn: the wall time, the time spent in statements and in commits (the
round trips and PostgreSQL's disk sync), the counts of statements and transactions, the slowest kinds of
statement; with --profile, cProfile's top functions too.

    .venv/bin/python bench/turn_profile.py --postgres --turns 600
    .venv/bin/python bench/turn_profile.py --turns 600 --profile

Single thread: no waiting for locks or for the CPU here (bench/load.py measures that); what is left is the
cost of a turn itself."""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from load import ROOT, Youth, drop_postgres, postgres_database, sixtcap_environment


class Timer:
    """Statements and commits of an engine, timed (SQLAlchemy's events and the dialect's commit)."""

    def __init__(self, engine: Any) -> None:
        from sqlalchemy import event

        self.statements: Counter[str] = Counter()
        self.statement_seconds: defaultdict[str, float] = defaultdict(float)
        self.commits = 0
        self.commit_seconds = 0.0
        self.started: dict[int, float] = {}
        event.listen(engine, "before_cursor_execute", self.before)
        event.listen(engine, "after_cursor_execute", self.after)
        dialect = engine.dialect
        commit = dialect.do_commit

        def timed_commit(connection: Any) -> None:
            began = time.perf_counter()
            try:
                commit(connection)
            finally:
                self.commits += 1
                self.commit_seconds += time.perf_counter() - began

        dialect.do_commit = timed_commit

    def before(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        self.started[id(_cursor)] = time.perf_counter()

    def after(self, _conn: Any, cursor: Any, statement: str, *_args: Any) -> None:
        key = " ".join(statement.split())[:70]
        self.statements[key] += 1
        self.statement_seconds[key] += time.perf_counter() - self.started.pop(id(cursor), time.perf_counter())


def profiled(profile: cProfile.Profile, owner: Any, name: str) -> None:
    """`owner.name` profiled from whichever thread calls it (one call at a time here)."""
    original = getattr(owner, name)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        profile.enable()
        try:
            return original(*args, **kwargs)
        finally:
            profile.disable()

    setattr(owner, name, wrapper)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--turns", type=int, default=600)
    parser.add_argument("--youths", type=int, default=48)
    parser.add_argument("--profile", action="store_true", help="cProfile's top functions too")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="sixtcap-profile-"))
    if args.postgres:
        url, admin = postgres_database()
    else:
        url, admin = f"sqlite:///{folder}/sixtcap.db", ""
    os.environ.update(sixtcap_environment(url, 8000))
    sixtcap = [str(Path(sys.executable).parent / "sixtcap")]
    for step in (["db", "upgrade"], ["catalogue", "load"]):
        subprocess.run([*sixtcap, *step], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    os.chdir(ROOT)
    try:
        run(args)
    finally:
        if admin:
            drop_postgres(url, admin)


def run(args: argparse.Namespace) -> None:
    from fastapi.testclient import TestClient

    from bot.config import Settings
    from sixtcap.app import create_app

    settings = Settings()
    engine = settings.engine()
    app = create_app(settings, engine)
    people = [Youth(n, "") for n in range(args.youths)]
    with TestClient(app) as client:

        def send(count: int) -> None:
            for number in range(count):
                path, body, headers = people[number % len(people)].next_request()
                status = client.post(path, content=body, headers=headers).status_code
                assert status == 200, status

        send(args.youths * 2)  # warm: model, caches, pool
        timer = Timer(engine)
        throttle = app.state.context.throttle
        shared = throttle.shared.engine if throttle.shared is not None else engine
        counters = Timer(shared) if shared is not engine else None  # their own connections
        profile = cProfile.Profile() if args.profile else None
        if profile:  # in the server's worker threads: the brain's turns and the rate limits
            profiled(profile, app.state.context.brain, "handle")
            profiled(profile, throttle, "hit")
        began, cpu = time.perf_counter(), time.process_time()
        send(args.turns)
        wall, cpu = time.perf_counter() - began, time.process_time() - cpu
    turns = args.turns
    in_sql = sum(timer.statement_seconds.values())
    print(f"{engine.dialect.name}: {turns} turns, one after the other")
    print(f"per turn: {wall / turns * 1000:.2f} ms wall, {cpu / turns * 1000:.2f} ms CPU of this process")
    print(f"  statements: {sum(timer.statements.values()) / turns:.1f}, {in_sql / turns * 1000:.2f} ms")
    print(f"  commits:    {timer.commits / turns:.1f}, {timer.commit_seconds / turns * 1000:.2f} ms")
    if counters is not None:
        in_counts = sum(counters.statement_seconds.values())
        print(f"  rate limits: {sum(counters.statements.values()) / turns:.1f} statements, "
              f"{in_counts / turns * 1000:.2f} ms (their own connections, autocommit)")  # fmt: skip
    print("statements per turn, ms per turn:")
    for key, seconds in sorted(timer.statement_seconds.items(), key=lambda item: -item[1])[:25]:
        print(f"  {timer.statements[key] / turns:5.2f} {seconds / turns * 1000:6.3f}  {key}")
    if profile:
        pstats.Stats(profile).sort_stats("tottime").print_stats(30)
        pstats.Stats(profile).sort_stats("cumulative").print_stats(60)


if __name__ == "__main__":
    main()
