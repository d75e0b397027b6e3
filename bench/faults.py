"""Fault runs: a running sixtcap under load over loopback while something breaks, and what the youths
would notice. The simulated platforms behave like Telegram and WhatsApp: a message not answered 200 is
sent again, with the same event id, until it is (the widget does the same with its message_id).

    .venv/bin/python bench/faults.py platform-down [--down 60]   # Telegram unreachable under load
    .venv/bin/python bench/faults.py postgres-restart            # a private PostgreSQL restarted
    .venv/bin/python bench/faults.py kill-worker                 # SIGKILL one of 2 server processes
    .venv/bin/python bench/faults.py soak [--minutes 10]         # memory over a long run (SQLite)

Each prints its figures and whether the run passed: every message taken once (platform events and
stored messages counted in the database), every reply delivered once (platform-down), RSS growth under
10 % (soak). platform-down and soak run on SQLite, kill-worker on the test PostgreSQL (as bench/load.py),
postgres-restart on a throwaway PostgreSQL server of its own (tests/pgserver.py's binaries), never the
machine's main one."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parent.parent)]

import load  # noqa: E402  (bench/load.py: the servers, the youths, the figures)
from load import Youth  # noqa: E402

from tests import pgserver  # noqa: E402
from tests.stubs.platforms import StubTelegram  # noqa: E402

PATIENCE = 180.0  # seconds a platform keeps sending a message again before giving up on it


@dataclass
class Delivery:
    """What the platforms saw: messages sent, answered 200 at last, attempts refused, given up."""

    sent: int = 0
    taken: int = 0
    refused: dict[str, int] = field(default_factory=dict)  # status (or error) -> attempts
    lost: int = 0
    latencies: list[float] = field(default_factory=list)  # first try -> 200, retries included

    def refuse(self, why: str) -> None:
        self.refused[why] = self.refused.get(why, 0) + 1

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies) or [float("nan")]
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000


async def deliver(client: httpx.AsyncClient, person: Youth, figures: Delivery) -> None:
    """One message of `person`, sent again (same body, same event id) until it is answered 200."""
    path, body, headers = person.next_request()
    figures.sent += 1
    started = time.perf_counter()
    while time.perf_counter() - started < PATIENCE:
        try:
            response = await client.post(path, content=body, headers=headers)
            if response.status_code == 200:
                figures.taken += 1
                figures.latencies.append(time.perf_counter() - started)
                return
            figures.refuse(str(response.status_code))
        except httpx.HTTPError as error:
            figures.refuse(type(error).__name__)
        await asyncio.sleep(0.5)
    figures.lost += 1


async def drive(
    people: list[Youth], base: str, seconds: float, rate: float, during: Callable[[float], None]
) -> Delivery:
    """Messages at `rate` per second for `seconds` (a youth waits for its previous message to be taken);
    `during(elapsed)` is called every 0.1 s to break things on time."""
    figures = Delivery()
    idle: asyncio.Queue[Youth] = asyncio.Queue()
    for person in people:
        idle.put_nowait(person)
    limits = httpx.Limits(max_connections=len(people), max_keepalive_connections=len(people))
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=10) as client:
        tasks: set[asyncio.Task[None]] = set()

        async def one(person: Youth) -> None:
            await deliver(client, person, figures)
            idle.put_nowait(person)

        async def clock() -> None:
            began = time.monotonic()
            while time.monotonic() - began < seconds:
                during(time.monotonic() - began)
                await asyncio.sleep(0.1)

        ticking = asyncio.create_task(clock())
        began = time.perf_counter()
        for number in range(int(seconds * rate)):
            await asyncio.sleep(max(0.0, began + number / rate - time.perf_counter()))
            task = asyncio.create_task(one(await idle.get()))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        await asyncio.gather(*tasks, ticking)
    return figures


def handled_once(database_url: str, figures: Delivery) -> tuple[int, int, bool]:
    """(platform events recorded, messages stored from youths, whether each message taken was handled
    exactly once)."""
    engine = create_engine(load_url(database_url))
    with engine.connect() as connection:
        events = connection.execute(text("SELECT count(*) FROM inbound_events")).scalar_one()
        stored = connection.execute(text("SELECT count(*) FROM messages WHERE direction = 'in'")).scalar_one()
    engine.dispose()
    return events, stored, events == stored == figures.taken


def load_url(url: str) -> str:
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


def report(name: str, figures: Delivery, database_url: str, extra: list[str], ok: bool) -> None:
    events, stored, once = handled_once(database_url, figures)
    print(f"fault run: {name}")
    print(f"  messages sent {figures.sent}, taken {figures.taken}, lost {figures.lost}; refused attempts "
          f"{dict(sorted(figures.refused.items()))} (sent again by the platform)")  # fmt: skip
    print(f"  latency until taken (retries included): p50 {figures.percentile(50):.0f} ms, "
          f"p99 {figures.percentile(99):.0f} ms, max {figures.percentile(100):.0f} ms")  # fmt: skip
    print(f"  in the database: {events} platform events, {stored} messages from youths "
          f"({'each message handled once' if once else 'NOT each message handled once'})")  # fmt: skip
    for line in extra:
        print(f"  {line}")
    passed = ok and once and figures.lost == 0
    print("  result:", "passed" if passed else "FAILED")


def serve(
    database_url: str, workers: int, extra: dict[str, str] | None = None
) -> tuple[subprocess.Popen[bytes], str]:
    port = load.free_port()
    environment = load.sixtcap_environment(database_url, port) | (extra or {})
    sixtcap = [str(Path(load.PYTHON).parent / "sixtcap")]
    for step in (["db", "upgrade"], ["catalogue", "load"]):
        subprocess.run(
            [*sixtcap, *step], env=environment, cwd=load.ROOT, check=True, stdout=subprocess.DEVNULL
        )
    server = subprocess.Popen([*sixtcap, "serve", "--workers", str(workers)], env=environment, cwd=load.ROOT)
    try:
        load.wait_ready(f"http://127.0.0.1:{port}/livez", server, timeout=300)
    except BaseException:
        stop(server)
        raise
    return server, f"http://127.0.0.1:{port}"


def stop(server: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL for the server and its worker processes if it has not stopped in 30 s."""
    workers = children(server.pid)
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        for pid in [*children(server.pid), *workers]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        server.kill()
        server.wait()


