"""Load benchmark: a running sixtcap over loopback, driven by N simulated youths holding realistic
conversations on the three channels at once (signed Telegram webhooks, signed WhatsApp webhooks, widget
messages), against a bare FastAPI JSON endpoint measured in the same run as the ceiling.

Two measures. Capacity: 16 connections, each youth waiting for its reply before writing again, sixtcap and
the bare endpoint in alternate slices (the machine's other work weighs on both alike): messages/s, p50,
p99, and the ratio to the ceiling. Latency at a fixed load: messages arriving at 25 % of the ceiling (or
--rate) whatever the server does, each timed from when it was due: p50, p99. With a closed loop of 16
connections, p99 is mostly queueing (Little's law: 16 waiting / 80 msg/s = 200 ms on average, at any
speed below the ceiling's), so the p99 target is judged at the fixed load. Also errors and the server's
RSS (all its processes). Targets: capacity >= 25 % of the ceiling, p99 <= 50 ms at that load, no error.

    .venv/bin/python bench/load.py                       # SQLite, 1 process
    .venv/bin/python bench/load.py --postgres            # PostgreSQL (SIXTCAP_TEST_DATABASE_URL or
                                                         # 127.0.0.1:5432), 2 processes
    .venv/bin/python bench/load.py --youths 64 --seconds 30 --connections 16

It starts both servers itself: sixtcap from this checkout in a fresh database with the real catalogue,
`server.jobs` off (no outbox sender: the platforms are not called), the rate limits raised (one
loopback address sends everything: SIXTCAP_LIMITS__*), Telegram's API pointed at a closed port."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import hmac
import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
TELEGRAM_SECRET, WHATSAPP_SECRET = "bench-telegram-secret", "bench-whatsapp-secret"

# What youths of Bois l'Abbé write, button presses included ("@payload"), one conversation each.
CONVERSATIONS = [
    ["salut", "jcherche du taf", "champi", "19 ans", "@more", "merci"],
    [
        "wesh",
        "jsuis de champi g 17 ans jveux passer le permi",
        "@more",
        "c koi le permis a 1 euro",
        "ok merci",
    ],
    ["bonjour", "j'ai pas de logement", "villiers", "22", "@other", "@concern:health", "merci bcp"],
    ["slt", "je sais pas quoi faire de ma vie", "jsuis a fontenay", "18", "@more", "menu"],
    ["yo", "faut ramener quoi pour la mission locale ?", "noisy le grand", "20 ans", "merci"],
]


@dataclass
class Figures:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ready(url: str, process: subprocess.Popen[bytes], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server stopped (exit {process.returncode}); see its output above")
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"{url} did not answer in {timeout} s")


def children(pid: int) -> list[int]:
    try:
        return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def rss_kib(pid: int) -> int:
    """Resident memory of a process and all its descendants (the uvicorn workers), in KiB."""
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            total += int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS")))
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except (OSError, StopIteration):
            continue
        todo += [int(child) for child in children]
    return total


# -- the servers --------------------------------------------------------------------------------------


BARE = """
from fastapi import FastAPI
from pydantic import BaseModel

class Body(BaseModel):
    conversation_id: str
    text: str | None = None

app = FastAPI()

@app.post("/echo")
def echo(body: Body) -> dict:
    return {"conversation_id": body.conversation_id, "messages": [{"text": body.text or ""}]}
