"""Running it for real: /metrics behind its token, /livez and /readyz saying what is wrong, `sixtcap worker`
stopping gracefully (claimed outbox rows given back), `sixtcap serve --workers N`, migrations run once
by processes starting together, and an upgrade from a database of the first release."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import Engine, select, text

from bot.catalogue.files import read_catalogue
from bot.catalogue.loader import load_catalogue
from bot.db import make_engine, session_factory, transaction
from bot.migrations import upgrade
from bot.models import Handoff, OutboxMessage, Youth
from bot.outbox import enqueue
from bot.territory import Territory
from nlu.parser import EmbeddedParser
from sixtcap.health import expected_revision
from tests.conftest import DATA, channel_settings, running_app
from tests.served import free_port, serving
from tests.stubs.platforms import StubTelegram
from tests.waiting import wait_for

SIXTCAP = str(Path(sys.executable).parent / "sixtcap")
TOKEN = "metrics-test-token"
STOPPED = (0, -signal.SIGTERM)  # uvicorn shuts down, then lets SIGTERM end it (systemd: a clean stop)


def metric(body: str, name: str, default: float | None = None) -> float:
    """The value of one sample line (`name{labels}` exactly as written)."""
    for line in body.splitlines():
        if line.startswith(name + " "):
            return float(line.rsplit(" ", 1)[1])
    if default is not None:
        return default
    raise AssertionError(f"{name} not in the metrics")


def test_metrics_need_the_token_and_count_what_matters(loaded_engine: Engine, parser: EmbeddedParser) -> None:
    with running_app(channel_settings(), loaded_engine, parser) as client:
        assert client.get("/metrics").status_code == 404  # no token configured: metrics are off
    settings = channel_settings(metrics_token=SecretStr(TOKEN))
    with running_app(settings, loaded_engine, parser) as client:
        assert client.get("/metrics").status_code == 401
        assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
        auth = {"Authorization": f"Bearer {TOKEN}"}
        first = client.get("/metrics", headers=auth).text
        conversation = "5b8d7c36-3f0b-4c54-a5a8-0d8e8f1d2c11"
        for message in ("salut", "gfdsgfdsgfds", "je veux mourir"):
            client.post("/widget/messages", json={"conversation_id": conversation, "text": message})
        now = datetime.now(UTC)
        with transaction(loaded_engine) as session:
            youth = session.scalars(select(Youth)).first()
            assert youth is not None
            partner = session.scalar(text("SELECT id FROM partners LIMIT 1"))
            session.add(Handoff(youth_id=youth.id, partner_id=partner, status="pending", urgent=True,
                                created_at=now))  # fmt: skip
            enqueue(session, youth.id, "telegram", "42", [{"method": "sendMessage"}], now)
        body = client.get("/metrics", headers=auth).text
    channel = '{channel="widget"}'
    assert (
        metric(body, f"sixtcap_messages_in_total{channel}")
        - metric(first, f"sixtcap_messages_in_total{channel}", 0)
        == 3
    )
    assert metric(body, f"sixtcap_messages_out_total{channel}") >= 3
    assert metric(body, f"sixtcap_crisis_total{channel}") >= 1
    assert metric(body, f"sixtcap_nlu_fallback_total{channel}") >= 1
    assert metric(body, f"sixtcap_turn_seconds_count{channel}") >= 3
    assert metric(body, 'sixtcap_handoffs_waiting{urgent="true"}') == 1
    assert metric(body, 'sixtcap_handoff_oldest_waiting_seconds{urgent="true"}') >= 0
    assert metric(body, 'sixtcap_outbox_backlog{channel="telegram"}') == 1
    assert metric(body, "sixtcap_database_up") == 1
    assert metric(body, 'sixtcap_http_responses_total{route="/widget",status="2xx"}') >= 3
    assert conversation not in body and "mourir" not in body  # no identifier, no text


def test_readiness_and_liveness_say_what_is_wrong(
    database_url: str, parser: EmbeddedParser, territory: Territory
) -> None:
    engine = make_engine(database_url)
    upgrade(engine, "0005")
    with running_app(channel_settings(), engine, parser) as client:
        assert client.get("/livez").json() == {"status": "ok", "problems": []}
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["problems"] == [
            f"database schema is 0005, this code needs {expected_revision(engine)}: run `sixtcap db upgrade`"
        ]
        upgrade(engine)
        assert "catalogue has no active service" in client.get("/readyz").json()["problems"][0]
        load_catalogue(engine, read_catalogue(DATA / "catalogue", territory), territory)
        ready = client.get("/readyz")
        assert ready.status_code == 200 and ready.json()["problems"] == []
    engine.dispose()
    down = make_engine("postgresql://nobody@127.0.0.1:1/none")
    with running_app(channel_settings(), down, parser) as client:
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["problems"] == ["database unreachable (OperationalError)"]
        assert client.get("/livez").status_code == 200  # alive: restarting would not bring the database


class HangingTelegram(StubTelegram):
    """Telegram that takes every sendMessage and never answers it (until released)."""

    def __init__(self) -> None:
        self.release = threading.Event()
        super().__init__()

    def answer(self, verb: str, path: str, raw: bytes, headers: dict[str, str]) -> tuple[int, Any]:
        if path.endswith("/sendMessage"):
            with self.lock:
                self.calls.append({"method": "sendMessage-hanging"})
            self.release.wait(60)
        return super().answer(verb, path, raw, headers)


@pytest.mark.slow
def test_worker_stops_gracefully_and_gives_back_the_rows_it_claimed(
    database_url: str, tmp_path: Path
) -> None:
    engine = make_engine(database_url)
    upgrade(engine)
    now = datetime.now(UTC)
    with transaction(engine) as session:
        youth = Youth(channel="telegram", user_ref="w1", created_at=now, last_seen_at=now)
        session.add(youth)
        session.flush()
        enqueue(
            session, youth.id, "telegram", "4242", [{"method": "sendMessage", "params": {"text": "x"}}], now
        )
    stub = HangingTelegram()
    port = free_port()
    env = {
        **os.environ,
        "SIXTCAP_DATABASE_URL": database_url,
        "SIXTCAP_VAR_DIR": str(tmp_path),
        "SIXTCAP_TELEGRAM_BOT_TOKEN": "123:TEST",
        "SIXTCAP_TELEGRAM__BASE_URL": f"{stub.url}/bot",
        "SIXTCAP_OUTBOX__TIMEOUT_SECONDS": "60",
        "SIXTCAP_OUTBOX__POLL_SECONDS": "0.1",
        "SIXTCAP_SERVER__SHUTDOWN_GRACE_SECONDS": "1",
    }
    log = (tmp_path / "worker.log").open("w")
    worker = subprocess.Popen([SIXTCAP, "worker", "--port", str(port)], env=env, stdout=log, stderr=log)
    try:
        wait_for(lambda: any(c["method"] == "sendMessage-hanging" for c in stub.calls), 30, "a send")
        with session_factory(engine)() as session:
            row = session.scalars(select(OutboxMessage)).one()
            assert (row.status, row.attempts) == ("sending", 1)
        live = httpx.get(f"http://127.0.0.1:{port}/livez", timeout=5)
        assert live.json() == {"status": "ok", "problems": []}
        assert httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5).status_code == 503  # no catalogue
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=20) in STOPPED
    finally:
        if worker.poll() is None:
            worker.kill()
        stub.release.set()
        stub.stop()
        log.close()
    with session_factory(engine)() as session:
        row = session.scalars(select(OutboxMessage)).one()
        # given back at once, the interrupted try not counted: another sender takes it now, not in 30 s
        assert (row.status, row.claimed_until, row.attempts) == ("pending", None, 0)
    logged = (tmp_path / "worker.log").read_text()
    assert "1 outbox row(s) released" in logged and "Application shutdown complete" in logged
    engine.dispose()


@pytest.mark.slow
def test_processes_starting_together_migrate_once(database_url: str, tmp_path: Path) -> None:
    env = {**os.environ, "SIXTCAP_DATABASE_URL": database_url, "SIXTCAP_VAR_DIR": str(tmp_path)}
    upgrades = [
        subprocess.Popen([SIXTCAP, "db", "upgrade"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(4)
    ]
    results = [(p.wait(timeout=120), p.stderr.read().decode() if p.stderr else "") for p in upgrades]
    assert all(code == 0 for code, _ in results), results
    engine = make_engine(database_url)
    with engine.connect() as connection:
        assert connection.scalar(text("SELECT version_num FROM alembic_version")) == expected_revision(engine)
        assert connection.scalar(text("SELECT count(*) FROM alembic_version")) == 1
    engine.dispose()


def test_a_database_of_the_first_release_upgrades_with_its_data(
    database_url: str, territory: Territory
) -> None:
    engine = make_engine(database_url)
    upgrade(engine, "0001")  # what the first release created
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO youths (channel, user_ref, created_at, last_seen_at) "
            "VALUES ('telegram', 'first-release-youth', '2026-11-20 10:00:00+00', '2026-11-20 10:05:00+00')"
        ))  # fmt: skip
    upgrade(engine)
    with session_factory(engine)() as session:
        youth = session.scalars(select(Youth)).one()
        assert (youth.user_ref, youth.under_15, youth.address) == ("first-release-youth", False, None)
    load_catalogue(engine, read_catalogue(DATA / "catalogue", territory), territory)
    with transaction(engine) as session:  # the upgraded schema takes today's rows
        partner = session.scalar(text("SELECT id FROM partners LIMIT 1"))
        session.add(Handoff(youth_id=youth.id, partner_id=partner, status="pending", crisis_kind="suicide"))
    engine.dispose()


@pytest.mark.slow
def test_serve_with_several_workers_shares_metrics_and_stops_cleanly(
    postgres_url: str, tmp_path: Path
) -> None:
    url = postgres_url
    port = free_port()
    env = {
        **os.environ,
        "SIXTCAP_DATABASE_URL": url,
        "SIXTCAP_VAR_DIR": str(tmp_path),
        "SIXTCAP_SECRET_KEY": "workers-key",
        "SIXTCAP_METRICS_TOKEN": TOKEN,
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    log = (tmp_path / "serve.log").open("w")
    server = subprocess.Popen(
        [SIXTCAP, "serve", "--workers", "2", "--no-jobs", "--migrate", "--port", str(port)],
        env=env, stdout=log, stderr=log,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:

        def answers() -> bool:
            try:
                return httpx.get(f"{base}/livez", timeout=2).status_code == 200
            except httpx.TransportError:
                return False

        wait_for(answers, 180, "sixtcap serve")  # each worker loads the NLU models: slow on a busy machine
        assert subprocess.run([SIXTCAP, "catalogue", "load"], env=env, timeout=120).returncode == 0
        assert httpx.get(f"{base}/readyz", timeout=5).json()["problems"] == []
        for _ in range(8):  # spread over both workers by the kernel
            reply = httpx.post(f"{base}/widget/messages", json={"conversation_id": str(uuid.uuid4()), "text": "salut"},
                               timeout=20)  # fmt: skip
            assert reply.status_code == 200, reply.text
        body = httpx.get(f"{base}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5).text
        assert metric(body, 'sixtcap_messages_in_total{channel="widget"}') == 8  # whichever worker answered
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=30) in STOPPED
    finally:
        if server.poll() is None:
            server.kill()
        log.close()


@pytest.mark.slow
def test_a_turn_in_progress_finishes_when_serve_is_stopped(postgres_url: str, tmp_path: Path) -> None:
    """SIGTERM (systemctl stop, an upgrade) while a youth's turn waits for the database: the turn ends,
    its reply reaches the youth and is stored, and only then does the process exit."""
    settings = {"SIXTCAP_SERVER__SHUTDOWN_GRACE_SECONDS": "30"}
    conversation = str(uuid.uuid4())
    with serving(tmp_path, postgres_url, settings) as (base, server):
        first = httpx.post(f"{base}/widget/messages", json={"conversation_id": conversation, "text": "salut"})
        assert first.status_code == 200, first.text
        engine = make_engine(postgres_url)
        with engine.connect() as blocker, blocker.begin():  # another turn of this youth, in the middle
            blocker.execute(text("SELECT id FROM youths FOR UPDATE"))
            answer: dict[str, httpx.Response] = {}
            body = {"conversation_id": conversation, "text": "jai 19 ans jcherche un taf a champi"}
            turn = threading.Thread(
                target=lambda: answer.update(r=httpx.post(f"{base}/widget/messages", json=body, timeout=60))
            )
            turn.start()

            def waiting_on_the_lock() -> bool:
                with engine.connect() as watcher:
                    query = "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                    return bool(watcher.scalar(text(query)))

            wait_for(waiting_on_the_lock, 30, "the second turn to wait for the youth's row")
            server.send_signal(signal.SIGTERM)
            wait_for(lambda: "Waiting for connections to close" in (tmp_path / "serve.log").read_text(), 20,
                     "the server to start shutting down")  # fmt: skip
            assert server.poll() is None  # still there: the turn is not done
        turn.join(timeout=60)  # the other turn committed: this one goes on
        assert server.wait(timeout=30) in STOPPED
        engine.dispose()
    reply = answer["r"]
    assert reply.status_code == 200, reply.text
    assert any(m["cards"] for m in reply.json()["messages"]), reply.text  # services for a job, nearby
    engine = make_engine(postgres_url)
    with engine.connect() as connection:
        stored = connection.scalars(
            text("SELECT text FROM messages WHERE direction = 'in' ORDER BY id")
        ).all()
    engine.dispose()
    assert stored[-1] == "jai 19 ans jcherche un taf a champi"
