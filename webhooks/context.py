"""The typed state the channel adapters read from the web application (filled by sixtcap.app): one object
in `app.state.context` instead of loose, untyped attributes."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request

from bot.brain import Brain
from bot.config import Settings
from bot.throttle import Throttle
from webhooks.sender import Sender


@dataclass
class ChannelContext:
    settings: Settings
    brain: Brain | None = None  # created at start-up unless given (tests give theirs)
    sender: Sender | None = None  # runs from start-up to shutdown
    telegram: Any = None  # PTB's Application, started; None when Telegram is off
    background: set[asyncio.Task[None]] = field(default_factory=set)  # fire-and-forget tasks
    throttle: Throttle = field(init=False)  # the rate limits of config.yml (limits), in this process

    def __post_init__(self) -> None:
        self.throttle = Throttle(self.settings.limits)

    def running_brain(self) -> Brain:
        if self.brain is None:
            raise RuntimeError("the application has not started: no brain yet")
        return self.brain

    def wake_sender(self) -> None:
        """New rows in the outbox: the sender looks at once instead of at its next poll."""
        if self.sender is not None:
            self.sender.wake()


def channel_context(request: Request) -> ChannelContext:
    context: ChannelContext = request.app.state.context
    return context