"""


def start_bare(folder: Path, port: int) -> subprocess.Popen[bytes]:
    (folder / "bare_app.py").write_text(BARE)
    command = [PYTHON, "-m", "uvicorn", "bare_app:app", "--port", str(port), "--log-level", "warning"]
    return subprocess.Popen(command, cwd=folder)


def sixtcap_environment(database_url: str, port: int) -> dict[str, str]:
    unlimited = "100000000/minute"
    # this checkout's code, whichever checkout the virtualenv's `sixtcap` script was installed from (an
    # editable install maps the packages to that one: a git worktree sharing it would measure another)
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    return os.environ | {
        "PYTHONPATH": path,
        "SIXTCAP_DATABASE_URL": database_url,
        "SIXTCAP_SERVER__PORT": str(port),
        "SIXTCAP_SERVER__JOBS": "false",
        "SIXTCAP_LOG_LEVEL": "WARNING",
        "SIXTCAP_TELEGRAM_BOT_TOKEN": "123456:BENCH-token",
        "SIXTCAP_TELEGRAM_WEBHOOK_SECRET": TELEGRAM_SECRET,
        "SIXTCAP_TELEGRAM__BASE_URL": f"http://127.0.0.1:{free_port()}/bot",  # closed: never called
        "SIXTCAP_WHATSAPP_ACCESS_TOKEN": "bench-token",
        "SIXTCAP_WHATSAPP_APP_SECRET": WHATSAPP_SECRET,
        "SIXTCAP_LIMITS__WIDGET_PER_CONVERSATION": unlimited,
        "SIXTCAP_LIMITS__WIDGET_PER_IP": unlimited,
        "SIXTCAP_LIMITS__WIDGET_GLOBAL": unlimited,
        "SIXTCAP_LIMITS__WEBHOOK_PER_CHAT": unlimited,
        "SIXTCAP_LIMITS__WEBHOOK_GLOBAL": unlimited,
        "SIXTCAP_HANDOFF__MAX_PER_HOUR": "1000000",
    }


def start_sixtcap(database_url: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    env = sixtcap_environment(database_url, port)
    sixtcap = [str(Path(PYTHON).parent / "sixtcap")]
    for step in (["db", "upgrade"], ["catalogue", "load"]):
        subprocess.run([*sixtcap, *step], env=env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return subprocess.Popen([*sixtcap, "serve", "--workers", str(workers)], env=env, cwd=ROOT)


def postgres_database() -> tuple[str, str]:
    """A throwaway database on the test server: (its URL, the admin URL to drop it with)."""
    import psycopg
    from sqlalchemy.engine import make_url

    admin = os.environ.get("SIXTCAP_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
    name = f"sixtcap_load_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    return make_url(admin).set(database=name).render_as_string(hide_password=False), admin


def drop_postgres(url: str, admin: str) -> None:
    import psycopg
    from sqlalchemy.engine import make_url

    name = make_url(url).database
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# -- the youths ---------------------------------------------------------------------------------------


class Youth:
    """One simulated youth on one channel, going through a conversation again and again."""

    update_ids = itertools.count(1)

    def __init__(self, number: int, base: str) -> None:
        self.channel = ("widget", "telegram", "whatsapp")[number % 3]
        self.user = str(uuid.uuid4()) if self.channel == "widget" else str(10_000_000 + number)
        self.lines = itertools.cycle(CONVERSATIONS[number % len(CONVERSATIONS)])
        self.base = base

    def next_request(self) -> tuple[str, bytes, dict[str, str]]:
        line = next(self.lines)
        text, payload = (None, line[1:]) if line.startswith("@") else (line, None)
        if self.channel == "widget":
            body: dict[str, Any] = {"conversation_id": self.user, "message_id": str(uuid.uuid4())}
            body |= {"payload": payload} if payload else {"text": text}
            return "/widget/messages", json.dumps(body).encode(), {"Content-Type": "application/json"}
        if self.channel == "telegram":
            return (
                "/webhooks/telegram",
                telegram_update(self.user, text, payload),
                {
                    "Content-Type": "application/json",
                    "X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET,
                },
            )
        raw = whatsapp_notification(self.user, text, payload)
        signature = "sha256=" + hmac.new(WHATSAPP_SECRET.encode(), raw, hashlib.sha256).hexdigest()
        return (
            "/webhooks/whatsapp",
            raw,
            {"Content-Type": "application/json", "X-Hub-Signature-256": signature},
        )


def telegram_update(user: str, text: str | None, payload: str | None) -> bytes:
    update_id = next(Youth.update_ids)
    sender = {"id": int(user), "is_bot": False, "first_name": "Y"}
    chat = {"id": int(user), "type": "private", "first_name": "Y"}
    if payload:
        query = {"id": str(update_id), "from": sender, "chat_instance": "c", "data": payload,
                 "message": {"message_id": 1, "date": int(time.time()), "chat": chat}}  # fmt: skip
        return json.dumps({"update_id": update_id, "callback_query": query}).encode()
    message = {"message_id": update_id, "date": int(time.time()), "chat": chat, "from": sender, "text": text}
    return json.dumps({"update_id": update_id, "message": message}).encode()


def whatsapp_notification(user: str, text: str | None, payload: str | None) -> bytes:
    stamp = str(int(time.time()))
    message: dict[str, Any] = {"from": user, "id": f"wamid.{uuid.uuid4().hex}", "timestamp": stamp}
    if payload:
        reply = {"type": "button_reply", "button_reply": {"id": payload, "title": payload}}
        message |= {"type": "interactive", "interactive": reply}
    else:
        message |= {"type": "text", "text": {"body": text}}
    value = {"messaging_product": "whatsapp", "messages": [message]}
    notification = {"object": "whatsapp_business_account", "entry": [{"changes": [{"value": value}]}]}
    return json.dumps(notification).encode()


async def drive(base: str, youths: int, seconds: float, connections: int) -> Figures:
    """Capacity: each youth sends its next message as soon as its previous one is answered (a youth waits
    for the reply), `connections` of them at a time."""
    return await drive_people([Youth(n, base) for n in range(youths)], base, seconds, connections)


async def drive_people(people: list[Youth], base: str, seconds: float, connections: int) -> Figures:
    figures = Figures()
    queue: asyncio.Queue[Youth] = asyncio.Queue()
    for person in people:
        queue.put_nowait(person)
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=10) as client:
        stop = time.monotonic() + seconds

        async def worker() -> None:
            while time.monotonic() < stop:
                person = await queue.get()
                await send(client, person, time.perf_counter(), figures)
                queue.put_nowait(person)

        began = time.monotonic()
        await asyncio.gather(*(worker() for _ in range(connections)))
        figures.seconds = time.monotonic() - began
    return figures


async def send(client: httpx.AsyncClient, person: Youth, since: float, figures: Figures) -> None:
    """Post the youth's next message; its latency counts from `since` (when it was due)."""
    path, body, headers = person.next_request()
    try:
        response = await client.post(path, content=body, headers=headers)
        status = response.status_code
    except httpx.HTTPError:
        status = 0
    figures.statuses[status] = figures.statuses.get(status, 0) + 1
    if status == 200:
        figures.latencies.append(time.perf_counter() - since)
    else:
        figures.errors += 1