children = load.children


def serving_processes(pid: int) -> list[int]:
    """uvicorn's worker processes (not multiprocessing's resource tracker beside them)."""
    found = []
    for child in children(pid):
        with contextlib.suppress(OSError):
            if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes():
                found.append(child)
    return found


# -- the runs -----------------------------------------------------------------------------------------


def platform_down(args: argparse.Namespace) -> None:
    """Telegram unreachable for `--down` seconds while 24 youths write to the bot through it: the webhook
    keeps taking messages, the replies wait in the outbox and go out once Telegram is back, each once."""
    folder = Path(tempfile.mkdtemp(prefix="sixtcap-fault-"))
    database_url = f"sqlite:///{folder}/sixtcap.db"
    telegram = StubTelegram()
    settings = {
        "SIXTCAP_SERVER__JOBS": "true",  # the outbox sender runs in the server
        "SIXTCAP_TELEGRAM__BASE_URL": f"{telegram.url}/bot",
        "SIXTCAP_OUTBOX__PACE_SECONDS": "0.2",
        "SIXTCAP_OUTBOX__BACKOFF_MAX_SECONDS": "5",
    }
    server, base = serve(database_url, 1, settings)
    outage = (10.0, 10.0 + args.down)
    moments: dict[str, float] = {}

    def during(elapsed: float) -> None:
        if "down" not in moments and elapsed >= outage[0]:
            telegram.stop()
            moments["down"] = time.monotonic()
        if "up" not in moments and elapsed >= outage[1]:
            telegram.start()  # the same port again
            moments["up"] = time.monotonic()

    try:
        people = [Youth(n, base) for n in range(1, 72, 3)]  # the Telegram ones (number % 3 == 1)
        figures = asyncio.run(drive(people, base, outage[1] + 20, 6.0, during))
        drained, pending, rows = wait_drained(database_url, timeout=300)
        drain_seconds = drained - moments["up"]
    finally:
        stop(server)
        telegram.stop()
    calls = len(telegram.sent())
    delivered_once = calls == rows and pending == 0
    extra = [
        f"Telegram down {args.down:.0f} s under load; replies written {rows}, sendMessage calls received "
        f"{calls}, still pending {pending}; all sent {drain_seconds:.1f} s after Telegram came back",
        "every reply delivered once" if delivered_once else "NOT every reply delivered once",
    ]
    report("platform down", figures, database_url, extra, delivered_once)


def wait_drained(database_url: str, timeout: float) -> tuple[float, int, int]:
    """When the outbox had nothing left to send: (time.monotonic(), rows pending, rows in all)."""
    engine = create_engine(load_url(database_url))
    deadline = time.monotonic() + timeout
    try:
        while True:
            with engine.connect() as connection:
                pending = connection.execute(
                    text("SELECT count(*) FROM outbox WHERE status IN ('pending', 'sending')")
                ).scalar_one()
                rows = connection.execute(text("SELECT count(*) FROM outbox")).scalar_one()
            if pending == 0 or time.monotonic() > deadline:
                return time.monotonic(), pending, rows
            time.sleep(0.2)
    finally:
        engine.dispose()


class PrivatePostgres:
    """A throwaway PostgreSQL server (initdb in a temporary folder), which this run may restart."""

    def __init__(self) -> None:
        binaries = pgserver._binaries()
        if binaries is None:
            raise SystemExit("no PostgreSQL binaries: `make postgres-binaries` installs them")
        self.folder = Path(tempfile.mkdtemp(prefix="sixtcap-fault-pg-"))
        self.prefix: list[str] = []
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            shutil.chown(self.folder, "postgres", "postgres")
            self.prefix = ["runuser", "-u", "postgres", "--"]
        self.pg_ctl = str(binaries / "pg_ctl")
        self.port = pgserver._free_port()
        self.run(str(binaries / "initdb"), "-D", str(self.folder / "data"), "-U", "postgres", "--auth=trust")
        self.ctl("start")
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def run(self, *command: str) -> None:
        subprocess.run([*self.prefix, *command], check=True, capture_output=True)

    def ctl(self, action: str, *more: str) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1"
        data = str(self.folder / "data")
        log = str(self.folder / "log")
        self.run(self.pg_ctl, "-D", data, "-o", options, "-l", log, "-w", *more, action)

    def close(self) -> None:
        data = str(self.folder / "data")
        stopping = [*self.prefix, self.pg_ctl, "-D", data, "-m", "immediate", "stop"]
        subprocess.run(stopping, capture_output=True, check=False)
        shutil.rmtree(self.folder, ignore_errors=True)


