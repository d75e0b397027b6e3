"""The background sender: takes due outbox rows, hands each to its platform's client, and records the
outcome (sent, retry later with backoff or when the platform says, or failed). Runs in the web app's
event loop or in `sixtcap worker`; several processes may run it at once (bot/outbox.py makes each row go
out once). `shutdown` lets the deliveries in progress finish for a grace period, then gives back the rows
still claimed, so another process sends them at once instead of after the lease."""

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
        observe: Callable[[str, str], None] | None = None,
    ) -> None:
        self.observe = observe  # (channel, outcome): sent, retry or failed; for the metrics
        self.in_flight: set[int] = set()  # ids claimed by this sender whose outcome is not recorded yet
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

    async def shutdown(self, running: asyncio.Task[None], grace_seconds: float) -> int:
        """Stop `running` (the task of `run`): the round in progress has `grace_seconds` to finish, then
        it is cancelled and the rows it still holds are released. How many rows were released."""
        self.stop()
        done, _ = await asyncio.wait({running}, timeout=grace_seconds)
        if not done:
            running.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await running
        left = sorted(self.in_flight)
        self.in_flight.clear()
        released = await run_in_threadpool(outbox.release, self.engine, left)
        if released:
            log.info("shutdown: %s outbox row(s) released for another sender", released)
        return released

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
        self.in_flight.update(row.id for row in rows)
        for row in rows:
            if row.channel not in self.clients:  # that channel is not configured in this process
                later = self.clock() + timedelta(minutes=5)
                await run_in_threadpool(
                    outbox.mark_retry, self.engine, row.id, f"no {row.channel} client", later
                )
                self.in_flight.discard(row.id)
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
        self.in_flight.discard(row.id)

    def record(self, row: Claimed, outcome: Outcome) -> None:
        now = self.clock()
        if isinstance(outcome, Sent):
            outbox.mark_sent(self.engine, row.id, outcome.platform_message_id, now, kind=outcome.kind)
            self._observed(row.channel, "sent")
        elif isinstance(outcome, Failed) or self.given_up(row, now):
            outbox.mark_failed(self.engine, row.id, outcome.reason)
            log.warning("outbox row %s failed after %s tries: %s", row.id, row.attempts, outcome.reason)
            self._observed(row.channel, "failed")
        else:
            self._observed(row.channel, "retry")
            wait = outcome.after_seconds
            if wait is None:
                wait = outbox.backoff(row.attempts, self.settings.backoff_max_seconds)
            outbox.mark_retry(self.engine, row.id, outcome.reason, now + timedelta(seconds=wait))

    def given_up(self, row: Claimed, now: datetime) -> bool:
        """Past its cap: too many tries, or older than outbox.give_up_after_hours (an alert fires)."""
        too_old = row.created_at is not None and now - row.created_at > timedelta(
            hours=self.settings.give_up_after_hours
        )
        return row.attempts >= self.settings.max_attempts or too_old

    def _observed(self, channel: str, outcome: str) -> None:
        if self.observe is not None:
            self.observe(channel, outcome)