async def drive_at_rate(people: list[Youth], base: str, seconds: float, rate: float) -> Figures:
    """Latency at a given load: messages arrive at `rate` per second whatever the server does (a youth
    who is still waiting for a reply lets another one write), each timed from when it was due, so that
    a slow server is not excused by having slowed the arrivals down."""
    figures = Figures()
    idle: asyncio.Queue[Youth] = asyncio.Queue()
    for person in people:
        idle.put_nowait(person)
    limits = httpx.Limits(max_connections=len(people), max_keepalive_connections=len(people))
    tasks: set[asyncio.Task[None]] = set()
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=10) as client:

        async def one(person: Youth, due: float) -> None:
            await send(client, person, due, figures)
            idle.put_nowait(person)

        began = time.perf_counter()
        for number in range(int(seconds * rate)):
            due = began + number / rate
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            person = await idle.get()
            task = asyncio.create_task(one(person, due))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        await asyncio.gather(*tasks)
        figures.seconds = time.perf_counter() - began
    return figures


async def drive_bare(base: str, seconds: float, connections: int) -> Figures:
    figures = Figures()
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=10) as client:
        stop = time.monotonic() + seconds

        async def worker() -> None:
            while time.monotonic() < stop:
                body = {"conversation_id": str(uuid.uuid4()), "text": "salut"}
                started = time.perf_counter()
                try:
                    status = (await client.post("/echo", json=body)).status_code
                except httpx.HTTPError:
                    status = 0
                if status == 200:
                    figures.latencies.append(time.perf_counter() - started)
                else:
                    figures.errors += 1

        began = time.monotonic()
        await asyncio.gather(*(worker() for _ in range(connections)))
        figures.seconds = time.monotonic() - began
    return figures


def merge(total: Figures, part: Figures) -> None:
    total.latencies += part.latencies
    total.errors += part.errors
    total.seconds += part.seconds
    for status, number in part.statuses.items():
        total.statuses[status] = total.statuses.get(status, 0) + number


def line(name: str, figures: Figures, rss: int | None = None) -> str:
    memory = f", RSS {rss / 1024:.0f} MiB" if rss is not None else ""
    return (
        f"{name:<22} {figures.rate:8.1f} msg/s  p50 {figures.percentile(50):6.1f} ms  "
        f"p99 {figures.percentile(99):7.1f} ms  errors {figures.errors}{memory}"
    )


