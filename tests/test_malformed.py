"""Malformed payloads, signed or not, never make a 5xx (a platform would send them again for days): each
parser (Telegram, WhatsApp, widget) reads 10,000 generated inputs (broken JSON, the platforms' shapes
with any field replaced by anything, huge numbers, lone surrogates, deep nesting) and either refuses them
(a 4xx) or gives messages the brain can store; then the running app answers the probe's own cases and a
few hundred generated ones below 500, on SQLite and PostgreSQL."""

from __future__ import annotations

import contextlib
import copy
import hashlib
import hmac
import json
import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import HTTPException
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr, ValidationError
from sqlalchemy import Engine
from telegram import Bot

from bot.brain import storable
from bot.config import TelegramSettings, WhatsAppSettings
from bot.messages import Incoming
from nlu.parser import EmbeddedParser
from tests.conftest import channel_settings, running_app
from tests.stubs.platforms import StubGraph, StubTelegram
from webhooks.telegram import parse_update, read_update
from webhooks.whatsapp import read_notification
from webhooks.widget import WidgetMessage

EXAMPLES = int(os.environ.get("SIXTCAP_FUZZ_EXAMPLES", "10000"))  # per parser
MANY = settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
SOME = settings(max_examples=150, deadline=None, database=None, suppress_health_check=list(HealthCheck))
SECRET, APP_SECRET = "s3cret-Token_123", "app-secret"
BOT = Bot("123456:TEST-token")  # reads updates; never called

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=10**15, max_value=10**40)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
    | st.sampled_from(["\ud800", "x\udfff", "\x00", "", "ok", "1" * 30, "-1"])
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3),
    max_leaves=12,
)

CHAT = {"id": 42, "type": "private", "first_name": "Y"}
USER = {"id": 42, "is_bot": False, "first_name": "Y"}
TELEGRAM_SHAPES: list[dict[str, Any]] = [
    {"update_id": 1, "message": {"message_id": 1, "date": 1764000000, "chat": CHAT, "from": USER, "text": "salut"}},
    {"update_id": 2, "callback_query": {"id": "q", "from": USER, "chat_instance": "c", "data": "menu",
                                        "message": {"message_id": 1, "date": 1764000000, "chat": CHAT}}},
    {"update_id": 3, "edited_message": {"message_id": 1, "date": 1764000000, "edit_date": 1764000001,
                                        "chat": CHAT, "from": USER, "text": "x"}},
    {"update_id": 4, "message": {"message_id": 1, "date": 1764000000, "chat": CHAT, "from": USER,
                                 "sticker": {"file_id": "f", "file_unique_id": "u", "width": 1, "height": 1,
                                             "is_animated": False, "is_video": False, "type": "regular"}}},
]  # fmt: skip
WHATSAPP_MESSAGE = {"from": "33600000000", "id": "wamid.1", "timestamp": "1764000000", "type": "text",
                    "text": {"body": "salut"}}  # fmt: skip
WHATSAPP_SHAPES: list[dict[str, Any]] = [
    {"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp", "messages": [WHATSAPP_MESSAGE]}}]}]},
    {"entry": [{"changes": [{"value": {"messages": [{"from": "33600000000", "id": "wamid.2", "type": "interactive",
        "interactive": {"type": "button_reply", "button_reply": {"id": "menu", "title": "Menu"}}}]}}]}]},
    {"entry": [{"changes": [{"value": {"statuses": [{"id": "wamid.9", "status": "read", "timestamp": "1"}]}}]}]},
]  # fmt: skip
WIDGET_SHAPES: list[dict[str, Any]] = [
    {"conversation_id": "6f1c1c52-0b0a-4c55-9d2e-3b8d7a1f0a11", "text": "salut"},
    {"conversation_id": "6f1c1c52-0b0a-4c55-9d2e-3b8d7a1f0a11", "payload": "menu", "message_id": None},
]


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a JSON document (keys and list indexes), the root included."""
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += paths(item, (*prefix, index))
    return found


def replaced(document: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    copied = copy.deepcopy(document)
    node = copied
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    return copied


def mutated(shapes: list[dict[str, Any]]) -> st.SearchStrategy[Any]:
    """A platform's real shape with one or two places replaced by anything (or a key added)."""

    def one(shape: dict[str, Any]) -> st.SearchStrategy[Any]:
        places = paths(shape)
        change = st.tuples(st.sampled_from(places), json_values)
        return st.lists(change, min_size=1, max_size=2).map(lambda changes: apply(shape, changes))

    return st.sampled_from(shapes).flatmap(one)


def apply(shape: dict[str, Any], changes: list[tuple[tuple[Any, ...], Any]]) -> Any:
    document: Any = shape
    for path, value in changes:
        with contextlib.suppress(KeyError, IndexError, TypeError):  # an earlier change removed that place
            document = replaced(document, path, value)
    return document


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def bodies(shapes: list[dict[str, Any]]) -> st.SearchStrategy[bytes]:
    as_json = (mutated(shapes) | json_values).map(lambda v: json.dumps(v).encode())
    return as_json | st.binary(max_size=200) | st.integers(500, 3000).map(nested)


def assert_storable(incoming: Incoming) -> None:
    for value in (incoming.user, incoming.text, incoming.payload, incoming.message_id, incoming.reply_to):
        assert value is None or isinstance(value, str)
    clean = storable(incoming)
    for value in (clean.user, clean.text, clean.payload, clean.message_id, clean.reply_to):
        if value is not None:
            value.encode("utf-8")  # no lone surrogate left
            assert "\x00" not in value


