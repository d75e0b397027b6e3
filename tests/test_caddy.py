"""End to end through HTTPS: Debian's Caddy with deploy/Caddyfile and its internal CA on loopback, in front
of `sixtcap serve`. A Telegram webhook, the widget and the staff login go through it; the staff cookies
come back Secure; oversized bodies stop at Caddy; plain HTTP is redirected."""

from __future__ import annotations

import json
import re
import shutil
import ssl
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from bot.config import PROJECT_ROOT
from tests.served import free_port, served
from tests.stubs.platforms import StubTelegram
from tests.waiting import wait_for

CADDYFILE = PROJECT_ROOT / "deploy" / "Caddyfile"
SECRET = "caddy-webhook-secret"


@contextmanager
def caddy(folder: Path, upstream: str) -> Iterator[tuple[str, ssl.SSLContext, int]]:
    """Caddy on loopback with the shipped Caddyfile: (https base URL, a TLS context trusting its CA only,
    the plain HTTP port)."""
    binary = shutil.which("caddy")
    if binary is None:
        pytest.fail("caddy is missing: `make test` installs it (apt-get install caddy)", pytrace=False)
    https_port, http_port = free_port(), free_port()
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(folder),
        "XDG_DATA_HOME": str(folder / "data"),
        "XDG_CONFIG_HOME": str(folder / "config"),
        "SIXTCAP_HOST": "localhost",
        "SIXTCAP_TLS": "internal",
        "SIXTCAP_UPSTREAM": upstream,
        "SIXTCAP_STATIC": str(PROJECT_ROOT / "webhooks" / "static"),
        "SIXTCAP_CADDY_ADMIN": "off",
        "SIXTCAP_CADDY_HTTPS_PORT": str(https_port),
        "SIXTCAP_CADDY_HTTP_PORT": str(http_port),
    }
    log_path = folder / "caddy.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [binary, "run", "--config", str(CADDYFILE), "--adapter", "caddyfile"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    root = folder / "data" / "caddy" / "pki" / "authorities" / "local" / "root.crt"
    base = f"https://localhost:{https_port}"
    try:
        wait_for(lambda: root.exists() or process.poll() is not None, 30, "Caddy's internal CA")
        if process.poll() is not None:
            pytest.fail(f"caddy did not start:\n{log_path.read_text()}")
        context = ssl.create_default_context(cafile=str(root))

        def answers() -> bool:
            try:
                return httpx.get(f"{base}/healthz", verify=context, timeout=2).status_code == 200
            except httpx.TransportError:
                return False

        wait_for(answers, 30, "HTTPS through Caddy")
        yield base, context, http_port
    finally:
        process.terminate()
        process.wait(timeout=10)


def cookie_header(response: httpx.Response, name: str) -> str:
    found = [h for h in response.headers.get_list("set-cookie") if h.startswith(name + "=")]
    assert found, f"no {name} cookie in {response.headers.get_list('set-cookie')}"
    return found[0]


@pytest.mark.slow
def test_telegram_widget_and_staff_login_through_caddy_https(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stub = StubTelegram()
    https_port_hint = "https://localhost"  # the widget's page origin is checked by CORS below
    monkeypatch.setenv("SIXTCAP_TELEGRAM_BOT_TOKEN", "123:TEST")
    monkeypatch.setenv("SIXTCAP_TELEGRAM_WEBHOOK_SECRET", SECRET)
    monkeypatch.setenv("SIXTCAP_TELEGRAM__BASE_URL", f"{stub.url}/bot")
    monkeypatch.setenv("SIXTCAP_OUTBOX__POLL_SECONDS", "0.1")
    monkeypatch.setenv("SIXTCAP_WIDGET__ALLOWED_ORIGINS", json.dumps([https_port_hint]))
    staff = ["staff", "add", "--email", "it@6tcap.example", "--name", "IT", "--role", "admin",
             "--password", "correct horse battery"]  # fmt: skip
    try:
        with (
            served(tmp_path, staff) as (upstream, _),
            caddy(tmp_path, upstream.removeprefix("http://")) as (
                base,
                tls,
                http_port,
            ),
        ):
            with httpx.Client(base_url=base, verify=tls, timeout=20) as client:
                # TLS from Caddy's CA, sixtcap behind it
                health = client.get("/healthz")
                assert health.status_code == 200 and health.json()["status"] == "ok"
                assert health.headers["strict-transport-security"].startswith("max-age=")

                # Telegram's webhook: the secret token is checked behind the proxy, the reply is sent
                update = {"update_id": 1, "message": {"message_id": 1, "date": 1, "text": "salut",
                          "chat": {"id": 555, "type": "private"}, "from": {"id": 555, "is_bot": False,
                          "first_name": "A"}}}  # fmt: skip
                assert client.post("/webhooks/telegram", json=update).status_code == 403
                hook = client.post("/webhooks/telegram", json=update,
                                   headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})  # fmt: skip
                assert hook.status_code == 200
                wait_for(lambda: stub.sent(), 20, "the reply on Telegram")
                assert stub.sent()[0]["chat_id"] in (555, "555")

                # bodies bigger than the Caddyfile's limit never reach Python
                huge = client.post("/webhooks/telegram", content=b"x" * 2_000_000,
                                   headers={"Content-Type": "application/json"})  # fmt: skip
                assert huge.status_code == 413

                # the widget: its script from Caddy's file server, a turn through the proxy with CORS
                script = client.get("/widget/widget.js")
                assert script.status_code == 200 and "customElements" in script.text
                origin = {"Origin": https_port_hint}
                turn = client.post("/widget/messages", headers=origin,
                                   json={"conversation_id": "0c8e7a52-8f7e-4c1e-9d8e-3f2a1b0c9d8e", "text": "salut"})  # fmt: skip
                assert turn.status_code == 200 and turn.json()["messages"]
                assert turn.headers["access-control-allow-origin"] == https_port_hint

                # staff login: the proxy says HTTPS, so both cookies are Secure (and HttpOnly, Strict)
                form = client.get("/admin/login")
                login_cookie = cookie_header(form, "sixtcap_login")
                assert "Secure" in login_cookie and "HttpOnly" in login_cookie
                csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
                assert csrf is not None
                logged = client.post(
                    "/admin/login",
                    data={"email": "it@6tcap.example", "password": "correct horse battery",
                          "csrf": csrf.group(1)},
                )  # fmt: skip
                assert logged.status_code == 303
                session = cookie_header(logged, "sixtcap_staff")
                assert "Secure" in session and "HttpOnly" in session and "samesite=strict" in session.lower()
                inbox = client.get("/admin/")
                assert inbox.status_code == 200 and "IT" in inbox.text

                # /metrics is not published through the proxy
                assert client.get("/metrics").status_code == 404

            # plain HTTP is redirected to HTTPS
            plain = httpx.get(f"http://localhost:{http_port}/healthz", timeout=10)
            assert plain.status_code in (301, 308) and plain.headers["location"].startswith("https://")
    finally:
        stub.stop()
