"""Logging that never leaks a youth: one JSON object per line, and every record redacted on the way out
(phone numbers, e-mails, long digit runs such as chat ids, UUIDs such as widget conversations, and the
query strings of URLs). Code must not log message texts in the first place; this is the safety net."""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime

PATTERNS = (
    (re.compile(r"(?<!\w)(?:\+33|0033|0)\s?[1-9](?:[\s.-]?\d{2}){4}(?!\w)"), "<phone>"),
    (re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+"), "<email>"),
    (re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.I), "<uuid>"),
    (re.compile(r"\?[^\s\"']*"), "?<query>"),
    (re.compile(r"\b\d{6,}\b"), "<number>"),
)


def redact(text: str) -> str:
    for pattern, replacement in PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class JsonRedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        message = redact(record.getMessage())
        entry = {
            "at": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": message,
        }
        if record.exc_info:
            entry["error"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(level: str = "INFO", stream: object = None) -> logging.Handler:
    """Route every logger (ours, uvicorn's, the libraries') through the redacting JSON formatter."""
    handler = logging.StreamHandler(stream or sys.stderr)  # type: ignore[arg-type]
    handler.setFormatter(JsonRedactingFormatter())
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "httpx", "telegram", "apscheduler"):
        logger = logging.getLogger(name)
        logger.handlers = []
        logger.propagate = True
    logging.getLogger("httpx").setLevel("WARNING")  # its INFO lines carry bot tokens in URLs
    return handler