TELEGRAM_CASES = [
    b"[1]",
    b"null",
    json.dumps(replaced(TELEGRAM_SHAPES[0], ("message", "text"), {"a": 1})).encode(),
    json.dumps(replaced(TELEGRAM_SHAPES[0], ("message", "date"), 10**20)).encode(),
    json.dumps(replaced(TELEGRAM_SHAPES[0], ("message", "text"), "\ud800")).encode(),
    nested(1000),
]
WHATSAPP_CASES = [
    {"entry": "x"},
    {"entry": [{"changes": [{"value": {"statuses": ["x"]}}]}]},
    replaced(WHATSAPP_SHAPES[0], ("entry", 0, "changes", 0, "value", "messages", 0, "timestamp"), "1" * 30),
    replaced(
        WHATSAPP_SHAPES[0], ("entry", 0, "changes", 0, "value", "messages", 0, "text", "body"), "\ud800"
    ),
]


@MANY
@given(body=bodies(TELEGRAM_SHAPES))
@example(body=TELEGRAM_CASES[0])
@example(body=TELEGRAM_CASES[2])
@example(body=TELEGRAM_CASES[3])
@example(body=TELEGRAM_CASES[5])
def test_the_telegram_parser_refuses_or_reads_anything(body: bytes) -> None:
    try:
        update = parse_update(body, BOT)
    except HTTPException as error:
        assert error.status_code == 400
        return
    incoming = read_update(update) if update is not None else None
    if incoming is not None:
        assert_storable(incoming)


@MANY
@given(payload=mutated(WHATSAPP_SHAPES) | json_values)
@example(payload=WHATSAPP_CASES[0])
@example(payload=WHATSAPP_CASES[1])
@example(payload=WHATSAPP_CASES[2])
def test_the_whatsapp_parser_reads_anything_without_failing(payload: Any) -> None:
    incomings, statuses = read_notification(payload)
    for incoming in incomings:
        assert_storable(incoming)
        assert incoming.timestamp is None or incoming.timestamp.year < 6000
    assert all(isinstance(i, str) and isinstance(s, str) for i, s in statuses)


@MANY
@given(data=mutated(WIDGET_SHAPES) | json_values)
def test_the_widget_parser_refuses_or_reads_anything(data: Any) -> None:
    try:
        message = WidgetMessage.model_validate(data)
    except ValidationError:
        return
    assert_storable(
        Incoming("widget", str(message.conversation_id), text=message.text, payload=message.payload)
    )


@pytest.fixture(scope="module")
def app(module_engine: Engine, parser: EmbeddedParser) -> Iterator[TestClient]:
    telegram_stub, graph_stub = StubTelegram(), StubGraph()
    settings = channel_settings(
        telegram_bot_token=SecretStr("123456:TEST-token"),
        telegram_webhook_secret=SecretStr(SECRET),
        telegram=TelegramSettings(base_url=f"{telegram_stub.url}/bot"),
        whatsapp_access_token=SecretStr("token"),
        whatsapp_app_secret=SecretStr(APP_SECRET),
        whatsapp=WhatsAppSettings(graph_url=graph_stub.url, phone_number_id="1"),
    )
    generous = settings.limits.model_copy(update={"widget_per_ip": "100000/minute", "webhook_per_chat": "100000/minute",
                                                  "widget_per_conversation": "100000/minute"})  # fmt: skip
    with running_app(settings.model_copy(update={"limits": generous}), module_engine, parser) as client:
        yield client
    telegram_stub.stop()
    graph_stub.stop()


def post_telegram(app: TestClient, body: bytes) -> int:
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"}
    return app.post("/webhooks/telegram", content=body, headers=headers).status_code


def post_whatsapp(app: TestClient, body: bytes) -> int:
    signature = "sha256=" + hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
    headers = {"X-Hub-Signature-256": signature, "Content-Type": "application/json"}
    return app.post("/webhooks/whatsapp", content=body, headers=headers).status_code


def test_the_probes_cases_get_no_5xx(app: TestClient) -> None:
    codes = [post_telegram(app, body) for body in TELEGRAM_CASES]
    assert all(code < 500 for code in codes), codes
    assert codes[4] == 200  # a lone surrogate in a real message: read, stored, answered
    codes = [post_whatsapp(app, json.dumps(case).encode()) for case in WHATSAPP_CASES]
    assert codes == [200, 200, 200, 200]
    conversation = str(uuid.uuid4())
    for body in (
        b'{"conversation_id": "%s", "text": "\\ud800"}' % conversation.encode(),
        nested(1000),
        b"[1]",
    ):
        response = app.post("/widget/messages", content=body, headers={"Content-Type": "application/json"})
        assert response.status_code < 500, response.text


@SOME
@given(body=bodies(TELEGRAM_SHAPES))
def test_the_telegram_webhook_never_answers_5xx(app: TestClient, body: bytes) -> None:
    assert post_telegram(app, body) < 500


@SOME
@given(body=bodies(WHATSAPP_SHAPES))
def test_the_whatsapp_webhook_never_answers_5xx(app: TestClient, body: bytes) -> None:
    assert post_whatsapp(app, body) < 500


@SOME
@given(body=bodies(WIDGET_SHAPES))
def test_the_widget_api_never_answers_5xx(app: TestClient, body: bytes) -> None:
    response = app.post("/widget/messages", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code < 500, response.text
