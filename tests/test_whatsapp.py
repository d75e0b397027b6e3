"""WhatsApp end to end: signed webhook payloads in, a stub Graph API server on 127.0.0.1 out, through the
outbox; verification, signatures, redeliveries, statuses, the 24-hour window; SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import Engine, func, select, update

from bot.config import WhatsAppSettings
from bot.db import session_factory, transaction
from bot.models import DailyTally, Handoff, Message, OutboxMessage, Youth
from bot.outbox import enqueue
from bot.territory import load_territory
from nlu.parser import EmbeddedParser
from tests.conftest import DATA, channel_settings, load_demo_offers, running_app
from tests.stubs.platforms import StubGraph
from tests.waiting import wait_for, wait_until_settled
from webhooks.delivery import shorten
from webhooks.whatsapp import render

APP_SECRET = "whatsapp-app-secret"
VERIFY = "verify-me"
PHONE = "33612345678"


@pytest.fixture
def stub() -> Iterator[StubGraph]:
    server = StubGraph()
    yield server
    server.stop()


@pytest.fixture
def client(stub: StubGraph, loaded_engine: Engine, parser: EmbeddedParser) -> Iterator[TestClient]:
    settings = channel_settings(
        whatsapp_access_token=SecretStr("EAAG-test"),
        whatsapp_app_secret=SecretStr(APP_SECRET),
        whatsapp_verify_token=SecretStr(VERIFY),
        whatsapp=WhatsAppSettings(graph_url=stub.url, phone_number_id="1111"),
    )
    with running_app(settings, loaded_engine, parser) as test_client:
        yield test_client


def notification(*messages: dict[str, Any], statuses: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    value: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "33100000000", "phone_number_id": "1111"},
        "contacts": [{"profile": {"name": "Sam"}, "wa_id": PHONE}],
        "messages": list(messages),
    }
    if statuses:
        value["statuses"] = statuses
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": "WABA", "changes": [{"value": value, "field": "messages"}]}],
    }


def text(message_id: str, body: str) -> dict[str, Any]:
    return {
        "from": PHONE,
        "id": message_id,
        "timestamp": "1764115200",
        "type": "text",
        "text": {"body": body},
    }


def post(client: TestClient, payload: dict[str, Any], secret: str | None = APP_SECRET) -> Any:
    body = json.dumps(payload).encode()
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Hub-Signature-256"] = (
            "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        )
    return client.post("/webhooks/whatsapp", content=body, headers=headers)


def test_verification(client: TestClient) -> None:
    ok = client.get(
        "/webhooks/whatsapp",
        params={"hub.mode": "subscribe", "hub.verify_token": VERIFY, "hub.challenge": "12345"},
    )
    assert ok.status_code == 200 and ok.text == "12345"
    wrong = client.get(
        "/webhooks/whatsapp",
        params={"hub.mode": "subscribe", "hub.verify_token": "nope", "hub.challenge": "1"},
    )
    assert wrong.status_code == 403


def test_a_text_gets_the_welcome_and_a_list_of_concerns(client: TestClient, stub: StubGraph) -> None:
    assert post(client, notification(text("wamid.in1", "salut"))).status_code == 200
    stub.wait_for(lambda calls: len(stub.messages()) >= 3)
    sent = stub.messages()
    assert all(m["to"] == PHONE and m["messaging_product"] == "whatsapp" for m in sent)
    assert sent[0]["type"] == "text" and "sixtcap" in sent[0]["text"]["body"]
    interactive = sent[2]["interactive"]
    assert interactive["type"] == "list"  # nine concerns: more than three buttons
    rows = interactive["action"]["sections"][0]["rows"]
    assert {"id": "concern:paperwork", "title": "Papiers"} in rows and len(rows) <= 10
    assert stub.calls[0]["headers"].get("Authorization") == "Bearer EAAG-test"


def test_reply_buttons_list_replies_and_template_quick_replies(client: TestClient, stub: StubGraph) -> None:
    post(client, notification(text("wamid.in1", "salut")))
    tap = {"from": PHONE, "id": "wamid.in2", "timestamp": "1764115201", "type": "interactive",
           "interactive": {"type": "list_reply", "list_reply": {"id": "concern:job", "title": "Job"}}}  # fmt: skip
    post(client, notification(tap))
    stub.wait_for(
        lambda calls: any("Tu habites où" in json.dumps(m, ensure_ascii=False) for m in stub.messages())
    )
    town = next(m for m in stub.messages() if "Tu habites où" in json.dumps(m, ensure_ascii=False))
    assert town["interactive"]["type"] == "list"  # four towns: a list
    button = {"from": PHONE, "id": "wamid.in3", "timestamp": "1764115202", "type": "button",
              "button": {"payload": "town:Champigny-sur-Marne", "text": "Champigny"}}  # fmt: skip
    post(client, notification(button))
    stub.wait_for(lambda calls: any("quel âge" in json.dumps(m, ensure_ascii=False) for m in stub.messages()))


def test_three_choices_are_reply_buttons_with_short_titles() -> None:
    from bot.messages import Button, Outgoing

    outgoing = Outgoing(
        "Tu veux autre chose ?",
        buttons=(Button("Autre chose", "other"), Button("Poser une question à un conseiller", "adviser")),
    )
    (message,) = render(outgoing)
    replies = message["interactive"]["action"]["buttons"]
    assert [r["reply"]["title"] for r in replies] == ["Autre chose", "Poser une question…"]
    assert all(len(r["reply"]["title"]) <= 20 for r in replies)
    assert shorten("Un titre vraiment beaucoup trop long", 24) == "Un titre vraiment…"


def choices(message: dict[str, Any]) -> list[dict[str, str]]:
    """The reply buttons or list rows of a sent message: [{id, title}]."""
    action = message.get("interactive", {}).get("action", {})
    rows = [row for section in action.get("sections", []) for row in section["rows"]]
    return [button["reply"] for button in action.get("buttons", [])] + rows


def test_help_to_apply_from_an_offer_card(client: TestClient, stub: StubGraph, loaded_engine: Engine) -> None:
    """Each offer card comes with its own "Me faire aider" reply button; tapping the second card's opens
    the question to the youth's mission locale with that offer attached."""
    load_demo_offers(loaded_engine, load_territory(DATA / "territory.yml"))
    sent = 0
    for n, said in enumerate(("je cherche un job", "champi", "19 ans")):
        post(client, notification(text(f"wamid.t{n}", said)))
        stub.wait_for(lambda calls, before=sent: len(stub.messages()) > before)
        wait_until_settled(loaded_engine)
        sent = len(stub.messages())
    for n, title in enumerate(("Un job", "Peu importe", "30 km", "Permis + voiture")):
        choice = next(c for m in reversed(stub.messages()) for c in choices(m) if c["title"] == title)
        reply = {"from": PHONE, "id": f"wamid.b{n}", "timestamp": "1764115300", "type": "interactive",
                 "interactive": {"type": "button_reply", "button_reply": choice}}  # fmt: skip
        post(client, notification(reply))
        stub.wait_for(lambda calls, before=sent: len(stub.messages()) > before)
        wait_until_settled(loaded_engine)
        sent = len(stub.messages())
    cards = [m for m in stub.messages() if any(c["title"] == "Me faire aider" for c in choices(m))]
    assert len(cards) >= 2
    body = cards[1]["interactive"]["body"]["text"]
    assert body.startswith("*") and "km" in body  # the card itself: its title, its town and distance
    help_ = next(c for c in choices(cards[1]) if c["title"] == "Me faire aider")
    tap = {"from": PHONE, "id": "wamid.help", "timestamp": "1764115400", "type": "interactive",
           "interactive": {"type": "button_reply", "button_reply": help_}}  # fmt: skip
    post(client, notification(tap))
    stub.wait_for(
        lambda calls: any("C'est transmis" in json.dumps(m, ensure_ascii=False) for m in stub.messages())
    )
    with session_factory(loaded_engine)() as session:
        question = session.scalar(select(Handoff.question))
    title = body.split("\n")[0].strip("*")
    assert question is not None and f"« {title} »" in question


