"""The outbox under load: several sender processes, each row sent once, chats paced, order kept; and
webhooks answering 503 while the database is away (the platform then retries)."""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import Engine, select
from telegram import Bot

from bot.config import OutboxSettings, load_settings
from bot.db import make_engine, session_factory, transaction
from bot.models import OutboxMessage, Youth
from bot.outbox import enqueue
from sixtcap.app import create_app
from tests.conftest import PSEUDONYMS
from tests.stubs.platforms import StubTelegram
from webhooks.sender import Sender
from webhooks.telegram import TelegramClient

FAST = OutboxSettings(
    poll_seconds=0.05, lease_seconds=30, pace_seconds=0.3, max_attempts=5, backoff_max_seconds=1
)


def fill(engine: Engine, chats: int, per_chat: int) -> None:
    now = datetime.now(UTC)
    with transaction(engine) as session:
        for chat in range(chats):
            youth = Youth(channel="telegram", user_ref=f"u{chat}", created_at=now, last_seen_at=now)
            session.add(youth)
            session.flush()
            requests = [{"method": "sendMessage", "params": {"text": f"{chat}-{n}"}} for n in range(per_chat)]
            enqueue(session, youth.id, "telegram", str(1000 + chat), requests, now)


async def run_senders(urls: list[str], stub: StubTelegram, seconds: float, until_sent: int = 0) -> None:
    """Run the senders for `seconds`, or, given `until_sent`, until that many messages reached the stub
    (`seconds` is then only a deadline: a busy machine must not make the test fail, only slower)."""

    async def one(url: str) -> None:
        bot = Bot("123:TEST", base_url=f"{stub.url}/bot")
        async with bot:
            sender = Sender(make_engine(url), {"telegram": TelegramClient(bot)}, FAST)
            task = asyncio.create_task(sender.run())
            deadline = asyncio.get_running_loop().time() + seconds
            while asyncio.get_running_loop().time() < deadline:
                await asyncio.sleep(0.1)
                if until_sent and sum(c["method"] == "sendMessage" for c in stub.calls) >= until_sent:
                    await asyncio.sleep(
                        FAST.pace_seconds * 2
                    )  # time enough for a second send of a row to show
                    break
            sender.stop()
            await task
            sender.engine.dispose()

    await asyncio.gather(*(one(url) for url in urls))


def test_several_senders_send_each_row_once_in_order_and_paced(engine: Engine) -> None:
    chats, per_chat = 6, 4
    fill(engine, chats, per_chat)
    stub = StubTelegram()
    try:
        url = engine.url.render_as_string(hide_password=False)
        asyncio.run(run_senders([url, url, url], stub, seconds=60.0, until_sent=chats * per_chat))
        sent = [c for c in stub.calls if c["method"] == "sendMessage"]
    finally:
        stub.stop()
    texts = [c["params"]["text"] for c in sent]
    assert sorted(texts) == sorted(f"{c}-{n}" for c in range(chats) for n in range(per_chat))  # each once
    for chat in range(chats):
        mine = [c for c in sent if int(c["params"]["chat_id"]) == 1000 + chat]
        assert [c["params"]["text"] for c in mine] == [f"{chat}-{n}" for n in range(per_chat)]  # in order
        gaps = [b["at"] - a["at"] for a, b in itertools.pairwise(mine)]
        assert min(gaps) >= FAST.pace_seconds * 0.9, gaps  # paced per chat
    with session_factory(engine)() as session:
        assert set(session.scalars(select(OutboxMessage.status))) == {"sent"}


def test_a_permanent_refusal_fails_the_row_without_blocking_the_chat(engine: Engine) -> None:
    fill(engine, 1, 2)
    stub = StubTelegram()

    def refuse_first(verb: str, path: str, raw: bytes, headers: dict[str, str]) -> tuple[int, Any]:
        if b"0-0" in raw:
            return 400, {"ok": False, "error_code": 400, "description": "Bad Request: chat not found"}
        return StubTelegram.answer(stub, verb, path, raw, headers)

    stub.answer = refuse_first  # type: ignore[method-assign]
    try:
        asyncio.run(run_senders([engine.url.render_as_string(hide_password=False)], stub, seconds=1.5))
    finally:
        stub.stop()
    with session_factory(engine)() as session:
        rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert [r.status for r in rows] == ["failed", "sent"]
    assert rows[0].last_error is not None and "bad request" in rows[0].last_error


def test_webhooks_answer_503_while_the_database_is_down(caplog: pytest.LogCaptureFixture) -> None:
    import hashlib
    import hmac
    import json

    from bot.brain import Brain
    from bot.resources import Resources
    from bot.understanding import embedded_parser

    settings = load_settings().model_copy(update={"whatsapp_app_secret": SecretStr("app-secret")})
    down = make_engine("postgresql://nobody@127.0.0.1:1/none")
    brain = Brain(down, Resources.load(settings), embedded_parser(settings), PSEUDONYMS)
    with TestClient(create_app(settings, down, brain)) as client:
        widget = client.post(
            "/widget/messages",
            json={"conversation_id": "7f1c6a52-8f7e-4c1e-9d8e-3f2a1b0c9d8e", "text": "salut"},
        )
        assert widget.status_code == 503 and "try again" in widget.json()["detail"]
        message = {
            "from": "336",
            "id": "wamid.1",
            "timestamp": "1764115200",
            "type": "text",
            "text": {"body": "salut"},
        }
        body = json.dumps({"entry": [{"changes": [{"value": {"messages": [message]}}]}]}).encode()
        signature = "sha256=" + hmac.new(b"app-secret", body, hashlib.sha256).hexdigest()
        response = client.post("/webhooks/whatsapp", content=body, headers={"X-Hub-Signature-256": signature})
        assert response.status_code == 503  # Meta retries: nothing is lost
    # each 503 is logged with its cause's class, never the statement's parameters (the youth's words)
    refusals = [r.getMessage() for r in caplog.records if "database unavailable (503)" in r.getMessage()]
    assert len(refusals) == 2 and all("OperationalError" in line for line in refusals)
    assert not any("salut" in r.getMessage() for r in caplog.records)
