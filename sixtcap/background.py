"""What runs beside the web requests: the platform clients, the outbox sender and the scheduled jobs
(handoff reminders, offers refreshed from each source, offers expired, follow-ups sent, the daily
retention purge). A job with a lease (bot/leases.py) runs once across processes and survives restarts.
The web processes run them when `server.jobs` is on (`make run`); in production `sixtcap worker` runs
them alone, and the web processes only answer.

Stopping is graceful: the scheduler takes no new job, the sender's deliveries in progress get
`server.shutdown_grace_seconds` to finish, then the rows still claimed are given back to the outbox."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import Engine

from bot import followups, handoffs, leases, outbox, privacy
from bot.brain import Brain
from bot.config import Settings
from bot.db import transaction
from bot.offers.refresh import refresh, remote_sources
from bot.offers.store import expire_past
from sixtcap import metrics
from webhooks import telegram, whatsapp
from webhooks.delivery import PlatformClient
from webhooks.notifications import EmailClient, WebhookClient
from webhooks.sender import Sender

log = logging.getLogger(__name__)

PURGE_JOB, REMINDER_JOB = "retention-purge", "handoff-reminders"
EXPIRE_JOB, FOLLOW_UP_JOB, REFRESH_JOB = "offers-expire", "follow-ups", "offers-refresh-{}"
TICK_SECONDS = 60.0  # how often each process asks whether a leased job is due


async def start_telegram(application: Any) -> bool:
    """Initialise (getMe) and start the PTB application; False when Telegram cannot be reached."""
    try:
        await application.initialize()
        await application.start()
    except Exception as error:  # a bad token or no network must not take the widget down
        log.error("Telegram cannot be reached yet: %s", type(error).__name__)
        return False
    return True


@dataclass
class Clients:
    """The platform clients of one process, by outbox channel."""

    by_channel: dict[str, PlatformClient] = field(default_factory=dict)
    telegram_app: Any = None
    closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    starting: asyncio.Task[None] | None = None  # Telegram unreachable at start-up: tried again meanwhile
    engine: Engine | None = None
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))

    @classmethod
    async def start(cls, settings: Settings, engine: Engine, brain: Brain) -> Clients:
        clients = cls()
        clients.telegram_app = telegram.build_application(settings)
        if clients.telegram_app is not None:
            # the webhook takes updates at once; replies wait in the outbox until Telegram answers
            if await start_telegram(clients.telegram_app):
                clients.telegram_ready()
            else:
                wait = settings.telegram.start_retry_max_seconds
                clients.engine, clients.clock = engine, brain.clock
                clients.starting = asyncio.create_task(clients.keep_starting_telegram(wait))
        if settings.whatsapp_access_token is not None:
            whatsapp_client = whatsapp.WhatsAppClient(settings, engine, brain.clock)
            clients.by_channel[whatsapp.CHANNEL] = whatsapp_client
            clients.closers.append(whatsapp_client.aclose)
        notifier = WebhookClient(key=privacy.secret_key(settings))
        clients.by_channel["webhook"] = notifier
        clients.closers.append(notifier.aclose)
        if settings.smtp.host:
            password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
            clients.by_channel["email"] = EmailClient(settings.smtp, password)
        return clients

    def telegram_ready(self) -> None:
        """Telegram answered: the sender may deliver to it (the dict is the sender's own)."""
        self.by_channel[telegram.CHANNEL] = telegram.TelegramClient(self.telegram_app.bot)

    async def keep_starting_telegram(self, max_wait: float) -> None:
        """Try again after 1, 2, 4 ... seconds (at most `max_wait`) until Telegram answers."""
        attempt = 0
        while True:
            await asyncio.sleep(min(2.0**attempt, max_wait))
            attempt += 1
            if await start_telegram(self.telegram_app):
                self.telegram_ready()
                if self.engine is not None:
                    await run_in_threadpool(outbox.due_now, self.engine, telegram.CHANNEL, self.clock())
                log.info("Telegram reached after %s retries", attempt)
                return

    async def close(self) -> None:
        if self.starting is not None:
            self.starting.cancel()
        for close in self.closers:
            await close()
        if self.telegram_app is not None and self.telegram_app.running:
            await self.telegram_app.stop()
        if self.telegram_app is not None:
            await self.telegram_app.shutdown()


def counted(job: str, function: Callable[[], Any]) -> Callable[[], Any]:
    """`function`, counted in the metrics (runs, errors, last success)."""

    def run() -> Any:
        try:
            result = function()
        except Exception:
            metrics.job_ran(job, ok=False)
            raise
        metrics.job_ran(job, ok=True)
        return result

    return run


class Jobs:
    """The outbox sender and the scheduler of one process."""

    def __init__(self, settings: Settings, engine: Engine, brain: Brain, clients: Clients) -> None:
        self.renderers: dict[str, followups.Renderer] = {
            telegram.CHANNEL: telegram.render,
            whatsapp.CHANNEL: whatsapp.render_follow_up,
        }
        self.settings = settings
        self.engine = engine
        self.brain = brain
        self.sender = Sender(
            engine,
            clients.by_channel,
            settings.outbox,
            clock=brain.clock,
            observe=lambda channel, outcome: metrics.OUTBOX_DELIVERIES.labels(channel, outcome).inc(),
        )
        self.scheduler = AsyncIOScheduler(timezone=settings.timezone)
        self.running: asyncio.Task[None] | None = None
        self.purge = counted(PURGE_JOB, self._purge)
        self.leased: dict[str, Callable[[], Any]] = {}  # job name -> run it if due and not taken elsewhere
        self._schedule()

    def _purge(self) -> None:
        """The daily retention purge, run now."""
        with transaction(self.engine) as session:
            counts = privacy.purge(session, self.brain.clock(), self.settings.retention)
        log.info("retention purge: %s", counts)

    def _remind(self) -> list[int]:
        settings = self.settings
        with transaction(self.engine) as session:
            return handoffs.remind_overdue(
                session,
                self.brain.clock(),
                settings.handoff.business_hours,
                settings.handoff.remind_after_business_hours,
                settings.zone,
                settings.server.public_url,
            )

    async def remind(self) -> None:
        """The handoff reminders' job, run now (safe with several processes: each question is reminded
        once, see bot.handoffs.remind_overdue)."""
        if await run_in_threadpool(counted(REMINDER_JOB, self._remind)):
            self.sender.wake()

    def _leased(self, name: str, every_minutes: float, hold_minutes: float, work: Callable[[], Any]) -> None:
        """Schedule `work` as job `name`: every process ticks it, one of them runs it when it is due
        (bot/leases.py), so it runs once every `every_minutes` whatever the number of processes, and
        a restart neither repeats nor skips a run."""
        every, hold = timedelta(minutes=every_minutes), timedelta(minutes=hold_minutes)
        job = counted(name, work)

        def run() -> Any:
            if not leases.take(self.engine, name, self.brain.clock(), every, hold):
                return None
            try:
                result = job()
            except Exception as error:
                leases.finish(self.engine, name, self.brain.clock(), f"{type(error).__name__}: {error}")
                log.error("job %s failed: %s", name, type(error).__name__)
                return None
            leases.finish(self.engine, name, self.brain.clock())
            if result:
                self.sender.wake()
            return result

        self.leased[name] = run
        self.scheduler.add_job(
            run_in_threadpool,
            "interval",
            args=[run],
            seconds=min(TICK_SECONDS, every_minutes * 60),
            id=name,
            max_instances=1,
            coalesce=True,
        )

    def _offer_jobs(self) -> None:
        """Refresh each offers source with credentials, expire offers past their date, send follow-ups."""
        resources, settings = self.brain.resources, self.settings
        territory, stations = resources.territory, resources.offers.stations
        for source, (minutes, fetch) in remote_sources(settings, territory, resources.offers.trades).items():

            def work(source: str = source, fetch: Any = fetch) -> Any:
                return refresh(self.engine, source, fetch, self.brain.clock, territory, stations)

            self._leased(REFRESH_JOB.format(source), minutes, 30, work)

        def expire() -> int:
            with transaction(self.engine) as session:
                return expire_past(session, self.brain.clock())

        def follow_up() -> int:
            with transaction(self.engine) as session:
                return followups.send_due(session, self.brain.clock(), self._texts, self.renderers)

        self._leased(EXPIRE_JOB, settings.offers.expire_every_minutes, 10, expire)
        self._leased(FOLLOW_UP_JOB, settings.offers.follow_up_check_minutes, 10, follow_up)

    def _texts(self, language: str) -> Any:
        return self.brain.resources.languages.get(language, self.brain.resources.texts)

    def _schedule(self) -> None:
        settings = self.settings
        hour, minute = (int(part) for part in settings.retention.purge_at.split(":"))
        self.scheduler.add_job(
            run_in_threadpool,
            "cron",
            args=[self.purge],
            hour=hour,
            minute=minute,
            id=PURGE_JOB,
            max_instances=1,
            coalesce=True,
        )
        self._leased(REMINDER_JOB, settings.handoff.check_every_minutes, 10, self._remind)
        self._offer_jobs()

    def start(self) -> None:
        self.running = asyncio.create_task(self.sender.run())
        self.scheduler.start()

    async def stop(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        if self.running is not None:
            await self.sender.shutdown(self.running, self.settings.server.shutdown_grace_seconds)

    def problems(self) -> list[str]:
        """What is wrong with the jobs of this process (for /livez); empty when all is well."""
        found = []
        if self.running is not None and self.running.done():
            error = None if self.running.cancelled() else self.running.exception()
            found.append(f"outbox sender stopped ({type(error).__name__ if error else 'cancelled'})")
        if self.running is not None and not self.scheduler.running:
            found.append("scheduler stopped")
        return found
