"""Calling a remote offers API politely: a 401 asks for a new token once, a 429 waits as long as its
Retry-After says (capped), a 5xx or a network error is retried with exponential backoff, and whatever
still fails becomes one `SourceFailed` with a reason a person reads (never the credentials)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx


class SourceFailed(Exception):
    """A source could not be read this time; nothing of this refresh is written."""


@dataclass
class Politeness:
    """How hard to try: attempts per call, backoff, the longest Retry-After honoured."""

    attempts: int = 5
    backoff_seconds: float = 1.0
    max_wait_seconds: float = 120.0
    timeout_seconds: float = 30.0
    sleep: Callable[[float], None] = time.sleep
    waited: list[float] = field(default_factory=list)  # every wait, for the logs and the tests

    def wait(self, seconds: float) -> None:
        seconds = max(0.0, min(seconds, self.max_wait_seconds))
        self.waited.append(seconds)
        self.sleep(seconds)


def retry_after(response: httpx.Response, default: float) -> float:
    """Seconds to wait from a Retry-After header (seconds or an HTTP date); `default` without one."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return default
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return default
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def call(
    client: httpx.Client,
    method: str,
    url: str,
    politeness: Politeness,
    token: Callable[[bool], str | None] | None = None,
    **request: Any,
) -> httpx.Response:
    """One request with the rules above. `token(renew)` gives the bearer token (a new one when `renew`)."""
    renewed = False
    base_headers = dict(request.pop("headers", None) or {})
    for attempt in range(1, politeness.attempts + 1):
        headers = dict(base_headers)
        bearer = token(False) if token else None
        if bearer:
            headers["Authorization"] = f"Bearer {bearer}"
        try:
            response = client.request(
                method, url, headers=headers, timeout=politeness.timeout_seconds, **request
            )
        except httpx.TransportError as error:
            if attempt == politeness.attempts:
                raise SourceFailed(f"unreachable ({type(error).__name__})") from error
            politeness.wait(politeness.backoff_seconds * 2 ** (attempt - 1))
            continue
        if response.status_code == 401 and token is not None and not renewed:
            renewed = True
            token(True)
            continue
        if response.status_code == 429 and attempt < politeness.attempts:
            politeness.wait(retry_after(response, politeness.backoff_seconds * 2 ** (attempt - 1)))
            continue
        if response.status_code >= 500 and attempt < politeness.attempts:
            politeness.wait(politeness.backoff_seconds * 2 ** (attempt - 1))
            continue
        if response.status_code >= 400:
            raise SourceFailed(f"{method} {httpx.URL(url).path} answered {response.status_code}")
        return response
    raise SourceFailed(f"{method} {httpx.URL(url).path} still failing after {politeness.attempts} tries")
