"""Faults a youth must not notice: Telegram unreachable when sixtcap starts (its webhook still takes
messages, the replies go out once Telegram answers), a platform down for hours (retried, then given up
with an alert past the cap), notifications a partner receives twice recognisable as one. On SQLite and
PostgreSQL."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from sqlalchemy import Engine, select

from bot.brain import Brain
from bot.catalogue.files import read_catalogue
from bot.catalogue.loader import load_catalogue
from bot.config import OutboxSettings, TelegramSettings, load_settings
from bot.db import make_engine, session_factory, transaction
from bot.messages import Incoming
from bot.migrations import upgrade
from bot.models import OutboxMessage, Youth
from bot.outbox import enqueue
from bot.resources import Resources
from bot.territory import Territory
from nlu.parser import EmbeddedParser
from tests.conftest import DATA, PSEUDONYMS, channel_settings, running_app
from tests.stubs.platforms import StubTelegram
from webhooks.delivery import Outcome, Retry
from webhooks.notifications import WebhookClient
from webhooks.sender import Sender

SECRET = "s3cret-Token_123"


def update(update_id: int, text: str, user: int = 7) -> dict[str, Any]:
    chat = {"id": user, "type": "private", "first_name": "Y"}
    sender = {"id": user, "is_bot": False, "first_name": "Y"}
    return {
        "update_id": update_id,
        "message": {"message_id": update_id, "date": 1764000000, "chat": chat, "from": sender, "text": text},
    }


def test_telegram_unreachable_at_start_up_then_back(loaded_engine: Engine, parser: EmbeddedParser) -> None:
    stub = StubTelegram()
    stub.stop()  # Telegram is down when sixtcap starts
    settings = channel_settings(
        telegram_bot_token=SecretStr("123456:TEST-token"),
        telegram_webhook_secret=SecretStr(SECRET),
        telegram=TelegramSettings(base_url=f"{stub.url}/bot", start_retry_max_seconds=1),
    )
    try:
        with running_app(settings, loaded_engine, parser) as client:
            headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
            answered = client.post("/webhooks/telegram", json=update(1, "salut"), headers=headers)
            assert answered.status_code == 200  # not 404: the message is taken and its replies wait
            stub.start()
            stub.wait_for(lambda calls: len(stub.sent(calls)) >= 3, timeout=30)
            assert "sixtcap" in stub.sent()[0]["text"]
            again = client.post("/webhooks/telegram", json=update(1, "salut"), headers=headers)
            assert again.status_code == 200
    finally:
        stub.stop()
    with session_factory(loaded_engine)() as session:
        assert set(session.scalars(select(OutboxMessage.status))) == {"sent"}


class Down:
    """A platform that always asks to try again."""

    def __init__(self) -> None:
        self.tries = 0

    async def send(self, row: Any) -> Outcome:
        self.tries += 1
        return Retry("platform down")


def test_an_outage_of_hours_is_ridden_out_then_the_message_is_given_up(engine: Engine) -> None:
    start = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
    with transaction(engine) as session:
        youth = Youth(channel="telegram", user_ref="u", created_at=start, last_seen_at=start)
        session.add(youth)
        session.flush()
        enqueue(
            session, youth.id, "telegram", "1", [{"method": "sendMessage", "params": {"text": "x"}}], start
        )
    now = [start]
    platform = Down()
    settings = OutboxSettings(pace_seconds=0, backoff_max_seconds=300, give_up_after_hours=24)
    sender = Sender(engine, {"telegram": platform}, settings, clock=lambda: now[0])

    def status() -> tuple[str, datetime]:
        with session_factory(engine)() as session:
            row = session.scalars(select(OutboxMessage)).one()
            return row.status, row.next_attempt_at

    for _ in range(400):  # the clock jumps to each next try
        asyncio.run(sender.run_once())
        state, due = status()
        if state != "pending":
            break
        now[0] = max(now[0], due)
    state, _ = status()
    assert state == "failed"
    hours = (now[0] - start) / timedelta(hours=1)
    assert 24 <= hours < 24.2 and 280 < platform.tries < 320  # tried all day, every 5 minutes at most


def test_a_partner_can_drop_a_repeated_notification(engine: Engine) -> None:
    received: list[dict[str, str]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            received.append(dict(self.headers))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    try:
        with transaction(engine) as session:
            now = datetime.now(UTC)
            youth = Youth(channel="widget", user_ref="u", created_at=now, last_seen_at=now)
            session.add(youth)
            session.flush()
            enqueue(session, youth.id, "webhook", url, [{"json": {"event": "handoff.created"}}], now)

        async def twice() -> None:  # a first send whose outcome was lost, then the retry
            client = WebhookClient()
            sender = Sender(engine, {"webhook": client}, OutboxSettings(pace_seconds=0))
            await sender.run_once()
            with transaction(engine) as session:
                for row in session.scalars(select(OutboxMessage)):
                    row.status = "pending"
            await sender.run_once()
            await client.aclose()

        asyncio.run(twice())
    finally:
        server.shutdown()
        server.server_close()
    keys = [headers.get("Idempotency-Key") for headers in received]
    assert len(keys) == 2 and keys[0] == keys[1] and keys[0] and keys[0].startswith("sixtcap-")


def test_an_erased_conversation_is_nowhere_in_the_sqlite_files(
    tmp_path: Path, territory: Territory, parser: EmbeddedParser
) -> None:
    path = tmp_path / "sixtcap.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    load_catalogue(engine, read_catalogue(DATA / "catalogue", territory), territory)
    brain = Brain(engine, Resources.load(load_settings()), parser, PSEUDONYMS)
    for text in ("salut", "jsuis enceinte de zorglubette et jsais pas quoi faire", "oublie-moi"):
        brain.handle(Incoming("widget", "secret-youth", text=text))

    def on_disk() -> bytes:
        return b"".join(p.read_bytes() for p in tmp_path.glob("sixtcap.db*"))

    assert b"zorglubette" in on_disk()  # written, before the erasure
    assert brain.handle(Incoming("widget", "secret-youth", payload="forget:yes")).erased
    assert b"zorglubette" not in on_disk()
    engine.dispose()


def test_the_database_never_waits_for_ever(engine: Engine) -> None:
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            assert connection.exec_driver_sql("SHOW statement_timeout").scalar() == "5s"
            assert connection.exec_driver_sql("SHOW lock_timeout").scalar() == "3s"
            assert connection.exec_driver_sql("SHOW idle_in_transaction_session_timeout").scalar() == "30s"
        else:
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
            assert connection.exec_driver_sql("PRAGMA secure_delete").scalar() == 1
