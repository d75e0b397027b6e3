"""`sixtcap telegram ...`: register the webhook with Telegram, or poll for updates during development
(no public URL needed). Polling feeds the same brain, outbox and sender as the webhook."""

from __future__ import annotations

import asyncio
import logging

from telegram import Bot, Update
from telegram.ext import Application, ApplicationBuilder, ContextTypes, TypeHandler

from bot.brain import Brain
from bot.config import Settings
from webhooks.sender import Sender
from webhooks.telegram import TelegramClient, incoming_from_update, render

ALLOWED_UPDATES = ["message", "edited_message", "callback_query"]
log = logging.getLogger(__name__)


class TelegramNotConfigured(Exception):
    pass


def _token(settings: Settings) -> str:
    if settings.telegram_bot_token is None:
        raise TelegramNotConfigured("set SIXTCAP_TELEGRAM_BOT_TOKEN (the token given by @BotFather)")
    return settings.telegram_bot_token.get_secret_value()


async def set_webhook(settings: Settings, url: str) -> None:
    """Tell Telegram where to post updates, with the secret it must send back."""
    if settings.telegram_webhook_secret is None:
        raise TelegramNotConfigured("set SIXTCAP_TELEGRAM_WEBHOOK_SECRET (1-256 characters A-Z a-z 0-9 _ -)")
    async with Bot(_token(settings), base_url=settings.telegram.base_url) as bot:
        await bot.set_webhook(
            url=url,
            secret_token=settings.telegram_webhook_secret.get_secret_value(),
            allowed_updates=ALLOWED_UPDATES,
        )


def poll(settings: Settings, brain: Brain) -> None:
    """Long-poll Telegram until interrupted; replies go through the outbox like in production."""
    sender_task: list[asyncio.Task[None]] = []

    async def started(application: Application) -> None:  # type: ignore[type-arg]
        await application.bot.delete_webhook()
        sender = Sender(brain.engine, {"telegram": TelegramClient(application.bot)}, settings.outbox)
        application.bot_data["sender"] = sender
        sender_task.append(asyncio.create_task(sender.run()))

    async def stopping(application: Application) -> None:  # type: ignore[type-arg]
        application.bot_data["sender"].stop()
        await sender_task[0]

    async def on_update(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        incoming = incoming_from_update(update)
        if incoming is not None:
            await asyncio.to_thread(brain.handle, incoming, render)
            context.bot_data["sender"].wake()
        if update.callback_query:
            await update.callback_query.answer()

    application = (
        ApplicationBuilder()
        .token(_token(settings))
        .base_url(settings.telegram.base_url)
        .post_init(started)
        .post_stop(stopping)
        .build()
    )
    application.add_handler(TypeHandler(Update, on_update))
    application.run_polling(allowed_updates=ALLOWED_UPDATES, poll_interval=0.5, stop_signals=None)
