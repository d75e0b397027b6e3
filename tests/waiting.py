"""Waiting for a condition instead of sleeping: a test goes on as soon as what it waits for is true, and
fails with a clear message when it never becomes true."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Engine, func, select

from bot.db import session_factory
from bot.enums import OutboxStatus
from bot.models import OutboxMessage

T = TypeVar("T")

# How long the platform stays down in the outage test (SIXTCAP_TEST_OUTAGE_SECONDS=30 for the real thing).
OUTAGE_SECONDS = float(os.environ.get("SIXTCAP_TEST_OUTAGE_SECONDS", "3"))


def wait_for(condition: Callable[[], T], timeout: float = 15, what: str = "the condition") -> T:
    """The first truthy value of `condition()`, polled every 50 ms until `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"{what} not met in {timeout} s")
        time.sleep(0.05)


def outbox_settled(engine: Engine) -> bool:
    """Nothing left to send or being sent: the sender will make no more platform calls by itself."""
    with session_factory(engine)() as session:
        waiting = session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.status.in_((OutboxStatus.PENDING, OutboxStatus.SENDING)))
        )
    return waiting == 0


def wait_until_settled(engine: Engine, timeout: float = 20) -> None:
    wait_for(lambda: outbox_settled(engine), timeout, "an empty outbox queue")
