"""The typed state the admin API and the inbox pages read (filled by sixtcap.app when the application
starts): one object in the admin app's `state.context`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from fastapi import Request
from sqlalchemy import Engine

from bot.campaigns import Links
from bot.canned import CannedReplies
from bot.concerns import Concern
from bot.handoffs import Renderer
from bot.territory import Territory
from bot.texts import Texts


@dataclass
class StaffContext:
    engine: Engine
    clock: Callable[[], datetime]
    texts: Texts
    territory: Territory
    concerns: Mapping[str, Concern]
    zone: ZoneInfo
    public_url: str
    renderers: dict[str, Renderer]  # per channel: how an adviser's answer is sent
    wake_sender: Callable[[], None]
    remind_after_hours: float = 4.0  # a question waiting longer is shown late
    poll_ms: int = 15_000  # how often the inbox pages look for changes
    canned: CannedReplies = field(default_factory=CannedReplies)  # replies advisers pick and adapt
    secret_key: bytes = b""  # signs the partners' webhooks (bot/webhook_signing.py)
    staff_texts: Texts = field(default_factory=lambda: Texts({}))  # what a youth is told of staff actions
    links: Links | None = None  # the campaigns' deep links (bot name, WhatsApp number); None: web only


def staff_context(request: Request) -> StaffContext:
    context: StaffContext = request.app.state.context
    return context


def now(request: Request) -> datetime:
    return staff_context(request).clock()
