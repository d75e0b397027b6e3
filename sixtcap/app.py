"""The web application: the channels (Telegram, WhatsApp, the widget), the portal's pages
(sixtcap/portal.py), /healthz, /livez, /readyz and /metrics, and (with `server.jobs`) the outbox sender
and scheduled jobs beside them for as long as the app runs. `create_worker_app` is `sixtcap worker`: the
jobs alone, with their health and metrics."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import SecretStr
from sqlalchemy import Engine, text
from sqlalchemy.exc import DataError, DBAPIError, SQLAlchemyError

from admin_api import create_admin_app
from admin_api.context import StaffContext
from bot import privacy
from bot.brain import Brain
from bot.campaigns import Links
from bot.canned import load_canned
from bot.catalogue.loader import catalogue_counts
from bot.config import Settings
from bot.db import session_factory
from bot.texts import load_texts
from bot.throttle import Limited, Throttle
from bot.yamlfile import describe_error, dotted
from sixtcap import metrics, portal
from sixtcap.background import Clients, Jobs
from sixtcap.body_limit import BodyLimit
from sixtcap.health import health_router
from sixtcap.portal import pages
from sixtcap.reporting import report_errors
from webhooks import telegram, whatsapp, widget
from webhooks.context import ChannelContext

log = logging.getLogger(__name__)


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

    @app.exception_handler(Limited)
    async def too_many(_request: Request, error: Limited) -> JSONResponse:
        """Over a rate of config.yml (limits): try again later; platforms do so by themselves."""
        headers = {"Retry-After": str(error.retry_after)}
        body = {"detail": f"too many requests ({error.scope}): try again in {error.retry_after} s"}
        return JSONResponse(body | {"retry_after": error.retry_after}, 429, headers=headers)

    @app.exception_handler(SQLAlchemyError)
    async def database_down(_request: Request, error: SQLAlchemyError) -> JSONResponse:
        """The platform retries on 5xx: nothing is lost while the database is away. The log names the
        error's classes only: its text would carry the statement's parameters (a youth's words)."""
        cause = type(error.orig).__name__ if isinstance(error, DBAPIError) else type(error.__cause__).__name__
        log.warning("database unavailable (503): %s from %s", type(error).__name__, cause)
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
    jobs: Jobs | None = None  # None when `sixtcap worker` runs them (server.jobs: false)
    shutting_down: bool = False

    def live_problems(self) -> list[str]:
        return self.jobs.problems() if self.jobs is not None else []


@asynccontextmanager
async def background(context: AppContext, settings: Settings, engine: Engine) -> AsyncIterator[Brain]:
    """The brain, the platform clients and (with `run_jobs`) the sender and the scheduler, from start-up
    to a graceful shutdown."""
    report_errors(settings)
    if context.brain is None:
        context.brain = Brain.from_settings(settings, engine)
    brain = context.brain
    metrics.watch(brain)
    clients = await Clients.start(settings, engine, brain)
    context.telegram = clients.telegram_app
    jobs = None
    if settings.server.jobs:
        jobs = Jobs(settings, engine, brain, clients)
        context.jobs, context.sender, context.scheduler = jobs, jobs.sender, jobs.scheduler
        context.purge, context.remind = jobs.purge, jobs.remind
        jobs.start()
    try:
        yield brain
    finally:
        context.shutting_down = True
        if jobs is not None:
            await jobs.stop()
        for task in list(context.background):
            task.cancel()
        await clients.close()


def connect_admin(
    admin: FastAPI,
    brain: Brain,
    settings: Settings,
    engine: Engine,
    wake_sender: Callable[[], None],
    throttle: Throttle,
) -> None:
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
        wake_sender=wake_sender,
        remind_after_hours=settings.handoff.remind_after_business_hours,
        poll_ms=int(settings.handoff.inbox_poll_seconds * 1000),
        canned=load_canned(settings.data_dir / "canned_replies.yml"),
        secret_key=privacy.secret_key(settings),
        staff_texts=load_texts(settings.data_dir / "dialogue" / "staff_actions.fr.yml"),
        links=Links.from_settings(settings),
        crisis_labels={name: kind.label for name, kind in brain.resources.crisis.kinds.items()},
        stations=brain.resources.offers.stations,
        staff_settings=settings.staff,
        throttle=throttle,
    )


