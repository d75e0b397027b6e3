"""Telegram end to end: real Update JSON posted to our webhook, python-telegram-bot sending the replies
to a stub Bot API server on 127.0.0.1, the outbox in between, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import Engine, func, select

from bot.brain import Brain
from bot.config import TelegramSettings
from bot.db import session_factory
from bot.models import DailyTally, Message, OutboxMessage, Youth
from bot.throttle import Throttle
from nlu.parser import EmbeddedParser
from tests.conftest import channel_settings, running_app
from tests.stubs.platforms import StubTelegram
from tests.waiting import OUTAGE_SECONDS, wait_until_settled

SECRET = "s3cret-Token_123"
HEADERS = {"X-Telegram-Bot-Api-Secret-Token": SECRET}


@pytest.fixture
def stub() -> Iterator[StubTelegram]:
    server = StubTelegram()
    yield server
    server.stop()


@pytest.fixture
def client(stub: StubTelegram, loaded_engine: Engine, parser: EmbeddedParser) -> Iterator[TestClient]:
    settings = channel_settings(
        telegram_bot_token=SecretStr("123456:TEST-token"),
        telegram_webhook_secret=SecretStr(SECRET),
        telegram=TelegramSettings(base_url=f"{stub.url}/bot"),
    )
    with running_app(settings, loaded_engine, parser) as test_client:
        yield test_client


def message(update_id: int, text: str, user: int = 42) -> dict[str, Any]:
    person = {"id": user, "is_bot": False, "first_name": "Sam", "language_code": "fr"}
    return {
        "update_id": update_id,
        "message": {"message_id": update_id, "date": 1764115200, "chat": {"id": user, "type": "private", "first_name": "Sam"},
                    "from": person, "text": text},
    }  # fmt: skip


def tap(update_id: int, data: str, user: int = 42) -> dict[str, Any]:
    person = {"id": user, "is_bot": False, "first_name": "Sam"}
    return {
        "update_id": update_id,
        "callback_query": {"id": f"cbq{update_id}", "from": person, "chat_instance": "ci", "data": data,
                           "message": {"message_id": 9, "date": 1764115200, "chat": {"id": user, "type": "private"},
                                       "from": {"id": 7000, "is_bot": True, "first_name": "sixtcap"}, "text": "…"}},
    }  # fmt: skip


def texts(stub: StubTelegram, chat: int = 42) -> list[str]:
    return [c["text"] for c in stub.sent() if int(c["chat_id"]) == chat]


def counts(engine: Engine) -> tuple[int, int, int]:
    with session_factory(engine)() as session:
        return tuple(
            session.scalar(select(func.count()).select_from(t)) or 0 for t in (Youth, Message, OutboxMessage)
        )  # type: ignore[return-value]


def test_a_message_gets_the_welcome_with_buttons(client: TestClient, stub: StubTelegram) -> None:
    assert client.post("/webhooks/telegram", json=message(1, "salut"), headers=HEADERS).status_code == 200
    calls = stub.wait_for(lambda calls: len(stub.sent(calls)) >= 3)
    assert next(c["method"] for c in calls) == "getMe"
    sent = stub.sent(calls)
    assert "sixtcap" in sent[0]["text"] and "oublie-moi" in sent[1]["text"]
    keyboard = sent[2]["reply_markup"]["inline_keyboard"]
    assert {"text": "Papiers", "callback_data": "concern:paperwork"} in [
        key for row in keyboard for key in row
    ]


def test_a_button_tap_is_answered_and_handled(client: TestClient, stub: StubTelegram) -> None:
    client.post("/webhooks/telegram", json=message(1, "salut"), headers=HEADERS)
    assert client.post("/webhooks/telegram", json=tap(2, "concern:job"), headers=HEADERS).status_code == 200
    calls = stub.wait_for(lambda calls: any("Tu habites où" in c["text"] for c in stub.sent(calls)))
    assert any(
        c["method"] == "answerCallbackQuery" and c["params"]["callback_query_id"] == "cbq2" for c in calls
    )


def test_results_arrive_as_cards_with_link_buttons(client: TestClient, stub: StubTelegram) -> None:
    client.post(
        "/webhooks/telegram",
        json=message(1, "jsuis de champi j'ai 19 ans je veux passer le permis"),
        headers=HEADERS,
    )
    sent = stub.wait_for(lambda calls: any("Aide au permis" in c["text"] for c in stub.sent(calls)))
    card = next(c for c in stub.sent(sent) if "Aide au permis" in c["text"])
    assert card["parse_mode"] == "HTML" and card["text"].startswith("<b>")
    keys = [key for row in card["reply_markup"]["inline_keyboard"] for key in row]
    assert any(
        "/village/stands/" in key.get("url", "") for key in keys
    )  # the partner's stand, served by sixtcap
    assert {"text": "Autre chose", "callback_data": "other"} in keys


def test_deep_link_source_and_media(client: TestClient, stub: StubTelegram, loaded_engine: Engine) -> None:
    client.post("/webhooks/telegram", json=message(1, "/start qr-bois-l-abbe"), headers=HEADERS)
    sticker = message(2, "")
    del sticker["message"]["text"]
    sticker["message"]["sticker"] = {"file_id": "f", "file_unique_id": "u", "width": 512, "height": 512,
                                     "is_animated": False, "is_video": False, "type": "regular"}  # fmt: skip
    client.post("/webhooks/telegram", json=sticker, headers=HEADERS)
    stub.wait_for(lambda calls: any("que les messages écrits" in c["text"] for c in stub.sent(calls)))
    assert "sixtcap" in texts(stub)[0]
    with session_factory(loaded_engine)() as session:
        assert session.scalars(select(Youth.source)).one() == "qr-bois-l-abbe"
        new = select(DailyTally.channel, DailyTally.count).where(
            DailyTally.source == "qr-bois-l-abbe", DailyTally.metric == "new"
        )
        assert session.execute(new).all() == [("telegram", 1)]  # counted once in the statistics


@pytest.mark.parametrize("headers", [{}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}])
def test_forged_or_missing_secret_is_refused_and_nothing_stored(
    client: TestClient, stub: StubTelegram, loaded_engine: Engine, headers: dict[str, str]
) -> None:
    before = counts(loaded_engine)
    response = client.post("/webhooks/telegram", json=message(1, "salut"), headers=headers)
    assert response.status_code == 403
    wait_until_settled(loaded_engine)  # nothing stored, so nothing queued: the sender has nothing to send
    assert counts(loaded_engine) == before and stub.sent() == []


def test_the_same_update_three_times_gets_one_reply(
    client: TestClient, stub: StubTelegram, loaded_engine: Engine
) -> None:
    for _ in range(3):
        assert (
            client.post("/webhooks/telegram", json=message(77, "salut"), headers=HEADERS).status_code == 200
        )
    stub.wait_for(lambda calls: len(stub.sent(calls)) >= 3)
    wait_until_settled(loaded_engine)  # every queued reply went out: no more calls will come
    assert len(stub.sent()) == 3


def test_rate_limit_is_honoured(client: TestClient, stub: StubTelegram) -> None:
    stub.rate_limit_next = 1
    client.post("/webhooks/telegram", json=message(1, "salut"), headers=HEADERS)
    calls = stub.wait_for(lambda calls: len(stub.sent(calls)) >= 3, timeout=20)
    refused = next(i for i, c in enumerate(calls) if c["method"] == "429")
    assert calls[refused + 1]["method"] == "sendMessage"
    assert next(c["text"] for c in stub.sent(calls)) == calls[refused]["params"]["text"]  # the same, in order
    assert len(stub.sent(calls)) == 3


def test_an_update_is_counted_and_handled_in_one_worker_thread(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its rates and its turn: one hop from the event loop to a worker thread and back, not two."""
    threads: dict[str, set[int]] = {"hit": set(), "handle": set()}
    hit, handle = Throttle.hit, Brain.handle

    def noted_hit(self: Throttle, *arguments: Any) -> None:
        threads["hit"].add(threading.get_ident())
        hit(self, *arguments)

    def noted_handle(self: Brain, *arguments: Any) -> Any:
        threads["handle"].add(threading.get_ident())
        return handle(self, *arguments)

    monkeypatch.setattr(Throttle, "hit", noted_hit)
    monkeypatch.setattr(Brain, "handle", noted_handle)
    response = client.post("/webhooks/telegram", json=message(500, "salut", user=4242), headers=HEADERS)
    assert response.status_code == 200
    assert len(threads["hit"]) == 1 and threads["hit"] == threads["handle"]
    assert threading.get_ident() not in threads["hit"]