@pytest.mark.parametrize("secret", [None, "forged-secret"])
def test_unsigned_or_forged_is_refused_and_nothing_stored(
    client: TestClient, stub: StubGraph, loaded_engine: Engine, secret: str | None
) -> None:
    response = post(client, notification(text("wamid.in1", "salut")), secret=secret)
    assert response.status_code == 403
    wait_until_settled(loaded_engine)  # nothing stored, so nothing queued: the sender has nothing to send
    with session_factory(loaded_engine)() as session:
        assert session.scalar(select(func.count()).select_from(Message)) == 0
    assert stub.messages() == []


def test_a_redelivered_message_is_handled_once(
    client: TestClient, stub: StubGraph, loaded_engine: Engine
) -> None:
    for _ in range(3):
        assert post(client, notification(text("wamid.same", "salut"))).status_code == 200
    stub.wait_for(lambda calls: len(stub.messages()) >= 3)
    wait_until_settled(loaded_engine)  # every queued reply went out: no more calls will come
    assert len(stub.messages()) == 3


def test_status_callbacks_are_recorded(client: TestClient, stub: StubGraph, loaded_engine: Engine) -> None:
    post(client, notification(text("wamid.in1", "salut")))
    stub.wait_for(lambda calls: len(stub.messages()) >= 3)

    def first_platform_id() -> str | None:
        with session_factory(loaded_engine)() as session:
            first = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).first()
            return first.platform_message_id if first is not None else None

    platform_id = wait_for(first_platform_id, what="the first reply's platform id recorded")
    status = {"id": platform_id, "status": "read", "timestamp": "1764115300", "recipient_id": PHONE}
    assert post(client, notification(statuses=[status])).status_code == 200
    with session_factory(loaded_engine)() as session:
        assert (
            session.scalars(
                select(OutboxMessage.delivery_status).where(OutboxMessage.platform_message_id == platform_id)
            ).one()
            == "read"
        )


