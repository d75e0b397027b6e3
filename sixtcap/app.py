"""The web application: the channels (Telegram, WhatsApp, the widget), the portal page, /healthz, and the
outbox sender running beside them for as long as the app runs."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import HTMLResponse, JSONResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from sqlalchemy import Engine, text
from sqlalchemy.exc import DataError, SQLAlchemyError

from admin_api import create_admin_app
from admin_api.context import StaffContext
from bot import handoffs, privacy
from bot.brain import Brain
from bot.canned import load_canned
from bot.catalogue.loader import catalogue_counts
from bot.config import Settings
from bot.db import make_engine, session_factory, transaction
from bot.texts import load_texts
from bot.yamlfile import describe_error, dotted
from webhooks import telegram, whatsapp, widget
from webhooks.context import ChannelContext
from webhooks.delivery import PlatformClient
from webhooks.notifications import EmailClient, WebhookClient
from webhooks.sender import Sender

log = logging.getLogger(__name__)

PAGES = Path(__file__).resolve().parent / "pages"
pages = Environment(
    loader=FileSystemLoader(PAGES), autoescape=True, undefined=StrictUndefined, keep_trailing_newline=True
)


async def start_telegram(settings: Settings) -> Any:
    """The PTB application, initialised (getMe) and started; None when Telegram is off or unreachable."""
    application = telegram.build_application(settings)
    if application is None:
        return None
    try:
        await application.initialize()
        await application.start()
    except Exception as error:  # a bad token or no network must not take the widget down
        log.error("Telegram is off: %s", type(error).__name__)
        return None
    return application


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def readable_errors(_request: Request, error: RequestValidationError) -> JSONResponse:
        """422 with one readable line per problem."""
        problems = [
            f"{dotted([p for p in e['loc'] if p != 'body']) or 'body'}: {describe_error(e)}"
            for e in error.errors()
        ]
        return JSONResponse({"detail": "; ".join(problems), "problems": problems}, status_code=422)

    @app.exception_handler(DataError)
    async def refused_value(_request: Request, error: DataError) -> JSONResponse:
        """A value the database cannot store (a NUL character, a number out of range): the request's fault."""
        return JSONResponse(
            {"detail": "a value cannot be stored (control character or number out of range)"}, 422
        )

    @app.exception_handler(SQLAlchemyError)
    async def database_down(_request: Request, error: SQLAlchemyError) -> JSONResponse:
        """The platform retries on 5xx: nothing is lost while the database is away."""
        return JSONResponse({"detail": "database unavailable, try again"}, status_code=503)


@dataclass
class AppContext(ChannelContext):
    """The web application's typed state (`app.state.context`): what the channels read, and the admin app
    and scheduled jobs, reachable by tests."""

    engine: Engine | None = None
    admin: FastAPI | None = None
    scheduler: AsyncIOScheduler | None = None
    purge: Callable[[], None] | None = None  # the daily retention purge, run now
    remind: Callable[[], Awaitable[None]] | None = None  # the handoff reminders' job, run now


def connect_admin(admin: FastAPI, brain: Brain, settings: Settings, engine: Engine, sender: Sender) -> None:
    """What the admin API needs from the running application."""
    admin.state.context = StaffContext(
        engine=engine,
        clock=brain.clock,
        texts=brain.resources.texts,
        territory=brain.resources.territory,
        concerns=brain.resources.concerns,
        zone=brain.resources.zone,
        public_url=settings.server.public_url,
        renderers={telegram.CHANNEL: telegram.render, whatsapp.CHANNEL: whatsapp.render},
        wake_sender=sender.wake,
        remind_after_hours=settings.handoff.remind_after_business_hours,
        poll_ms=int(settings.handoff.inbox_poll_seconds * 1000),
        canned=load_canned(settings.data_dir / "canned_replies.yml"),
        secret_key=privacy.secret_key(settings),
        staff_texts=load_texts(settings.data_dir / "dialogue" / "staff_actions.fr.yml"),
    )


