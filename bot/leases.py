"""Scheduled jobs that run once across processes and survive restarts.

Every process ticks each job often (APScheduler); `take` lets exactly one of them run it, and only when
it is due: a conditional UPDATE on the job's row in `job_leases` that only one process can win (on
PostgreSQL and on SQLite alike), holding it for `hold` (a process that dies mid-run leaves it to expire).
`last_run_at` is in the database: after a restart, a job runs when it is due, not at once nor a whole
interval later."""

from __future__ import annotations

import os
import socket
import uuid
from datetime import datetime, timedelta

from sqlalchemy import Engine, or_, update

from bot.db import insert_for, transaction
from bot.models import JobLease

HOLDER = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def take(
    engine: Engine, name: str, now: datetime, every: timedelta, hold: timedelta, holder: str = HOLDER
) -> bool:
    """True if this process won the run of `name` now (due, and nobody else holds it)."""
    with transaction(engine) as session:
        session.execute(insert_for(session, JobLease).values(name=name).on_conflict_do_nothing())
        won = session.execute(
            update(JobLease)
            .where(
                JobLease.name == name,
                or_(JobLease.until.is_(None), JobLease.until < now),
                or_(JobLease.last_run_at.is_(None), JobLease.last_run_at <= now - every),
            )
            .values(holder=holder, until=now + hold)
        )
        return getattr(won, "rowcount", 0) == 1


def finish(engine: Engine, name: str, now: datetime, error: str | None = None, holder: str = HOLDER) -> None:
    """The run is over (an error is kept for /metrics and the logs; the job waits its interval anyway)."""
    with transaction(engine) as session:
        session.execute(
            update(JobLease)
            .where(JobLease.name == name, JobLease.holder == holder)
            .values(holder=None, until=None, last_run_at=now, last_error=error[:300] if error else None)
        )
