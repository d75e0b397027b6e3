"""The `rasa` backend: ask a Rasa 3.x server (`POST /model/parse`), with a timeout and retries; when the
server is down or answers nonsense, parse with the embedded model instead. The safety layer (phrases and
danger model) applies to the server's answers too."""

from __future__ import annotations

import logging
import time
from typing import Any

import httpx

from nlu.parser import EmbeddedParser

log = logging.getLogger(__name__)


class RasaParser:
    def __init__(
        self,
        url: str,
        fallback: EmbeddedParser,
        timeout_seconds: float = 2.0,
        retries: int = 1,
        client: httpx.Client | None = None,
    ) -> None:
        self.endpoint = url.rstrip("/") + "/model/parse"
        self.fallback = fallback
        self.retries = retries
        self.client = client or httpx.Client(timeout=timeout_seconds)

    def _ask(self, text: str) -> dict[str, Any] | None:
        for attempt in range(self.retries + 1):
            try:
                response = self.client.post(self.endpoint, json={"text": text})
                if response.status_code < 500:
                    response.raise_for_status()
                    body = response.json()
                    if _valid(body):
                        return dict(body)
                    log.warning("rasa server answered an unexpected shape; using the embedded model")
                    return None
            except (httpx.HTTPError, ValueError) as error:
                log.warning("rasa server unreachable (%s), attempt %d", type(error).__name__, attempt + 1)
            if attempt < self.retries:
                time.sleep(0.05 * 2**attempt)
        return None

    def parse(self, text: str) -> dict[str, Any]:
        text = text if isinstance(text, str) else ""
        if not text.strip():
            return self.fallback.parse(text)
        answer = self._ask(text)
        if answer is None:
            return self.fallback.parse(text)
        answer.setdefault("entities", [])
        answer.setdefault("intent_ranking", [])
        return self.fallback.guard(answer, text)


def _valid(body: Any) -> bool:
    return (
        isinstance(body, dict)
        and isinstance(body.get("intent"), dict)
        and isinstance(body["intent"].get("name"), str)
        and isinstance(body.get("entities", []), list)
    )