def test_media_gets_a_friendly_reply(client: TestClient, stub: StubGraph) -> None:
    voice = {
        "from": PHONE,
        "id": "wamid.v",
        "timestamp": "1764115200",
        "type": "audio",
        "audio": {"id": "media1"},
    }
    post(client, notification(voice))
    stub.wait_for(
        lambda calls: any(
            "que les messages écrits" in json.dumps(m, ensure_ascii=False) for m in stub.messages()
        )
    )


def test_rate_limit_answers_are_retried(client: TestClient, stub: StubGraph) -> None:
    stub.rate_limit_next = 2
    post(client, notification(text("wamid.in1", "salut")))
    stub.wait_for(lambda calls: len(stub.messages()) >= 3, timeout=20)
    bodies = [m["text"]["body"] for m in stub.messages() if m["type"] == "text"]
    assert "sixtcap" in bodies[0] and len(stub.messages()) == 3


def test_outside_the_24_hour_window_only_the_template_is_sent_once(
    client: TestClient, stub: StubGraph, loaded_engine: Engine
) -> None:
    post(client, notification(text("wamid.in1", "salut")))
    stub.wait_for(lambda calls: len(stub.messages()) >= 3)
    long_ago = datetime.now(UTC) - timedelta(hours=25)
    with transaction(loaded_engine) as session:
        session.execute(update(Youth).values(last_seen_at=long_ago))
        youth_id = session.scalars(select(Youth.id)).one()
        later = [
            {"type": "text", "text": {"body": "Réponse d'un conseiller"}},
            {"type": "text", "text": {"body": "Suite"}},
        ]
        enqueue(session, youth_id, "whatsapp", PHONE, later, datetime.now(UTC))
    client.app.state.context.wake_sender()  # type: ignore[attr-defined]
    stub.wait_for(lambda calls: any(m["type"] == "template" for m in stub.messages()))
    wait_until_settled(loaded_engine)  # the advisers' two messages are settled: sent or given up
    templates = [m for m in stub.messages() if m["type"] == "template"]
    assert len(templates) == 1 and templates[0]["template"]["name"] == "sixtcap_reponse_en_attente"
    assert not any("Réponse d'un conseiller" in json.dumps(m, ensure_ascii=False) for m in stub.messages())
    with session_factory(loaded_engine)() as session:
        statuses = sorted(
            session.scalars(
                select(OutboxMessage.status).where(OutboxMessage.request["type"].as_string() == "text")
            ).all()
        )
    assert "failed" in statuses


def test_a_campaigns_prefilled_text_records_its_source(
    client: TestClient, stub: StubGraph, loaded_engine: Engine
) -> None:
    post(client, notification(text("wamid.qr1", "Salut 6Tcap ! (code affiche-mail-rodin)")))
    stub.wait_for(lambda calls: len(stub.messages()) >= 3)
    assert "sixtcap" in stub.messages()[0]["text"]["body"]
    with session_factory(loaded_engine)() as session:
        assert session.scalars(select(Youth.source)).one() == "affiche-mail-rodin"
        new = select(DailyTally.channel, DailyTally.count).where(
            DailyTally.source == "affiche-mail-rodin", DailyTally.metric == "new"
        )
        assert session.execute(new).all() == [("whatsapp", 1)]  # counted once in the statistics
        said = session.scalars(select(Message.text).where(Message.direction == "in")).one()
        assert said == "Salut 6Tcap !"  # the code is no part of what the youth said