def test_bad_bodies_are_clear_4xx(client: TestClient) -> None:
    response = client.post(
        "/webhooks/telegram", content=b"{not json", headers={**HEADERS, "Content-Type": "application/json"}
    )
    assert response.status_code == 400 and "not a Telegram update" in response.json()["detail"]


@pytest.mark.slow
def test_platform_down_for_a_while_then_everything_delivered_once(
    client: TestClient, stub: StubTelegram, loaded_engine: Engine
) -> None:
    stub.stop()
    for update_id, (user, text) in enumerate(
        [(1, "salut"), (2, "jcherche du taf"), (1, "jcherche du taf")], start=10
    ):
        assert (
            client.post(
                "/webhooks/telegram", json=message(update_id, text, user=user), headers=HEADERS
            ).status_code
            == 200
        )
    time.sleep(OUTAGE_SECONDS)  # the platform's outage itself (SIXTCAP_TEST_OUTAGE_SECONDS, 30 for real)
    stub.start()
    stub.wait_for(lambda calls: len(stub.sent(calls)) >= 7, timeout=OUTAGE_SECONDS + 40)
    wait_until_settled(loaded_engine)
    keys = [(int(c["chat_id"]), c["text"]) for c in stub.sent()]
    assert len(keys) == len(set(keys)) == 7  # each reply once: nothing lost, nothing twice
    first = [text for chat, text in keys if chat == 1]
    assert "sixtcap" in first[0] and "Qu'est-ce qui te préoccupe" in first[2] and "Tu habites où" in first[3]
    with session_factory(loaded_engine)() as session:
        statuses = session.scalars(select(OutboxMessage.status)).all()
    assert set(statuses) == {"sent"}
