"""Signing the notifications POSTed to partners' webhooks: each partner has its own secret, derived from
sixtcap's secret key (nothing more to store), and every POST carries
`X-Sixtcap-Signature: sha256=<hex HMAC-SHA256 of the raw body with that secret>`, as WhatsApp and GitHub
do. A partner reads its secret in the admin API (GET /admin/api/partners/{id}/webhook)."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

HEADER = "X-Sixtcap-Signature"


def partner_secret(key: bytes, partner_id: str) -> str:
    return hmac.new(key, f"partner-webhook:{partner_id}".encode(), hashlib.sha256).hexdigest()


def body_of(payload: dict[str, Any]) -> bytes:
    """The exact bytes POSTed (and signed)."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
