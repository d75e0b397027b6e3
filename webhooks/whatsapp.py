"""WhatsApp Cloud API: webhook in, Graph API calls out (httpx).

GET /webhooks/whatsapp answers Meta's verification (hub.mode, hub.verify_token, hub.challenge).
POST /webhooks/whatsapp checks X-Hub-Signature-256 (HMAC-SHA256 of the raw body with the app secret)
before reading anything (403 otherwise, nothing stored); text, reply-button and list taps and template
quick replies become Incoming (the message id makes redeliveries harmless); delivery statuses are
recorded on the outbox rows. Replies: reply buttons (3 at most, titles of 20 characters), a list (10 rows)
for more choices, cards as text with links. Outside the 24-hour window after the youth's last message,
only the configured template may be sent: it tells the youth an answer is waiting."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import PlainTextResponse

from bot.campaigns import source_in_text
from bot.config import Settings
from bot.db import session_factory
from bot.enums import Channel
from bot.messages import Card, Incoming, Outgoing
from bot.outbox import Claimed, record_delivery
from bot.reply_window import ReplyWindow, reply_window
from webhooks.context import channel_context
from webhooks.delivery import Failed, Outcome, Retry, Sent, shorten

CHANNEL = Channel.WHATSAPP
RATE_LIMIT_CODES = {4, 80007, 130429, 131048, 131056}  # Meta's "too many messages" error codes
log = logging.getLogger(__name__)
router = APIRouter(tags=["whatsapp"])


# -- in ---------------------------------------------------------------------------------------------


def signature_ok(body: bytes, header: str | None, app_secret: str) -> bool:
    if not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(header.removeprefix("sha256="), expected)


def read_notification(payload: Any) -> tuple[list[Incoming], list[tuple[str, str]]]:
    """Messages as Incoming, and (message id, status) delivery reports."""
    incomings: list[Incoming] = []
    statuses: list[tuple[str, str]] = []
    for entry in payload.get("entry", []) if isinstance(payload, dict) else []:
        for change in entry.get("changes", []):
            value = change.get("value", {})
            for message in value.get("messages", []):
                incoming = _incoming(message)
                if incoming:
                    incomings.append(incoming)
            for status in value.get("statuses", []):
                if status.get("id") and status.get("status"):
                    statuses.append((str(status["id"]), str(status["status"])))
    return incomings, statuses


def _incoming(message: dict[str, Any]) -> Incoming | None:
    sender, event, kind = message.get("from"), message.get("id"), message.get("type")
    if not sender or not event:
        return None
    common: dict[str, Any] = {"message_id": str(event), "reply_to": str(sender)}
    stamp = message.get("timestamp")
    if stamp and str(stamp).isdigit():
        common["timestamp"] = datetime.fromtimestamp(int(stamp), UTC)
    if kind == "text":
        source, text = source_in_text(str(message.get("text", {}).get("body", "")))  # a campaign's wa.me link
        return Incoming(CHANNEL, str(sender), text=text, source=source, **common)
    if kind == "interactive":
        reply = message.get("interactive", {})
        chosen = reply.get("button_reply") or reply.get("list_reply") or {}
        return Incoming(CHANNEL, str(sender), payload=str(chosen.get("id", "")), **common)
    if kind == "button":  # a template's quick-reply button
        return Incoming(
            CHANNEL, str(sender), payload=str(message.get("button", {}).get("payload", "")), **common
        )
    return Incoming(CHANNEL, str(sender), media=str(kind or "other"), **common)


# -- out --------------------------------------------------------------------------------------------


def card_text(card: Card) -> str:
    lines = [f"*{card.title}*"]
    if card.subtitle:
        lines.append(card.subtitle)
    lines += [f"• {detail}" for detail in card.details]
    lines += [f"{action.title} : {action.url.removeprefix('tel:')}" for action in card.actions if action.url]
    return "\n".join(lines)


def _text(body: str) -> dict[str, Any]:
    return {"type": "text", "text": {"body": body[:4096], "preview_url": False}}


def _choices(body: str, outgoing: Outgoing) -> dict[str, Any]:
    buttons = [b for b in outgoing.buttons if b.payload]
    if len(buttons) <= 3:
        replies = [
            {"type": "reply", "reply": {"id": b.payload, "title": shorten(b.title, 20)}} for b in buttons
        ]
        interactive: dict[str, Any] = {
            "type": "button",
            "body": {"text": body[:1024]},
            "action": {"buttons": replies},
        }
    else:
        rows = [{"id": b.payload, "title": shorten(b.title, 24)} for b in buttons[:10]]
        interactive = {
            "type": "list",
            "body": {"text": body[:1024]},
            "action": {"button": "Choisir", "sections": [{"title": "Choix", "rows": rows}]},
        }
    return {"type": "interactive", "interactive": interactive}


def render(outgoing: Outgoing) -> list[dict[str, Any]]:
    """One bubble -> messages: the text (with the choices when there is no card), one text per card, the
    choices on the last card."""
    has_choices = any(b.payload for b in outgoing.buttons)
    bodies = ([outgoing.text] if outgoing.text else []) + [card_text(card) for card in outgoing.cards]
    if not bodies:
        bodies = ["…"]
    messages = [_text(body) for body in bodies[:-1]]
    messages.append(_choices(bodies[-1], outgoing) if has_choices else _text(bodies[-1]))
    return messages


class WhatsAppClient:
    """Sends outbox rows to the Graph API; outside the 24-hour window, the template instead (once)."""

    def __init__(self, settings: Settings, engine: Any, clock: Callable[[], datetime]) -> None:
        whatsapp = settings.whatsapp
        self.url = (
            f"{whatsapp.graph_url.rstrip('/')}/{whatsapp.api_version}/{whatsapp.phone_number_id}/messages"
        )
        token = settings.whatsapp_access_token.get_secret_value() if settings.whatsapp_access_token else ""
        self.http = httpx.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=10)
        self.template = {
            "name": whatsapp.reengagement_template,
            "language": {"code": whatsapp.template_language},
        }
        self.sessions = session_factory(engine)
        self.clock = clock

    def _window(self, youth_id: int | None) -> ReplyWindow:
        with self.sessions() as session:
            return reply_window(session, youth_id, self.clock())

    async def send(self, row: Claimed) -> Outcome:
        window = await run_in_threadpool(self._window, row.youth_id)
        kind = "message"
        body: dict[str, Any] = {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": row.recipient,
        }
        if window.open:
            body |= row.request
        elif window.template_sent:
            return Failed("outside the 24-hour window; the template already told the youth")
        else:
            body |= {"type": "template", "template": self.template}
            kind = "template"
        try:
            response = await self.http.post(self.url, json=body)
        except httpx.HTTPError as error:
            return Retry(f"graph api unreachable: {type(error).__name__}")
        return self._outcome(response, kind)

    @staticmethod
    def _outcome(response: httpx.Response, kind: str) -> Outcome:
        try:
            data = response.json()
        except ValueError:
            data = {}
        if response.status_code < 300:
            ids = [m.get("id") for m in data.get("messages", []) if isinstance(m, dict)]
            return Sent(str(ids[0]) if ids else None, kind=kind)
        code = (data.get("error") or {}).get("code") if isinstance(data, dict) else None
        if response.status_code == 429 or code in RATE_LIMIT_CODES:
            return Retry(f"graph api rate limit {code or 429}")
        if response.status_code >= 500:
            return Retry(f"graph api {response.status_code}")
        return Failed(f"graph api {response.status_code} code {code}")

    async def aclose(self) -> None:
        await self.http.aclose()


# -- the webhook ------------------------------------------------------------------------------------


@router.get("/webhooks/whatsapp", response_class=PlainTextResponse)
def verify(
    request: Request,
    mode: str = Query("", alias="hub.mode"),
    token: str = Query("", alias="hub.verify_token"),
    challenge: str = Query("", alias="hub.challenge"),
) -> str:
    expected = channel_context(request).settings.whatsapp_verify_token
    if (
        mode != "subscribe"
        or expected is None
        or not hmac.compare_digest(token.encode(), expected.get_secret_value().encode())
    ):
        raise HTTPException(403, "verification refused")
    return challenge


@router.post("/webhooks/whatsapp")
async def notification(request: Request) -> dict[str, bool]:
    context = channel_context(request)
    settings = context.settings
    body = await request.body()
    secret = settings.whatsapp_app_secret
    if secret is None or not signature_ok(
        body, request.headers.get("X-Hub-Signature-256"), secret.get_secret_value()
    ):
        raise HTTPException(403, "wrong or missing signature")
    try:
        payload = json.loads(body)
    except ValueError:
        raise HTTPException(400, "the body is not JSON") from None
    incomings, statuses = read_notification(payload)
    brain = context.running_brain()
    for incoming in incomings:
        await run_in_threadpool(brain.handle, incoming, render)
    for message_id, status in statuses:
        await run_in_threadpool(record_delivery, brain.engine, CHANNEL, message_id, status)
    if incomings:
        context.wake_sender()
    return {"ok": True}
