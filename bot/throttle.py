"""Rate limits on what anyone on the internet can send: per conversation, per address and for everyone
(the rates of `limits` in config.yml, e.g. "30/minute"). Counted in this process's memory with the
`limits` library's sliding windows: with several server processes, each counts its own share."""

from __future__ import annotations

import math
import time

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import SlidingWindowCounterRateLimiter

from bot.config import LimitsSettings


class Limited(Exception):
    """A rate was exceeded: try again in `retry_after` seconds. `scope` says which one (never a key)."""

    def __init__(self, scope: str, retry_after: int) -> None:
        super().__init__(f"{scope}: retry after {retry_after} s")
        self.scope, self.retry_after = scope, retry_after


class Throttle:
    def __init__(self, settings: LimitsSettings) -> None:
        self.rates: dict[str, RateLimitItem] = {
            name: parse(getattr(settings, name)) for name in LimitsSettings.rate_names()
        }
        self.limiter = SlidingWindowCounterRateLimiter(MemoryStorage())

    def hit(self, scope: str, key: str = "") -> None:
        """Count one request of `key` against the rate `scope`; raise Limited when it is used up."""
        rate = self.rates[scope]
        if not self.limiter.hit(rate, scope, key):
            reset = self.limiter.get_window_stats(rate, scope, key).reset_time
            raise Limited(scope, max(1, math.ceil(reset - time.time())))
