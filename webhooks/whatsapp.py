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
from bot.messages import Button, Card, Incoming, Outgoing
from bot.outbox import Claimed, record_delivery
from bot.reply_window import ReplyWindow, reply_window
from webhooks.context import ChannelContext, channel_context
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
    """Messages as Incoming, and (message id, status) delivery reports. What does not have the shape of
    Meta's notifications (a string for a list, a number for a text ...) is skipped, never an error:
    Meta would only send it again."""
    incomings: list[Incoming] = []
    statuses: list[tuple[str, str]] = []
    for entry in _dicts(payload, "entry"):
        for change in _dicts(entry, "changes"):
            value = _dict(change, "value")
            for message in _dicts(value, "messages"):
                incoming = _incoming(message)
                if incoming:
                    incomings.append(incoming)
            for status in _dicts(value, "statuses"):
                message_id, state = _scalar(status, "id"), _scalar(status, "status")
                if message_id and state:
                    statuses.append((message_id[:100], state[:20]))
    return incomings, statuses


def _dict(container: Any, key: str) -> dict[str, Any]:
    value = container.get(key) if isinstance(container, dict) else None
    return value if isinstance(value, dict) else {}


def _dicts(container: Any, key: str) -> list[dict[str, Any]]:
    value = container.get(key) if isinstance(container, dict) else None
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _scalar(container: dict[str, Any], key: str) -> str | None:
    """A string or an integer of Meta's JSON, as text; None for anything else (objects, booleans)."""
    value = container.get(key)
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    return str(value)


def _incoming(message: dict[str, Any]) -> Incoming | None:
    sender, event, kind = _scalar(message, "from"), _scalar(message, "id"), _scalar(message, "type")
    if not sender or not event:
        return None
    common: dict[str, Any] = {"message_id": event, "reply_to": sender}
    stamp = _scalar(message, "timestamp")
    if stamp and stamp.isdigit() and len(stamp) <= 11:  # seconds since 1970, until the year 5138
        common["timestamp"] = datetime.fromtimestamp(int(stamp), UTC)
    if kind == "text":
        body = _scalar(_dict(message, "text"), "body") or ""
        source, text = source_in_text(body)  # a campaign's wa.me link
        return Incoming(CHANNEL, sender, text=text, source=source, **common)
    if kind == "interactive":
        reply = _dict(message, "interactive")
        chosen = _dict(reply, "button_reply") or _dict(reply, "list_reply")
        return Incoming(CHANNEL, sender, payload=_scalar(chosen, "id") or "", **common)
    if kind == "button":  # a template's quick-reply button
        return Incoming(CHANNEL, sender, payload=_scalar(_dict(message, "button"), "payload") or "", **common)
    return Incoming(CHANNEL, sender, media=(kind or "other")[:20], **common)


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


def _choices(body: str, buttons: list[Button]) -> dict[str, Any]:
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
    """One bubble -> messages: the text, then one message per card with the card's own choices as reply
    buttons under it (an offer's "Me faire aider"), the bubble's choices on the last message."""
    pieces: list[tuple[str, list[Button]]] = [(outgoing.text, [])] if outgoing.text else []
    pieces += [(card_text(card), [a for a in card.actions if a.payload]) for card in outgoing.cards]
    if not pieces:
        pieces = [("…", [])]
    body, own = pieces[-1]
    pieces[-1] = (body, own + [b for b in outgoing.buttons if b.payload])
    return [_choices(body, buttons) if buttons else _text(body) for body, buttons in pieces]


OUTSIDE_WINDOW = "outside_window"  # a request's purpose, for the template sent outside the 24-hour window


def render_follow_up(bubble: Outgoing) -> list[dict[str, Any]]:
    """A follow-up (bot/followups.py): outside the 24-hour window, the follow-up template stands for it."""
    return [dict(request, **{OUTSIDE_WINDOW: "follow_up"}) for request in render(bubble)]


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
        self.templates = {  # by purpose (OUTSIDE_WINDOW); the re-engagement template otherwise
            "follow_up": {
                "name": whatsapp.follow_up_template,
                "language": {"code": whatsapp.template_language},
            }
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
        request = dict(row.request)
        purpose = request.pop(OUTSIDE_WINDOW, None)  # which template stands for this message, if needed
        if window.open:
            body |= request
        elif window.template_sent:
            return Failed("outside the 24-hour window; the template already told the youth")
        else:
            body |= {"type": "template", "template": self.templates.get(str(purpose), self.template)}
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


def counted_turns(context: ChannelContext, incomings: list[Incoming], chats: list[tuple[str, str]]) -> None:
    """The notification's rates counted, then its messages' turns, in one worker thread: one hop from
    the event loop and back instead of two or more (each waits for a free thread and for the GIL)."""
    context.throttle.hit("webhook_global", "", *chats)
    brain = context.running_brain()
    for incoming in incomings:
        brain.handle(incoming, render)


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
        payload, readable = json.loads(body), True
    except (ValueError, RecursionError):
        payload, readable = None, False
    incomings, statuses = read_notification(payload)
    chats = [("webhook_per_chat", f"{CHANNEL}:{youth}") for youth in sorted({i.user for i in incomings})]
    if readable and incomings:  # over a rate: Meta sends it all again later
        await run_in_threadpool(counted_turns, context, incomings, chats)
    else:
        await context.throttle.hit_async("webhook_global", "", *chats)
    if not readable:
        raise HTTPException(400, "the body is not JSON")
    brain = context.running_brain()
    for message_id, status in statuses:
        await run_in_threadpool(record_delivery, brain.engine, CHANNEL, message_id, status)
    if incomings:
        context.wake_sender()
    return {"ok": True}
