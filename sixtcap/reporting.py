"""Optional error reporting to Sentry, on when SIXTCAP_SENTRY_DSN is set and the `sentry-sdk` package is
installed (`pip install sentry-sdk`; it is not a dependency). Nothing personal is sent: no request bodies
(youths' messages), no local variables, no cookies or IP addresses, and every text of an event (messages,
exception values, breadcrumbs) goes through the logs' redaction (phone numbers, e-mails, ids) first."""

from __future__ import annotations

import importlib
import logging
from typing import Any

from bot.config import Settings
from bot.logs import redact

log = logging.getLogger(__name__)


def report_errors(settings: Settings) -> bool:
    """Start the Sentry SDK if configured; whether it runs."""
    if settings.sentry_dsn is None:
        return False
    try:
        sentry = importlib.import_module("sentry_sdk")
    except ImportError:
        log.error("SIXTCAP_SENTRY_DSN is set but sentry-sdk is not installed: errors are only logged")
        return False
    sentry.init(
        dsn=settings.sentry_dsn.get_secret_value(),
        send_default_pii=False,
        max_request_body_size="never",
        include_local_variables=False,
        before_send=redacted,
        before_breadcrumb=lambda crumb, _hint: redacted(crumb, None),
    )
    return True


def redacted(event: Any, _hint: Any) -> Any:
    """The event with every string redacted as the logs are."""
    if isinstance(event, str):
        return redact(event)
    if isinstance(event, dict):
        return {key: redacted(value, None) for key, value in event.items()}
    if isinstance(event, list):
        return [redacted(value, None) for value in event]
    return event
