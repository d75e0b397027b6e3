"""What a platform client answers when asked to send one outbox row."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.outbox import Claimed


@dataclass(frozen=True)
class Sent:
    platform_message_id: str | None = None
    kind: str = "message"  # "template" when WhatsApp's 24-hour window made us send the template instead


@dataclass(frozen=True)
class Retry:
    reason: str
    after_seconds: float | None = None  # what the platform asked for (Telegram retry_after); None: backoff


@dataclass(frozen=True)
class Failed:
    reason: str


Outcome = Sent | Retry | Failed


class PlatformClient(Protocol):
    async def send(self, row: Claimed) -> Outcome: ...


def shorten(title: str, limit: int) -> str:
    """'Poser une question à un conseiller' -> 'Poser une question…' (20): cut at a word, mark it."""
    if len(title) <= limit:
        return title
    cut = title[: limit - 1]
    if " " in cut:
        cut = cut[: cut.rfind(" ")]
    return cut.rstrip(" ,;:-") + "…"
