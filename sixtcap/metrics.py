"""Prometheus metrics (`GET /metrics`, behind `SIXTCAP_METRICS_TOKEN`), with prometheus-client.

Two kinds:
- counted by the processes as things happen: messages in and out by channel, turn latency, NLU fallbacks,
  crises, HTTP responses by route group and status class, outbox deliveries, scheduled job runs. With
  several processes (`sixtcap serve --workers N`, `sixtcap worker`) they share a folder
  (PROMETHEUS_MULTIPROC_DIR, set by `sixtcap serve` itself and by the systemd units) and any process
  answers for all;
- read from the database at scrape time, so every process tells the same: questions waiting (urgent or
  not) and the age of the oldest, the outbox backlog, its oldest due row and its failed rows.

No label ever carries a text or an identifier: channels, intents kinds, job names and route groups only."""

from __future__ import annotations

import hmac
import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

from fastapi import Request, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import SQLAlchemyError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.brain import Brain, TurnSeen
from bot.db import session_factory
from bot.enums import OutboxStatus
from bot.models import Handoff, OutboxMessage

MESSAGES_IN = Counter("sixtcap_messages_in_total", "Messages received from youths", ["channel"])
MESSAGES_OUT = Counter("sixtcap_messages_out_total", "Bubbles answered to youths", ["channel"])
TURN_SECONDS = Histogram(
    "sixtcap_turn_seconds",
    "Time to handle one message (understanding and the turn's transaction)",
    ["channel"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
NLU_FALLBACKS = Counter("sixtcap_nlu_fallback_total", "Messages the NLU did not understand", ["channel"])
CRISES = Counter("sixtcap_crisis_total", "Messages understood as a youth in danger", ["channel"])
ERASURES = Counter("sixtcap_erasures_total", "Youths erased at their request", ["channel"])
HTTP_RESPONSES = Counter(
    "sixtcap_http_responses_total", "HTTP responses by route group and status class", ["route", "status"]
)
OUTBOX_DELIVERIES = Counter(
    "sixtcap_outbox_deliveries_total", "Outbox rows tried, by channel and outcome", ["channel", "outcome"]
)
JOB_RUNS = Counter("sixtcap_job_runs_total", "Scheduled job runs, by task and outcome", ["task", "outcome"])
JOB_LAST_SUCCESS = Gauge(
    "sixtcap_job_last_success_timestamp_seconds",
    "When each scheduled job last ran without error (Unix time)",
    ["task"],  # not "job": Prometheus gives that label to the scrape job
    multiprocess_mode="max",
)

COUNTED: tuple[Collector, ...] = (
    MESSAGES_IN,
    MESSAGES_OUT,
    TURN_SECONDS,
    NLU_FALLBACKS,
    CRISES,
    ERASURES,
    HTTP_RESPONSES,
    OUTBOX_DELIVERIES,
    JOB_RUNS,
    JOB_LAST_SUCCESS,
)
ROUTE_GROUPS = ("/webhooks/telegram", "/webhooks/whatsapp", "/widget", "/admin", "/metrics")


def route_group(path: str) -> str:
    """A bounded label for a request path (never the path itself, which may carry ids)."""
    for group in ROUTE_GROUPS:
        if path == group or path.startswith(group + "/"):
            return group
    return "other"


def observe_turn(seen: TurnSeen) -> None:
    if seen.result.duplicate:
        return
    MESSAGES_IN.labels(seen.channel).inc()
    MESSAGES_OUT.labels(seen.channel).inc(len(seen.result.messages))
    TURN_SECONDS.labels(seen.channel).observe(seen.seconds)
    if seen.intent == "nlu_fallback":
        NLU_FALLBACKS.labels(seen.channel).inc()
    elif seen.intent == "crisis":
        CRISES.labels(seen.channel).inc()
    if seen.result.erased:
        ERASURES.labels(seen.channel).inc()


def watch(brain: Brain) -> None:
    """Count the brain's turns (once per brain)."""
    if observe_turn not in brain.observers.turns:
        brain.observers.turns.append(observe_turn)


def job_ran(job: str, ok: bool) -> None:
    JOB_RUNS.labels(job, "ok" if ok else "error").inc()
    if ok:
        JOB_LAST_SUCCESS.labels(job).set(datetime.now(UTC).timestamp())


class DatabaseCollector(Collector):
    """What waits in the database, read at each scrape."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime]) -> None:
        self.engine = engine
        self.clock = clock

    def collect(self) -> Iterator[GaugeMetricFamily]:
        now = self.clock()
        up = GaugeMetricFamily("sixtcap_database_up", "1 when the database answered the scrape's queries")
        waiting = GaugeMetricFamily(
            "sixtcap_handoffs_waiting", "Questions nobody has taken yet", labels=["urgent"]
        )
        oldest = GaugeMetricFamily(
            "sixtcap_handoff_oldest_waiting_seconds",
            "Age of the oldest question nobody has taken yet (0 when none)",
            labels=["urgent"],
        )
        backlog = GaugeMetricFamily(
            "sixtcap_outbox_backlog", "Outbox rows not sent yet (pending or being sent)", labels=["channel"]
        )
        due = GaugeMetricFamily(
            "sixtcap_outbox_oldest_due_seconds",
            "How late the most overdue unsent outbox row is (0: none)",
        )
        failed = GaugeMetricFamily(
            "sixtcap_outbox_failed",
            "Outbox rows given up on (kept until the retention purge)",
            labels=["channel"],
        )
        try:
            with session_factory(self.engine)() as session:
                rows = session.execute(
                    select(Handoff.urgent, func.count(), func.min(Handoff.created_at))
                    .where(Handoff.status == "pending")
                    .group_by(Handoff.urgent)
                ).all()
                by_status = session.execute(
                    select(OutboxMessage.channel, OutboxMessage.status, func.count())
                    .where(OutboxMessage.status != OutboxStatus.SENT)
                    .group_by(OutboxMessage.channel, OutboxMessage.status)
                ).all()
                first_due = session.scalar(
                    select(func.min(OutboxMessage.next_attempt_at)).where(
                        OutboxMessage.status.in_((OutboxStatus.PENDING, OutboxStatus.SENDING))
                    )
                )
        except SQLAlchemyError:
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        seen = {bool(urgent): (count, since) for urgent, count, since in rows}
        for urgent in (False, True):
            count, since = seen.get(urgent, (0, None))
            label = "true" if urgent else "false"
            waiting.add_metric([label], count)
            oldest.add_metric([label], max((now - since).total_seconds(), 0) if since else 0)
        yield waiting
        yield oldest
        unsent: dict[str, int] = {}
        gave_up: dict[str, int] = {}
        for channel, status, count in by_status:
            target = gave_up if status == OutboxStatus.FAILED else unsent
            target[channel] = target.get(channel, 0) + count
        for channel, count in sorted(unsent.items()):
            backlog.add_metric([channel], count)
        for channel, count in sorted(gave_up.items()):
            failed.add_metric([channel], count)
        due.add_metric([], max((now - first_due).total_seconds(), 0) if first_due else 0)
        yield backlog
        yield due
        yield failed


def exposition(engine: Engine, clock: Callable[[], datetime]) -> bytes:
    """The text of /metrics: the counters of every process (multiprocess mode) or of this one."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        for collector in COUNTED:
            registry.register(collector)
    registry.register(DatabaseCollector(engine, clock))
    return generate_latest(registry)


def authorized(request: Request, token: str | None) -> bool:
    sent = request.headers.get("authorization", "")
    return token is not None and hmac.compare_digest(sent.encode(), f"Bearer {token}".encode())


def metrics_response(request: Request, token: str | None, engine: Engine) -> Response:
    """404 while no token is configured (metrics are off), 401 without the right bearer token."""
    if token is None:
        return Response("metrics are off: set SIXTCAP_METRICS_TOKEN\n", 404, media_type="text/plain")
    if not authorized(request, token):
        return Response("bearer token required\n", 401, headers={"WWW-Authenticate": "Bearer"})
    return Response(exposition(engine, lambda: datetime.now(UTC)), media_type=CONTENT_TYPE_LATEST)


class CountResponses:
    """HTTP middleware: count every response by route group and status class (2xx, 4xx, 5xx). Plain
    ASGI (no task per request, unlike a `@app.middleware("http")` function)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        group = route_group(scope["path"])

        async def counting_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                HTTP_RESPONSES.labels(group, f"{message['status'] // 100}xx").inc()
            await send(message)

        try:
            await self.app(scope, receive, counting_send)
        except Exception:
            HTTP_RESPONSES.labels(group, "5xx").inc()
            raise
