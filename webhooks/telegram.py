"""Telegram, through python-telegram-bot v22: updates in, Bot API calls out.

POST /webhooks/telegram checks X-Telegram-Bot-Api-Secret-Token in constant time (403 otherwise), turns
the update into an Incoming (the update_id makes redeliveries harmless), and lets the brain answer; the
replies go to the outbox, rendered here as Bot API calls: text with an inline keyboard, cards as HTML
text with URL buttons. Stickers, photos, voice notes and edits get a friendly reply from the brain."""

from __future__ import annotations

import asyncio
import hmac
import html
import json
import logging
import warnings
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from telegram import Bot, InlineKeyboardMarkup, LinkPreviewOptions, Update
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.ext import Application, ApplicationBuilder

from bot.config import Settings
from bot.enums import Channel
from bot.messages import Button, Card, Incoming, Outgoing
from bot.outbox import Claimed
from webhooks.context import ChannelContext, channel_context
from webhooks.delivery import Failed, Outcome, Retry, Sent

CHANNEL = Channel.TELEGRAM
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MEDIA_FIELDS = (
    "sticker",
    "photo",
    "voice",
    "video",
    "video_note",
    "audio",
    "document",
    "animation",
    "location",
    "contact",
    "poll",
    "dice",
)
log = logging.getLogger(__name__)
router = APIRouter(tags=["telegram"])


def build_application(settings: Settings) -> Application | None:  # type: ignore[type-arg]
    """The PTB application, without an updater (updates come through our webhook); None without a token."""
    if settings.telegram_bot_token is None:
        return None
    return (
        ApplicationBuilder()
        .token(settings.telegram_bot_token.get_secret_value())
        .base_url(settings.telegram.base_url)
        .updater(None)
        .build()
    )


# -- in ---------------------------------------------------------------------------------------------


def incoming_from_update(update: Update) -> Incoming | None:
    """The brain's view of an update; None for what is not a youth talking (channel posts, joins)."""
    event = str(update.update_id)
    if update.callback_query:
        query = update.callback_query
        chat_id = query.message.chat.id if query.message else query.from_user.id
        return Incoming(
            CHANNEL,
            str(query.from_user.id),
            payload=query.data or "",
            message_id=event,
            reply_to=str(chat_id),
        )
    edited = update.edited_message
    if edited is not None and edited.from_user is not None:
        return Incoming(
            CHANNEL, str(edited.from_user.id), media="edit", message_id=event, reply_to=str(edited.chat.id)
        )
    message = update.message
    if message is None or message.from_user is None or message.chat.type != "private":
        return None
    user, chat = str(message.from_user.id), str(message.chat.id)
    if message.text:
        text = message.text
        if text.startswith("/start"):
            source = text.removeprefix("/start").strip() or None
            return Incoming(
                CHANNEL,
                user,
                text="/start",
                source=source,
                message_id=event,
                reply_to=chat,
                timestamp=message.date,
            )
        return Incoming(CHANNEL, user, text=text, message_id=event, reply_to=chat, timestamp=message.date)
    media = next((name for name in MEDIA_FIELDS if getattr(message, name, None)), "other")
    return Incoming(CHANNEL, user, media=media, message_id=event, reply_to=chat, timestamp=message.date)


def parse_update(body: bytes, bot: Bot) -> Update | None:
    """The update in a webhook's body; HTTPException 400 for anything that is not one (not JSON, not an
    object, fields PTB cannot read: a date in the year 10^12, nesting a thousand deep ...)."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        raise HTTPException(400, "not a Telegram update: the body is not JSON") from None
    if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
        raise HTTPException(400, "not a Telegram update: no update_id")
    try:
        return Update.de_json(data, bot)
    except Exception as error:  # PTB reads what Telegram sends; anything odd is the sender's fault
        raise HTTPException(400, f"not a Telegram update: {type(error).__name__}") from None


def read_update(update: Update) -> Incoming | None:
    """What a youth said in the update, or None when it says nothing readable (then answered 200 and
    dropped: Telegram would only send it again)."""
    try:
        incoming = incoming_from_update(update)
    except (AttributeError, TypeError, ValueError, OverflowError):
        return None
    if incoming is None or not all(isinstance(v, str | None) for v in text_fields(incoming)):
        return None
    return incoming


def text_fields(incoming: Incoming) -> tuple[object, ...]:
    return (
        incoming.user,
        incoming.text,
        incoming.payload,
        incoming.message_id,
        incoming.source,
        incoming.reply_to,
        incoming.media,
    )


# -- out --------------------------------------------------------------------------------------------


def _keyboard_rows(buttons: tuple[Button, ...]) -> list[list[dict[str, str]]]:
    keys: list[dict[str, str]] = []
    for button in buttons:
        if button.payload:
            keys.append({"text": button.title, "callback_data": button.payload})
        elif button.url and button.url.startswith(("http://", "https://")):  # Telegram refuses tel: links
            keys.append({"text": button.title, "url": button.url})
    per_row = 2 if all(len(k["text"]) <= 16 for k in keys) else 1
    return [keys[i : i + per_row] for i in range(0, len(keys), per_row)]


def escape(text: str) -> str:
    """For Telegram's HTML parse mode: <, > and & only (quotes may stay)."""
    return html.escape(text, quote=False)