def measure(
    base: str, bare_base: str, people: list[Youth], args: argparse.Namespace
) -> tuple[Figures, Figures]:
    """Capacity of sixtcap and of the bare endpoint, in alternate slices (`--rounds`), so that whatever
    else runs on the machine meanwhile weighs on both alike."""
    figures, ceiling = Figures(), Figures()
    part = args.seconds / args.rounds
    for _ in range(args.rounds):
        merge(figures, asyncio.run(drive_people(people, base, part, args.connections)))
        merge(ceiling, asyncio.run(drive_bare(bare_base, part, args.connections)))
    return figures, ceiling


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--postgres", action="store_true", help="PostgreSQL with 2 processes (else SQLite, 1)"
    )
    parser.add_argument("--workers", type=int, default=None, help="server processes (default 1 / 2)")
    parser.add_argument("--youths", type=int, default=48)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=20, help="capacity: for each server")
    parser.add_argument("--rounds", type=int, default=5, help="capacity: alternate slices per server")
    parser.add_argument("--latency-seconds", type=float, default=15, help="latency at a fixed rate")
    parser.add_argument(
        "--rate", type=float, default=None, help="messages/s of the latency run (default: 25 %% of ceiling)"
    )
    parser.add_argument("--warmup", type=float, default=3)
    args = parser.parse_args()
    workers = args.workers or (2 if args.postgres else 1)
    folder = Path(tempfile.mkdtemp(prefix="sixtcap-load-"))
    if args.postgres:
        database_url, admin = postgres_database()
    else:
        database_url, admin = f"sqlite:///{folder}/sixtcap.db", ""
    bare_port, port = free_port(), free_port()
    bare = start_bare(folder, bare_port)
    server = start_sixtcap(database_url, port, workers)
    try:
        wait_ready(f"http://127.0.0.1:{bare_port}/docs", bare)
        wait_ready(f"http://127.0.0.1:{port}/livez", server)
        base, bare_base = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{bare_port}"
        people = [Youth(n, base) for n in range(args.youths)]
        asyncio.run(drive_people(people, base, args.warmup, args.connections))  # model, caches, pools
        asyncio.run(drive_bare(bare_base, args.warmup, args.connections))
        rss_before = rss_kib(server.pid)
        figures, ceiling = measure(base, bare_base, people, args)
        rate = args.rate or 0.25 * ceiling.rate
        at_rate = asyncio.run(drive_at_rate(people, base, args.latency_seconds, rate))
        rss_after = rss_kib(server.pid)
    finally:
        serving = children(server.pid)
        for process in (server, bare):
            process.send_signal(signal.SIGTERM)
        for process in (server, bare):
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                for pid in serving:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
                process.kill()
        if admin:
            drop_postgres(database_url, admin)
    backend = f"PostgreSQL, {workers} processes" if args.postgres else f"SQLite, {workers} process(es)"
    print(f"load over loopback: {args.youths} youths (widget, Telegram, WhatsApp), {args.connections} "
          f"connections, {args.seconds:.0f} s per server in {args.rounds} alternate slices, "
          f"{os.cpu_count()} CPUs; {backend}")  # fmt: skip
    print(line("sixtcap (capacity)", figures, rss_after))
    print(line("bare FastAPI (ceiling)", ceiling))
    ratio = figures.rate / ceiling.rate if ceiling.rate else 0.0
    print(line(f"sixtcap at {rate:.0f} msg/s", at_rate))
    statuses = [dict(sorted(f.statuses.items())) for f in (figures, at_rate)]
    print(f"ratio {ratio:.1%} of the ceiling; RSS {rss_before / 1024:.0f} -> {rss_after / 1024:.0f} MiB; "
          f"statuses {statuses[0]} / {statuses[1]}")  # fmt: skip
    errors = figures.errors + at_rate.errors
    met = ratio >= 0.25 and at_rate.percentile(99) <= 50 and errors == 0
    print(
        "targets (capacity >= 25 % of the ceiling; p99 <= 50 ms at 25 % of the ceiling; no error):",
        "met" if met else "NOT met",
    )


if __name__ == "__main__":
    main()
