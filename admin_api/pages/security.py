"""Sessions and CSRF of the inbox pages: the session is the bearer token in the cookie `sixtcap_staff`
(HttpOnly, SameSite=Strict, Path=/admin); every form posts a hidden CSRF token, an HMAC of that session
token, checked in constant time; the login form, before any session, uses the same HMAC of a random value
kept in the cookie `sixtcap_login`."""

from __future__ import annotations

import hashlib
import hmac
import re

from fastapi import Request

COOKIE = "sixtcap_staff"
LOGIN_COOKIE = "sixtcap_login"


def root(request: Request) -> str:
    """Where the admin app is mounted ("/admin")."""
    return str(request.scope.get("root_path", "")).rstrip("/")


def csrf_for(secret: str) -> str:
    return hmac.new(secret.encode(), b"csrf", hashlib.sha256).hexdigest()


def csrf_ok(secret: str | None, sent: str | None) -> bool:
    if not secret or not sent:
        return False
    return hmac.compare_digest(csrf_for(secret).encode(), sent.encode("utf-8", "replace"))


def session_token(request: Request) -> str | None:
    return request.cookies.get(COOKIE) or None


def safe_next(request: Request, target: str | None) -> str | None:
    """A path inside the admin app, never another site (no open redirect)."""
    base = root(request)
    if not target or not re.fullmatch(r"/[A-Za-z0-9/_\-.?=&%]*", target) or "//" in target:
        return None
    if not target.startswith(base + "/") or target.startswith(f"{base}/login"):
        return None
    return target
