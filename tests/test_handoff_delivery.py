"""Handoffs reaching people: the partner is told (its webhook, an e-mail through SMTP), reminders after N
business hours go out once even with several processes, and an adviser's answer reaches the youth on
Telegram. Local HTTP and SMTP sinks stand in for the partners' systems."""

from __future__ import annotations

import hashlib
import hmac
import socket
import threading
import uuid
from collections.abc import Iterator
from datetime import datetime
from email import message_from_bytes
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from pydantic import SecretStr
from sqlalchemy import Engine, select, update

from bot.config import SmtpSettings, TelegramSettings
from bot.db import make_engine, transaction
from bot.handoffs import business_hours_between, remind_overdue
from bot.models import Handoff, Partner, Youth
from bot.privacy import secret_key
from bot.staff import add_staff
from bot.webhook_signing import partner_secret
from nlu.parser import EmbeddedParser
from tests.conftest import channel_settings, running_app
from tests.stubs.platforms import StubServer, StubTelegram
from tests.waiting import wait_for

PARIS = ZoneInfo("Europe/Paris")
HOURS = "Mo-Fr 09:00-17:00; PH off"
PARTNER = "mission_locale_bords_de_marne"


class Sink(StubServer):
    """A partner's URL receiving our JSON."""

    def answer(self, verb: str, path: str, raw: bytes, headers: dict[str, str]) -> tuple[int, Any]:
        import json

        with self.lock:
            self.calls.append(json.loads(raw or b"{}"))
            self.__dict__.setdefault("raw", []).append((raw, {k.lower(): v for k, v in headers.items()}))
        return 200, {"ok": True}


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # aiosmtpd's name
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content)))
        return "250 OK"


@pytest.fixture
def sinks() -> Iterator[tuple[Sink, Mailbox, int]]:
    sink, mailbox = Sink(), Mailbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield sink, mailbox, port
    controller.stop()
    sink.stop()


def set_notifications(engine: Engine, url: str, email: str) -> None:
    with transaction(engine) as session:
        session.execute(
            update(Partner).where(Partner.id == PARTNER).values(notify_webhook_url=url, notify_email=email)
        )


def test_a_new_question_is_announced_by_webhook_and_email(
    loaded_engine: Engine, parser: EmbeddedParser, sinks: tuple[Sink, Mailbox, int]
) -> None:
    sink, mailbox, port = sinks
    set_notifications(loaded_engine, f"{sink.url}/hook", "conseillers@ml.example")
    settings = channel_settings(smtp=SmtpSettings(host="127.0.0.1", port=port, starttls=False))
    with running_app(settings, loaded_engine, parser) as client:
        conversation = str(uuid.uuid4())
        for body in ({"text": "jsuis de champi j'ai 19 ans je veux passer le permis"}, {"payload": "adviser"},
                     {"text": "mon numéro c'est 0612345678, rappelez moi"}):  # fmt: skip
            client.post("/widget/messages", json={"conversation_id": conversation, **body})
        (event,) = sink.wait_for(lambda calls: len(calls) >= 1)
        assert (
            event["event"] == "handoff.created"
            and event["partner_id"] == PARTNER
            and event["urgent"] is False
        )
        assert event["url"].endswith(f"/admin/handoffs/{event['handoff_id']}")
        wait_for(lambda: mailbox.messages, 10, "the notification e-mail")
    raw, headers = sink.raw[0]  # type: ignore[attr-defined]
    secret = partner_secret(secret_key(settings), PARTNER)  # what GET /admin/api/partners/{id}/webhook gives
    expected = "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    assert headers["x-sixtcap-signature"] == expected and headers["x-sixtcap-event"] == "handoff.created"
    recipients, mail = mailbox.messages[0]
    assert recipients == ["conseillers@ml.example"] and "Nouvelle question" in mail["Subject"]
    everything = str(event) + mail.as_string()
    assert "0612345678" not in everything and conversation not in everything  # no youth's words or ids


