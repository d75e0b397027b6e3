"""Rate limits on what anyone on the internet can send: per conversation, per address and for everyone
(the rates of `limits` in config.yml, e.g. "30/minute"), as sliding windows (the count of the current
window plus the previous one's, weighted by how much of it is still inside the period).

On PostgreSQL the counts are shared by every server process (`sixtcap serve --workers N`): one upsert
per request and rate in the table `rate_windows`, keyed by a keyed hash of the conversation, address or
chat. On SQLite there is one process: they are counted in its memory with the `limits` library."""

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
from sqlalchemy import Engine, text

from bot.config import LimitsSettings

CLEAN_EVERY = 500  # about one request in this many deletes the expired windows


class Limited(Exception):
    """A rate was exceeded: try again in `retry_after` seconds. `scope` says which one (never a key)."""

    def __init__(self, scope: str, retry_after: int) -> None:
        super().__init__(f"{scope}: retry after {retry_after} s")
        self.scope, self.retry_after = scope, retry_after


class Throttle:
    def __init__(self, settings: LimitsSettings, engine: Engine | None = None, secret: bytes = b"") -> None:
        """With a PostgreSQL `engine`, the counts are shared through the database (`secret` keys the
        hashes); else they are this process's."""
        self.rates: dict[str, RateLimitItem] = {
            name: parse(getattr(settings, name)) for name in LimitsSettings.rate_names()
        }
        self.limiter = SlidingWindowCounterRateLimiter(MemoryStorage())
        shared = engine is not None and engine.dialect.name == "postgresql"
        self.shared = SharedWindows(engine, secret) if shared and engine is not None else None

    def hit(self, scope: str, key: str = "") -> None:
        """Count one request of `key` against the rate `scope`; raise Limited when it is used up."""
        rate = self.rates[scope]
        if self.shared is not None:
            self.shared.hit(scope, key, rate)
            return
        if not self.limiter.hit(rate, scope, key):
            reset = self.limiter.get_window_stats(rate, scope, key).reset_time
            raise Limited(scope, max(1, math.ceil(reset - time.time())))

    async def hit_async(self, scope: str, key: str = "") -> None:
        """`hit` from the event loop: a round trip to the database runs in a worker thread."""
        if self.shared is None:
            self.hit(scope, key)
        else:
            await to_thread.run_sync(self.hit, scope, key)


# One round trip: count the request in its window and read the previous window's count.
HIT = text("""
    WITH counted AS (
        INSERT INTO rate_windows (scope, key, slot, hits, expires)
        VALUES (:scope, :key, :slot, 1, :expires)
        ON CONFLICT (scope, key, slot) DO UPDATE SET hits = rate_windows.hits + 1
        RETURNING hits
    )
    SELECT counted.hits, COALESCE((
        SELECT hits FROM rate_windows WHERE scope = :scope AND key = :key AND slot = :slot - 1
    ), 0)
    FROM counted
""")
UNCOUNT = text("UPDATE rate_windows SET hits = hits - 1 WHERE scope = :scope AND key = :key AND slot = :slot")
CLEAN = text("DELETE FROM rate_windows WHERE expires < :now")


class SharedWindows:
    """Sliding-window counters in PostgreSQL, one row per scope, key and window, each upsert committed
    at once (a row is locked for one statement, not for a turn). A refused request is not counted."""

    def __init__(self, engine: Engine, secret: bytes) -> None:
        self.engine, self.secret = engine, secret

    def hit(self, scope: str, key: str, rate: RateLimitItem) -> None:
        period = rate.get_expiry()
        now = time.time()
        slot = int(now // period)
        into = (now - slot * period) / period  # how far into the current window, 0..1
        values = {
            "scope": scope,
            "key": hmac.new(self.secret, key.encode(), hashlib.sha256).hexdigest()[:32] if key else "",
            "slot": slot,
            "expires": int((slot + 2) * period),
        }
        with self.engine.begin() as connection:
            current, previous = connection.execute(HIT, values).one()
            if random.randrange(CLEAN_EVERY) == 0:
                connection.execute(CLEAN, {"now": int(now)})
            if previous * (1 - into) + current <= rate.amount:
                return
            connection.execute(UNCOUNT, values)
        raise Limited(scope, retry_after(rate.amount, current - 1, previous, into, period))


def retry_after(amount: int, current: int, previous: int, into: float, period: int) -> int:
    """Seconds until one more request fits: the previous window's weight shrinks as time passes; if the
    current window alone is full, not before it ends."""
    left = (1 - into) * period
    if current + 1 > amount or previous == 0:
        return max(1, math.ceil(left))
    # previous * (left - t) / period + current + 1 <= amount
    wait = left - (amount - current - 1) * period / previous
    return max(1, math.ceil(min(left, wait)))
