"""What goes in and out of the brain, free of any platform. Channel adapters translate these."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

CardKind = Literal["service", "offer", "scene", "helpline", "trade"]


@dataclass(frozen=True)
class Incoming:
    """One message from a youth: text, or the payload of a button they pressed."""

    channel: str  # "telegram", "whatsapp", "widget", "cli"
    user: str  # the platform's identifier of the youth
    text: str | None = None
    payload: str | None = None
    message_id: str | None = None
    timestamp: datetime | None = None
    source: str | None = None  # campaign source (deep link, QR code)
    reply_to: str | None = None  # where the platform sends replies (chat id); None: replies are returned only
    media: str | None = None  # what came instead of text: "sticker", "photo", "voice", "edit", ...


@dataclass(frozen=True)
class Button:
    """A choice. `payload` comes back as Incoming.payload; a button with `url` opens a link instead."""

    title: str
    payload: str | None = None
    url: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in {"title": self.title, "payload": self.payload, "url": self.url}.items() if v}


@dataclass(frozen=True)
class Card:
    kind: CardKind
    id: str
    title: str
    subtitle: str | None = None
    url: str | None = None
    details: tuple[str, ...] = ()  # short lines: hours, address, phone, places
    actions: tuple[Button, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "id": self.id,
            "title": self.title,
            "subtitle": self.subtitle,
            "url": self.url,
            "details": list(self.details),
            "actions": [a.as_dict() for a in self.actions],
        }


@dataclass(frozen=True)
class Outgoing:
    """One bubble: a short text, then buttons and cards."""

    text: str = ""
    buttons: tuple[Button, ...] = ()
    cards: tuple[Card, ...] = field(default_factory=tuple)
    id: int | None = None  # set once stored in the transcript

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "text": self.text,
            "buttons": [b.as_dict() for b in self.buttons],
            "cards": [c.as_dict() for c in self.cards],
        }
        if self.id is not None:
            body["id"] = self.id
        return body


@dataclass(frozen=True)
class TurnResult:
    """What one turn of the brain gives an adapter: the bubbles to show, and what it must know besides."""

    messages: list[Outgoing]
    erased: bool = False  # the youth confirmed « oublie-moi »: nothing about them is kept any more
    duplicate: bool = False  # a platform event already handled (a redelivery): nothing was done

    @property
    def cursor(self) -> int:
        """The id of the last stored bubble (0 when none was stored)."""
        return max((message.id or 0 for message in self.messages), default=0)