def test_reminders_after_business_hours_go_out_once_with_several_processes(
    loaded_engine: Engine, sinks: tuple[Sink, Mailbox, int]
) -> None:
    sink, _mailbox, _port = sinks
    set_notifications(loaded_engine, f"{sink.url}/hook", "")
    friday_afternoon = datetime(2026, 11, 27, 16, 0, tzinfo=PARIS)
    with transaction(loaded_engine) as session:
        add_staff(session, "coord@6tcap.example", "Coord", "coordinator", "un-mot-de-passe-solide", None)
        youth = Youth(
            channel="widget", user_ref="y1", created_at=friday_afternoon, last_seen_at=friday_afternoon
        )
        session.add(youth)
        session.flush()
        session.add(
            Handoff(
                youth_id=youth.id,
                partner_id=PARTNER,
                status="pending",
                urgent=True,
                created_at=friday_afternoon,
            )
        )
    url = loaded_engine.url.render_as_string(hide_password=False)

    def run(now: datetime, results: list[list[int]]) -> None:
        engine = make_engine(url)
        with transaction(engine) as session:
            results.append(remind_overdue(session, now, HOURS, 4, PARIS, "https://sixtcap.example"))
        engine.dispose()

    monday_ten = datetime(2026, 11, 30, 10, 0, tzinfo=PARIS)  # 2 business hours since Friday 16:00
    early: list[list[int]] = []
    run(monday_ten, early)
    assert early == [[]]
    monday_noon = datetime(2026, 11, 30, 12, 0, tzinfo=PARIS)  # 4 business hours: remind, once
    results: list[list[int]] = []
    workers = [threading.Thread(target=run, args=(monday_noon, results)) for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert sorted(len(r) for r in results) == [0, 0, 1]
    with transaction(loaded_engine) as session:
        from bot.models import OutboxMessage

        rows = session.scalars(select(OutboxMessage)).all()
    kinds = sorted((row.channel, row.recipient) for row in rows)
    assert kinds == [("email", "coord@6tcap.example"), ("webhook", f"{sink.url}/hook")]


def test_business_hours_skip_nights_weekends_and_holidays() -> None:
    friday = datetime(2026, 12, 24, 16, 0, tzinfo=PARIS)  # Thursday 24th; 25th is Christmas
    monday = datetime(2026, 12, 28, 10, 0, tzinfo=PARIS)
    assert business_hours_between(friday, monday, HOURS, PARIS) == 2.0


def test_an_advisers_answer_reaches_the_youth_on_telegram(
    loaded_engine: Engine, parser: EmbeddedParser
) -> None:
    stub = StubTelegram()
    settings = channel_settings(
        telegram_bot_token=SecretStr("123456:TEST-token"),
        telegram_webhook_secret=SecretStr("secret-1"),
        telegram=TelegramSettings(base_url=f"{stub.url}/bot"),
    )
    with transaction(loaded_engine) as session:
        add_staff(session, "bdm@6tcap.example", "Bea", "adviser", "un-mot-de-passe-solide", PARTNER)
    headers = {"X-Telegram-Bot-Api-Secret-Token": "secret-1"}
    person = {"id": 42, "is_bot": False, "first_name": "Sam"}

    def text(update_id: int, body: str) -> dict[str, Any]:
        return {"update_id": update_id, "message": {"message_id": update_id, "date": 1764115200, "from": person,
                "chat": {"id": 42, "type": "private"}, "text": body}}  # fmt: skip

    try:
        with running_app(settings, loaded_engine, parser) as client:
            client.post(
                "/webhooks/telegram",
                json=text(1, "jsuis de champi j'ai 19 ans je veux passer le permis"),
                headers=headers,
            )
            tap = {"update_id": 2, "callback_query": {"id": "q", "from": person, "chat_instance": "c", "data": "adviser",
                   "message": {"message_id": 3, "date": 1764115200, "chat": {"id": 42, "type": "private"}}}}  # fmt: skip
            client.post("/webhooks/telegram", json=tap, headers=headers)
            client.post(
                "/webhooks/telegram",
                json=text(3, "le permis a 1 euro c'est possible pour moi ?"),
                headers=headers,
            )
            stub.wait_for(lambda calls: any("C'est transmis" in c["params"].get("text", "") for c in calls))
            token = client.post(
                "/admin/api/login", json={"email": "bdm@6tcap.example", "password": "un-mot-de-passe-solide"}
            ).json()["token"]
            auth = {"Authorization": f"Bearer {token}"}
            (handoff,) = client.get("/admin/api/handoffs", headers=auth).json()
            assert (
                handoff["channel"] == "telegram"
                and handoff["question"] == "le permis a 1 euro c'est possible pour moi ?"
            )
            reply = client.post(
                f"/admin/api/handoffs/{handoff['id']}/reply",
                json={"text": "Oui, viens mardi à 14h."},
                headers=auth,
            )
            assert reply.status_code == 200
            calls = stub.wait_for(
                lambda calls: any("viens mardi" in c["params"].get("text", "") for c in calls)
            )
            answer = next(c for c in calls if "viens mardi" in c["params"].get("text", ""))
            assert (
                int(answer["params"]["chat_id"]) == 42
                and "Mission locale des Bords de Marne" in answer["params"]["text"]
            )
            keys = [k for row in answer["params"]["reply_markup"]["inline_keyboard"] for k in row]
            assert {"text": "C'est réglé", "callback_data": "handoff:close"} in keys
            close = {"update_id": 4, "callback_query": {"id": "q2", "from": person, "chat_instance": "c", "data": "handoff:close",
                     "message": {"message_id": 5, "date": 1764115200, "chat": {"id": 42, "type": "private"}}}}  # fmt: skip
            client.post("/webhooks/telegram", json=close, headers=headers)
            stub.wait_for(
                lambda calls: any("Tu veux clore ta demande" in c["params"].get("text", "") for c in calls)
            )
            still = client.get(f"/admin/api/handoffs/{handoff['id']}", headers=auth).json()
            assert still["status"] != "resolved"  # one press is not enough: a confirmation is asked
            confirm = {"update_id": 5, "callback_query": {"id": "q3", "from": person, "chat_instance": "c", "data": "handoff:close:yes",
                       "message": {"message_id": 6, "date": 1764115200, "chat": {"id": 42, "type": "private"}}}}  # fmt: skip
            client.post("/webhooks/telegram", json=confirm, headers=headers)
            stub.wait_for(
                lambda calls: any("ta demande est close" in c["params"].get("text", "") for c in calls)
            )
            closed = client.get(f"/admin/api/handoffs/{handoff['id']}", headers=auth).json()
            assert closed["status"] == "resolved" and closed["resolved_by"] == "youth"
    finally:
        stub.stop()


def test_the_scheduled_job_reminds_from_the_running_app(
    loaded_engine: Engine, parser: EmbeddedParser, sinks: tuple[Sink, Mailbox, int]
) -> None:
    sink, _mailbox, _port = sinks
    set_notifications(loaded_engine, f"{sink.url}/hook", "")
    long_ago = datetime(2026, 1, 5, 9, 0, tzinfo=PARIS)
    with transaction(loaded_engine) as session:
        youth = Youth(channel="widget", user_ref="y2", created_at=long_ago, last_seen_at=long_ago)
        session.add(youth)
        session.flush()
        session.add(
            Handoff(
                youth_id=youth.id, partner_id=PARTNER, status="pending", urgent=False, created_at=long_ago
            )
        )
    with running_app(channel_settings(), loaded_engine, parser) as client:
        app = client.app
        context = app.state.context  # type: ignore[attr-defined]
        assert context.admin is not None and context.remind is not None
        client.portal.call(context.remind)
        (event,) = sink.wait_for(lambda calls: len(calls) >= 1)
    assert event["event"] == "handoff.reminder"