def reminders(context: AppContext, settings: Settings, engine: Engine) -> AsyncIOScheduler:
    """The job reminding partners and coordinators of questions nobody took (safe with several processes:
    each handoff is reminded once, see bot.handoffs.remind_overdue)."""
    scheduler = AsyncIOScheduler(timezone=settings.timezone)

    async def job() -> None:
        def remind() -> list[int]:
            with transaction(engine) as session:
                return handoffs.remind_overdue(
                    session,
                    context.running_brain().clock(),
                    settings.handoff.business_hours,
                    settings.handoff.remind_after_business_hours,
                    settings.zone,
                    settings.server.public_url,
                )

        if await run_in_threadpool(remind):
            context.wake_sender()

    def purge_old() -> None:
        with transaction(engine) as session:
            counts = privacy.purge(session, context.running_brain().clock(), settings.retention)
        log.info("retention purge: %s", counts)

    hour, minute = (int(part) for part in settings.retention.purge_at.split(":"))
    scheduler.add_job(
        run_in_threadpool,
        "cron",
        args=[purge_old],
        hour=hour,
        minute=minute,
        id="retention-purge",
        max_instances=1,
        coalesce=True,
    )
    context.purge, context.scheduler = purge_old, scheduler
    scheduler.add_job(
        job,
        "interval",
        minutes=settings.handoff.check_every_minutes,
        id="handoff-reminders",
        max_instances=1,
        coalesce=True,
    )
    context.remind = job
    return scheduler


def create_app(settings: Settings, engine: Engine | None = None, brain: Brain | None = None) -> FastAPI:
    engine = engine or make_engine(settings.database_url)
    sessions = session_factory(engine)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:  # `app` below: the main app, not a mounted one
        if context.brain is None:
            context.brain = Brain.from_settings(settings, engine)
        brain = context.brain
        clients: dict[str, PlatformClient] = {}
        telegram_app = await start_telegram(settings)
        context.telegram = telegram_app
        if telegram_app is not None:
            clients[telegram.CHANNEL] = telegram.TelegramClient(telegram_app.bot)
        whatsapp_client = None
        if settings.whatsapp_access_token is not None:
            whatsapp_client = whatsapp.WhatsAppClient(settings, engine, brain.clock)
            clients[whatsapp.CHANNEL] = whatsapp_client
        notifier = WebhookClient(key=privacy.secret_key(settings))
        clients["webhook"] = notifier
        if settings.smtp.host:
            password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
            clients["email"] = EmailClient(settings.smtp, password)
        sender = Sender(engine, clients, settings.outbox, clock=brain.clock)
        context.sender = sender
        connect_admin(admin, brain, settings, engine, sender)
        running = asyncio.create_task(sender.run())
        scheduler = reminders(context, settings, engine)
        scheduler.start()
        try:
            yield
        finally:
            scheduler.shutdown(wait=False)
            sender.stop()
            await running
            await notifier.aclose()
            for task in list(context.background):
                task.cancel()
            if telegram_app is not None:
                await telegram_app.stop()
                await telegram_app.shutdown()
            if whatsapp_client is not None:
                await whatsapp_client.aclose()

    app = FastAPI(title="sixtcap", version="0.1.0", docs_url=None, redoc_url=None, lifespan=lifespan)
    admin = create_admin_app()
    context = AppContext(settings=settings, brain=brain, engine=engine, admin=admin)
    app.state.context = context
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.widget.allowed_origins,
        allow_methods=["GET", "POST"],
        allow_headers=["Content-Type"],
    )
    app.include_router(widget.router)
    app.include_router(telegram.router)
    app.include_router(whatsapp.router)
    app.mount("/admin", admin)
    for application in (app, admin):
        install_error_handlers(application)

    @app.get("/healthz")
    def healthz() -> JSONResponse:
        """Database reachable, and how many partners and services are active."""
        try:
            with sessions() as session:
                session.execute(text("SELECT 1"))
                counts = catalogue_counts(session)
        except SQLAlchemyError as error:
            body: dict[str, Any] = {
                "status": "error",
                "database": "unreachable",
                "detail": type(error).__name__,
            }
            return JSONResponse(body, status_code=503)
        return JSONResponse({"status": "ok", "database": "ok", "catalogue": counts})

    @app.get("/confidentialite", response_class=HTMLResponse)
    def privacy_notice() -> str:
        """What is kept, why, how long, who sees it, how to erase it (durations from config.yml)."""
        return pages.get_template("confidentialite.html").render(**settings.retention.model_dump())

    @app.get("/", response_class=HTMLResponse)
    def portal() -> str:
        """The 6Tcap demo portal: the classic menu and the village, with the chat widget."""
        return pages.get_template("portal.html").render()

    return app