def postgres_restart(args: argparse.Namespace) -> None:
    """PostgreSQL stopped (fast shutdown: connections cut), down 5 s, started again, while 48 youths write
    on the three channels to 2 server processes: requests meanwhile fail (503), the platforms send them
    again, nothing is lost or handled twice."""
    postgres = PrivatePostgres()
    moments: dict[str, float] = {}

    def during(elapsed: float) -> None:
        if "down" not in moments and elapsed >= 10:
            moments["down"] = time.monotonic()
            threading.Thread(target=restart, daemon=True).start()

    def restart() -> None:
        postgres.ctl("stop", "-m", "fast")
        time.sleep(5)
        postgres.ctl("start")
        moments["up"] = time.monotonic()

    server = None
    try:
        server, base = serve(postgres.url, 2)
        people = [Youth(n, base) for n in range(48)]
        figures = asyncio.run(drive(people, base, 40, 20.0, during))
        extra = [
            f"PostgreSQL down {moments['up'] - moments['down']:.1f} s (stop -m fast, start) under "
            f"20 msg/s, 2 server processes"
        ]
        report("PostgreSQL restarted", figures, postgres.url, extra, True)
    finally:
        if server is not None:
            stop(server)
        postgres.close()


def kill_worker(args: argparse.Namespace) -> None:
    """One of the 2 server processes killed with SIGKILL under load (PostgreSQL): its requests in flight
    fail, the platforms send them again, the supervisor starts a new process."""
    database_url, admin = load.postgres_database()
    moments: dict[str, float] = {}
    server = None
    try:
        server, base = serve(database_url, 2)
        workers = serving_processes(server.pid)

        def during(elapsed: float) -> None:
            if "killed" not in moments and elapsed >= 10:
                os.kill(workers[0], signal.SIGKILL)
                moments["killed"] = time.monotonic()

        people = [Youth(n, base) for n in range(48)]
        figures = asyncio.run(drive(people, base, 40, 20.0, during))
        alive = [pid for pid in serving_processes(server.pid) if pid not in workers]
        extra = [
            f"killed process {workers[0]} of {workers}; processes started since: {alive}",
        ]
        report("worker killed (SIGKILL)", figures, database_url, extra, bool(alive))
    finally:
        if server is not None:
            stop(server)
        load.drop_postgres(database_url, admin)


def soak(args: argparse.Namespace) -> None:
    """`--minutes` of steady load (SQLite, 1 process, 48 youths, 20 msg/s): the server's memory after
    the first minute (caches, pools, the model warm) and at the end."""
    folder = Path(tempfile.mkdtemp(prefix="sixtcap-soak-"))
    database_url = f"sqlite:///{folder}/sixtcap.db"
    server, base = serve(database_url, 1)
    samples: list[tuple[float, int]] = []

    def during(elapsed: float) -> None:
        if not samples or elapsed - samples[-1][0] >= 30:
            samples.append((elapsed, load.rss_kib(server.pid)))

    try:
        people = [Youth(n, base) for n in range(48)]
        figures = asyncio.run(drive(people, base, args.minutes * 60, 20.0, during))
        samples.append((args.minutes * 60, load.rss_kib(server.pid)))
    finally:
        stop(server)
    settled = next((rss for elapsed, rss in samples if elapsed >= 60), samples[0][1])
    growth = samples[-1][1] / settled - 1
    extra = [
        f"{args.minutes:g} min at 20 msg/s; RSS (MiB) every 30 s: "
        + " ".join(f"{rss / 1024:.0f}" for _, rss in samples),
        f"RSS growth after the first minute: {growth:+.1%} (limit +10 %)",
    ]
    report("soak", figures, database_url, extra, growth < 0.10)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    runs = parser.add_subparsers(dest="run", required=True)
    down = runs.add_parser("platform-down", help=platform_down.__doc__)
    down.add_argument("--down", type=float, default=60, help="seconds Telegram is unreachable")
    runs.add_parser("postgres-restart", help=postgres_restart.__doc__)
    runs.add_parser("kill-worker", help=kill_worker.__doc__)
    long = runs.add_parser("soak", help=soak.__doc__)
    long.add_argument("--minutes", type=float, default=10)
    args = parser.parse_args()
    {"platform-down": platform_down, "postgres-restart": postgres_restart, "kill-worker": kill_worker,
     "soak": soak}[args.run](args)  # fmt: skip


if __name__ == "__main__":
    main()