def card_html(card: Card) -> str:
    lines = [f"<b>{escape(card.title)}</b>"]
    if card.subtitle:
        lines.append(escape(card.subtitle))
    lines += [f"• {escape(detail)}" for detail in card.details]
    phones = [a.url.removeprefix("tel:") for a in card.actions if a.url and a.url.startswith("tel:")]
    if card.kind == "helpline" and phones:
        lines.append(f"📞 {escape(phones[0])}")
    return "\n".join(lines)


def _send(text: str, rows: list[list[dict[str, str]]]) -> dict[str, Any]:
    params: dict[str, Any] = {
        "text": text,
        "parse_mode": "HTML",
        "link_preview_options": {"is_disabled": True},
    }
    if rows:
        params["reply_markup"] = {"inline_keyboard": rows}
    return {"method": "sendMessage", "params": params}  # the only method the outbox uses


def render(outgoing: Outgoing) -> list[dict[str, Any]]:
    """One bubble -> sendMessage calls: the text, then one message per card; the choices go on the last."""
    choices = _keyboard_rows(outgoing.buttons)
    calls: list[dict[str, Any]] = []
    if outgoing.text or not outgoing.cards:
        calls.append(_send(escape(outgoing.text or "…"), [] if outgoing.cards else choices))
    for index, card in enumerate(outgoing.cards):
        rows = _keyboard_rows(card.actions)
        if index == len(outgoing.cards) - 1:
            rows += choices
        calls.append(_send(card_html(card), rows))
    return calls


class TelegramClient:
    """Sends outbox rows with PTB's Bot and reads Telegram's answers as Sent / Retry / Failed."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def send(self, row: Claimed) -> Outcome:
        params = dict(row.request["params"])
        markup = params.pop("reply_markup", None)
        preview = params.pop("link_preview_options", None)
        try:
            sent = await self.bot.send_message(
                chat_id=row.recipient,
                reply_markup=InlineKeyboardMarkup.de_json(markup, self.bot) if markup else None,
                link_preview_options=LinkPreviewOptions(**preview) if preview else None,
                **params,
            )
        except RetryAfter as error:
            with warnings.catch_warnings():  # PTB 22 warns that retry_after will become a timedelta
                warnings.simplefilter("ignore")
                wait = error.retry_after
            seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
            return Retry("telegram 429 retry_after", after_seconds=seconds)
        except Forbidden as error:
            return Failed(f"telegram forbidden: {error.message[:120]}")  # the youth blocked the bot
        except BadRequest as error:
            return Failed(f"telegram bad request: {error.message[:120]}")
        except (TimedOut, NetworkError) as error:
            return Retry(f"telegram unreachable: {type(error).__name__}")
        except TelegramError as error:
            return Retry(f"telegram error: {type(error).__name__}")
        return Sent(str(sent.message_id))


# -- the webhook ------------------------------------------------------------------------------------


def counted_turn(context: ChannelContext, incoming: Incoming, chat: list[tuple[str, str]]) -> None:
    """The update's rates counted, then its turn, in one worker thread: one hop from the event loop and
    back instead of two (each waits for a free thread and for the GIL, under load)."""
    context.throttle.hit("webhook_global", "", *chat)
    context.running_brain().handle(incoming, render)


@router.post("/webhooks/telegram")
async def telegram_webhook(request: Request) -> dict[str, bool]:
    context = channel_context(request)
    settings, application = context.settings, context.telegram
    secret = settings.telegram_webhook_secret
    given = request.headers.get(SECRET_HEADER, "")
    if secret is None or not hmac.compare_digest(given.encode(), secret.get_secret_value().encode()):
        raise HTTPException(403, "wrong or missing secret token")
    if application is None:
        raise HTTPException(404, "Telegram is not configured (SIXTCAP_TELEGRAM_BOT_TOKEN)")
    update = parse_update(await request.body(), application.bot)
    incoming = read_update(update) if update is not None else None
    chat = [("webhook_per_chat", f"{CHANNEL}:{incoming.user}")] if incoming is not None else []
    if incoming is not None:
        await run_in_threadpool(counted_turn, context, incoming, chat)  # over a rate: Telegram retries
        context.wake_sender()
    else:
        await context.throttle.hit_async("webhook_global", "", *chat)
    if update is None:
        raise HTTPException(400, "not a Telegram update")
    if update.callback_query and application.running:  # stop the button's spinner; best effort
        task = asyncio.create_task(_answer(application.bot, update.callback_query.id))
        context.background.add(task)
        task.add_done_callback(context.background.discard)
    return {"ok": True}


async def _answer(bot: Bot, query_id: str) -> None:
    try:
        await bot.answer_callback_query(query_id)
    except TelegramError as error:
        log.info("callback query not answered: %s", type(error).__name__)