def create_app(
    settings: Settings, engine: Engine | None = None, brain: Brain | None = None, freeze_heap: bool = False
) -> FastAPI:
    """The web application. `freeze_heap` (`sixtcap serve`, `server.gc_freeze`): once started, what it
    loaded is left out of the garbage collector's full passes (`freeze_startup_heap`)."""
    engine = engine or settings.engine()
    sessions = session_factory(engine)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:  # `app` below: the main app, not a mounted one
        async with background(context, settings, engine) as brain:
            connect_admin(admin, brain, settings, engine, context.wake_sender, context.throttle)
            if freeze_heap:
                freeze_startup_heap()
            yield

    app = FastAPI(title="sixtcap", version="0.1.0", docs_url=None, redoc_url=None, lifespan=lifespan)
    admin = create_admin_app()
    context = AppContext(settings=settings, brain=brain, engine=engine, admin=admin)
    context.throttle = Throttle(  # PostgreSQL: shared by the processes
        settings.limits,
        engine,
        privacy.secret_key(settings),
        settings.database.durable_rate_counts,
        settings.timeouts(),
    )
    app.state.context = context
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.widget.allowed_origins,
        allow_methods=["GET", "POST"],
        allow_headers=["Content-Type"],
    )
    app.add_middleware(metrics.CountResponses)
    app.add_middleware(BodyLimit, max_bytes=settings.limits.max_body_bytes)  # outermost: before any reading
    app.include_router(health_router(engine, context.live_problems, lambda: context.shutting_down))
    app.include_router(widget.router)
    app.include_router(portal.router)
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

    @app.get("/metrics", include_in_schema=False)
    def metrics_endpoint(request: Request) -> Response:
        """Prometheus metrics, for the bearer of SIXTCAP_METRICS_TOKEN."""
        return metrics.metrics_response(request, secret(settings.metrics_token), engine)

    @app.get("/confidentialite", response_class=HTMLResponse)
    def privacy_notice() -> str:
        """What is kept, why, how long, who sees it, how to erase it (durations from config.yml)."""
        return pages.get_template("confidentialite.html").render(**settings.retention.model_dump())

    return app


def freeze_startup_heap() -> None:
    """Leave what the process holds now (the NLU models, texts, territory: hundreds of thousands of objects
    kept for its life) out of the cyclic garbage collector's passes. A full pass walks every object that
    is not frozen: it stopped a server process for 0.1-0.5 s now and then under load, every request of
    that process waiting meanwhile. What is frozen is still freed when nothing refers to it any more;
    only a reference cycle among those objects, once garbage, would stay in memory."""
    gc.collect()
    gc.freeze()


def secret(value: SecretStr | None) -> str | None:
    return value.get_secret_value() if value is not None else None


def create_worker_app(
    settings: Settings, engine: Engine | None = None, brain: Brain | None = None
) -> FastAPI:
    """`sixtcap worker`: the outbox sender and the scheduled jobs, answering only /livez, /readyz and
    /metrics (on worker.host:worker.port)."""
    engine = engine or settings.engine()
    settings = settings.model_copy(update={"server": settings.server.model_copy(update={"jobs": True})})
    context = AppContext(settings=settings, brain=brain, engine=engine)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        async with background(context, settings, engine):
            yield

    app = FastAPI(title="sixtcap worker", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    app.state.context = context
    app.include_router(health_router(engine, context.live_problems, lambda: context.shutting_down))

    @app.get("/metrics", include_in_schema=False)
    def metrics_endpoint(request: Request) -> Response:
        return metrics.metrics_response(request, secret(settings.metrics_token), engine)

    return app


def from_environment() -> FastAPI:
    """The app of one worker of `sixtcap serve --workers N` (uvicorn's factory): settings from config.yml
    ($SIXTCAP_CONFIG) and the environment, as the parent read them."""
    from bot.config import load_settings
    from bot.logs import configure_logging

    settings = load_settings()
    configure_logging(settings.log_level)
    return create_app(settings, freeze_heap=settings.server.gc_freeze)
