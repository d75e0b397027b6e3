"""The background sender: takes due outbox rows, hands each to its platform's client, and records the
outcome (sent, retry later with backoff or when the platform says, or failed). Runs in the web app's
event loop; several processes may run it at once (bot/outbox.py makes each row go out once)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from fastapi.concurrency import run_in_threadpool
from sqlalchemy import Engine

from bot import outbox
from bot.config import OutboxSettings
from bot.outbox import Claimed
from webhooks.delivery import Failed, Outcome, PlatformClient, Retry, Sent

log = logging.getLogger(__name__)


class Sender:
    def __init__(
        self,
        engine: Engine,
        clients: dict[str, PlatformClient],
        settings: OutboxSettings,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.engine = engine
        self.clients = clients
        self.settings = settings
        self.clock = clock
        self._wake = asyncio.Event()
        self._stopping = False

    def wake(self) -> None:
        """Look at the outbox now (a webhook just wrote to it)."""
        self._wake.set()

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()

    async def run(self) -> None:
        while not self._stopping:
            try:
                done = await self.run_once()
            except Exception:  # the database may be away: try again at the next tick
                log.exception("outbox round failed")
                done = 0
            if done == 0:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=self.settings.poll_seconds)

    async def run_once(self) -> int:
        """Send what is due now; returns how many rows were tried."""
        settings = self.settings
        rows = await run_in_threadpool(
            outbox.claim,
            self.engine,
            self.clock(),
            timedelta(seconds=settings.lease_seconds),
            timedelta(seconds=settings.pace_seconds),
        )
        for row in rows:
            if row.channel not in self.clients:  # that channel is not configured in this process
                later = self.clock() + timedelta(minutes=5)
                await run_in_threadpool(
                    outbox.mark_retry, self.engine, row.id, f"no {row.channel} client", later
                )
        await asyncio.gather(*(self.deliver(row) for row in rows if row.channel in self.clients))
        return len(rows)

    async def deliver(self, row: Claimed) -> None:
        try:
            outcome: Outcome = await asyncio.wait_for(
                self.clients[row.channel].send(row), timeout=self.settings.timeout_seconds
            )
        except TimeoutError:
            outcome = Retry("timed out")
        except Exception as error:  # a client bug must not stop the sender
            log.exception("client failed")
            outcome = Retry(f"client error {type(error).__name__}")
        await run_in_threadpool(self.record, row, outcome)

    def record(self, row: Claimed, outcome: Outcome) -> None:
        now = self.clock()
        if isinstance(outcome, Sent):
            outbox.mark_sent(self.engine, row.id, outcome.platform_message_id, now, kind=outcome.kind)
        elif isinstance(outcome, Failed) or row.attempts >= self.settings.max_attempts:
            outbox.mark_failed(self.engine, row.id, outcome.reason)
            log.warning("outbox row %s failed: %s", row.id, outcome.reason)
        else:
            wait = outcome.after_seconds
            if wait is None:
                wait = outbox.backoff(row.attempts, self.settings.backoff_max_seconds)
            outbox.mark_retry(self.engine, row.id, outcome.reason, now + timedelta(seconds=wait))
