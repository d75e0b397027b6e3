"""Rate limits on what anyone on the internet can send: per conversation, per address and for everyone
(the rates of `limits` in config.yml, e.g. "30/minute"), as sliding windows (the count of the current
window plus the previous one's, weighted by how much of it is still inside the period).

On PostgreSQL the counts are shared by every server process (`sixtcap serve --workers N`): one statement
per request, upserting a row per rate in the table `rate_windows`, keyed by a keyed hash of the
conversation, address or chat, committed on its own (and by default without waiting for the disk:
`database.durable_rate_counts`). On SQLite there is one process: they are counted in its memory
with the `limits` library."""

from __future__ import annotations

import hashlib
import hmac
import math
import random
import time

from anyio import to_thread
from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import SlidingWindowCounterRateLimiter
from sqlalchemy import Engine, TextClause, text

from bot.config import LimitsSettings
from bot.db import Timeouts, make_counter_engine

CLEAN_EVERY = 500  # about one request in this many deletes the expired windows


class Limited(Exception):
    """A rate was exceeded: try again in `retry_after` seconds. `scope` says which one (never a key)."""

    def __init__(self, scope: str, retry_after: int) -> None:
        super().__init__(f"{scope}: retry after {retry_after} s")
        self.scope, self.retry_after = scope, retry_after


class Throttle:
    def __init__(
        self,
        settings: LimitsSettings,
        engine: Engine | None = None,
        secret: bytes = b"",
        durable: bool = False,
        timeouts: Timeouts = Timeouts(),
    ) -> None:
        """With a PostgreSQL `engine`, the counts are shared through the database (`secret` keys the
        hashes; `durable`: see `make_counter_engine`); else they are this process's."""
        self.rates: dict[str, RateLimitItem] = {
            name: parse(getattr(settings, name)) for name in LimitsSettings.rate_names()
        }
        self.limiter = SlidingWindowCounterRateLimiter(MemoryStorage())
        shared = engine is not None and engine.dialect.name == "postgresql"
        self.shared = (
            SharedWindows(make_counter_engine(engine, timeouts, durable), secret)
            if shared and engine is not None
            else None
        )

    def hit(self, scope: str, key: str = "", *more: tuple[str, str]) -> None:
        """Count one request of `key` against the rate `scope` (and of each further (scope, key) pair);
        raise Limited when one is used up, as if they were counted one after the other: the first refused
        and those after it do not count the request, those before it do. On PostgreSQL, in one round
        trip."""
        pairs = [(scope, key), *more]
        if self.shared is not None:
            self.shared.hit([(name, value, self.rates[name]) for name, value in pairs])
            return
        for name, value in pairs:
            rate = self.rates[name]
            if not self.limiter.hit(rate, name, value):
                reset = self.limiter.get_window_stats(rate, name, value).reset_time
                raise Limited(name, max(1, math.ceil(reset - time.time())))

    async def hit_async(self, scope: str, key: str = "", *more: tuple[str, str]) -> None:
        """`hit` from the event loop: a round trip to the database runs in a worker thread."""
        if self.shared is None:
            self.hit(scope, key, *more)
        else:
            await to_thread.run_sync(self.hit, scope, key, *more)


def _hit_statement(rows: int) -> TextClause:
    """One round trip for `rows` rates: count the request in each one's current window (in the order of
    scope and key, so that two requests lock shared rows in the same order) and read the previous
    window's count."""
    given = ", ".join(
        f"(:scope{n}, :key{n}, CAST(:slot{n} AS BIGINT), CAST(:expires{n} AS BIGINT))" for n in range(rows)
    )
    return text(f"""
        WITH given (scope, key, slot, expires) AS (VALUES {given}),
        counted AS (
            INSERT INTO rate_windows (scope, key, slot, hits, expires)
            SELECT scope, key, slot, 1, expires FROM given ORDER BY scope, key
            ON CONFLICT (scope, key, slot) DO UPDATE SET hits = rate_windows.hits + 1
            RETURNING scope, key, hits
        )
        SELECT counted.scope, counted.hits, COALESCE(previous.hits, 0)
        FROM counted JOIN given USING (scope, key)
        LEFT JOIN rate_windows AS previous
            ON previous.scope = given.scope AND previous.key = given.key AND previous.slot = given.slot - 1
    """)


HITS = {rows: _hit_statement(rows) for rows in (1, 2, 3)}  # built once: a request counts 1 to 3 rates
UNCOUNT = text("UPDATE rate_windows SET hits = hits - 1 WHERE scope = :scope AND key = :key AND slot = :slot")
CLEAN = text("DELETE FROM rate_windows WHERE expires < :now")


class SharedWindows:
    """Sliding-window counters in PostgreSQL, one row per scope, key and window. Each statement commits
    on its own (the counter engine's autocommit: a row is locked for one statement, not for a turn, and
    a request costs one round trip). A rate that refuses a request does not count it."""

    def __init__(self, engine: Engine, secret: bytes) -> None:
        self.engine, self.secret = engine, secret

    def hit(self, rates: list[tuple[str, str, RateLimitItem]]) -> None:
        now = time.time()
        values: dict[str, object] = {}
        windows: dict[str, tuple[RateLimitItem, float, dict[str, object]]] = {}
        for n, (scope, key, rate) in enumerate(rates):
            period = rate.get_expiry()
            slot = int(now // period)
            window: dict[str, object] = {
                "scope": scope,
                "key": hmac.new(self.secret, key.encode(), hashlib.sha256).hexdigest()[:32] if key else "",
                "slot": slot,
                "expires": int((slot + 2) * period),
            }
            values |= {f"{name}{n}": value for name, value in window.items()}
            windows[scope] = (rate, (now - slot * period) / period, window)  # how far into it, 0..1
        statement = HITS[len(rates)] if len(rates) in HITS else _hit_statement(len(rates))
        with self.engine.connect() as connection:
            rows = connection.execute(statement, values)
            counts = {scope: (current, previous) for scope, current, previous in rows}
            if random.randrange(CLEAN_EVERY) == 0:
                connection.execute(CLEAN, {"now": int(now)})
            order = list(windows)

            def over(scope: str) -> bool:
                rate, into, _window = windows[scope]
                current, previous = counts[scope]
                return bool(previous * (1 - into) + current > rate.amount)

            refused = next((n for n, scope in enumerate(order) if over(scope)), None)
            if refused is None:
                return
            # as if counted one after the other: the rates before the refused one keep the request
            connection.execute(UNCOUNT, [windows[scope][2] for scope in order[refused:]])
        scope = order[refused]
        rate, into, _window = windows[scope]
        current, previous = counts[scope]
        raise Limited(scope, retry_after(rate.amount, current - 1, previous, into, rate.get_expiry()))


def retry_after(amount: int, current: int, previous: int, into: float, period: int) -> int:
    """Seconds until one more request fits: the previous window's weight shrinks as time passes; if the
    current window alone is full, not before it ends."""
    left = (1 - into) * period
    if current + 1 > amount or previous == 0:
        return max(1, math.ceil(left))
    # previous * (left - t) / period + current + 1 <= amount
    wait = left - (amount - current - 1) * period / previous
    return max(1, math.ceil(min(left, wait)))
