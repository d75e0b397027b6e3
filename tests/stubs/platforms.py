"""Stand-ins for the remote platforms, as real HTTP servers on 127.0.0.1: Telegram's Bot API and Meta's
Graph API. They record every call and can be told to refuse (rate limit) or be down (closed port)."""

from __future__ import annotations

import gzip
import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs


class StubServer:
    """A threaded HTTP server whose handler is `self.answer(method, path, body) -> (status, json)`."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.port = 0
        self.server: ThreadingHTTPServer | None = None
        self.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self, verb: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                status, answer = stub.answer(verb, self.path, raw, dict(self.headers))
                payload = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def do_POST(self) -> None:
                self._serve("POST")

            def do_GET(self) -> None:
                self._serve("GET")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        """Down: the port refuses connections until start()."""
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def answer(self, verb: str, path: str, raw: bytes, headers: dict[str, str]) -> tuple[int, Any]:
        raise NotImplementedError

    def wait_for(
        self, condition: Callable[[list[dict[str, Any]]], bool], timeout: float = 15
    ) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                calls = list(self.calls)
            if condition(calls):
                return calls
            time.sleep(0.05)
        with self.lock:
            raise AssertionError(f"condition not met in {timeout} s; calls: {self.calls}")


def _body(raw: bytes, headers: dict[str, str]) -> dict[str, Any]:
    """PTB posts JSON or form fields whose values are JSON."""
    if not raw:
        return {}
    if "json" in headers.get("Content-Type", headers.get("content-type", "")):
        data: dict[str, Any] = json.loads(raw)
        return data
    fields = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
    parsed: dict[str, Any] = {}
    for key, value in fields.items():
        try:
            parsed[key] = json.loads(value)
        except ValueError:
            parsed[key] = value
    return parsed


class StubTelegram(StubServer):
    """Telegram's Bot API: /bot<token>/<method>. `rate_limit_next` answers 429 retry_after once per unit."""

    def __init__(self) -> None:
        self.next_message_id = 100
        self.rate_limit_next = 0
        self.updates: list[dict[str, Any]] = []  # handed out by getUpdates (long polling)
        super().__init__()

    def sent(self, calls: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
        return [
            c["params"] for c in (calls if calls is not None else self.calls) if c["method"] == "sendMessage"
        ]

    def answer(self, verb: str, path: str, raw: bytes, headers: dict[str, str]) -> tuple[int, Any]:
        method = path.rsplit("/", 1)[-1]
        params = _body(raw, headers)
        with self.lock:
            if method == "sendMessage" and self.rate_limit_next > 0:
                self.rate_limit_next -= 1
                self.calls.append({"method": "429", "params": params})
                return 429, {"ok": False, "error_code": 429, "description": "Too Many Requests: retry after 1",
                             "parameters": {"retry_after": 1}}  # fmt: skip
            self.calls.append({"method": method, "params": params, "at": time.monotonic()})
            if method == "getMe":
                return 200, {"ok": True, "result": {"id": 7000, "is_bot": True, "first_name": "sixtcap",
                                                      "username": "sixtcap_test_bot"}}  # fmt: skip
            if method == "getUpdates":
                offset = int(params.get("offset") or 0)
                return 200, {"ok": True, "result": [u for u in self.updates if u["update_id"] >= offset]}
            if method == "sendMessage":
                self.next_message_id += 1
                chat = {"id": int(params["chat_id"]), "type": "private"}
                result = {"message_id": self.next_message_id, "date": int(time.time()), "chat": chat,
                          "text": params.get("text", "")}  # fmt: skip
                return 200, {"ok": True, "result": result}
            return 200, {"ok": True, "result": True}


class StubGraph(StubServer):
    """Meta's Graph API: POST /<version>/<phone number id>/messages."""

    def __init__(self) -> None:
        self.next_id = 0
        self.rate_limit_next = 0
        super().__init__()

    def messages(self) -> list[dict[str, Any]]:
        with self.lock:
            return [c["body"] for c in self.calls if c["path"].endswith("/messages") and c["status"] == 200]

    def answer(self, verb: str, path: str, raw: bytes, headers: dict[str, str]) -> tuple[int, Any]:
        body = json.loads(raw) if raw else {}
        with self.lock:
            if self.rate_limit_next > 0:
                self.rate_limit_next -= 1
                self.calls.append({"path": path, "body": body, "status": 429, "headers": headers})
                return 429, {"error": {"code": 130429, "message": "Rate limit hit"}}
            self.next_id += 1
            self.calls.append({"path": path, "body": body, "status": 200, "headers": headers})
            return 200, {
                "messaging_product": "whatsapp",
                "contacts": [{"input": body.get("to"), "wa_id": body.get("to")}],
                "messages": [{"id": f"wamid.TEST{self.next_id}"}],
            }


class StubSentry(StubServer):
    """Sentry's ingestion endpoint: records each envelope's items (JSON lines), decompressed."""

    def answer(self, verb: str, path: str, raw: bytes, headers: dict[str, str]) -> tuple[int, Any]:
        encoding = {k.lower(): v for k, v in headers.items()}.get("content-encoding", "")
        if encoding == "gzip":
            raw = gzip.decompress(raw)
        elif encoding == "br":
            import brotli  # type: ignore[import-not-found]  # only when sentry-sdk found it

            raw = brotli.decompress(raw)
        items = [json.loads(line) for line in raw.splitlines() if line.strip().startswith(b"{")]
        with self.lock:
            self.calls.append({"path": path, "items": items, "raw": raw.decode(errors="replace")})
        return 200, {}
