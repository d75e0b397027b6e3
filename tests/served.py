"""End-to-end helpers: the real app as its own process (`sixtcap serve` on a fresh SQLite database with
the shipped catalogue) and a real headless Chromium (Debian's, installed by `make test`; nothing is
downloaded)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, sync_playwright

from bot.privacy import Pseudonyms

SIXTCAP = str(Path(sys.executable).parent / "sixtcap")
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SECRET_KEY = "served-app-test-key"
PSEUDONYMS = Pseudonyms(SECRET_KEY.encode())  # how the served app names its youths
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def sixtcap(env: dict[str, str], *command: str) -> None:
    done = subprocess.run([SIXTCAP, *command], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


@contextmanager
def served(
    folder: Path, *setup: list[str], settings: dict[str, str] | None = None
) -> Iterator[tuple[str, str]]:
    """`sixtcap serve` on a new SQLite database (migrated, catalogue loaded, then `setup` commands run),
    with these extra environment variables, until the block ends: (base URL, database URL)."""
    database_url = f"sqlite:///{folder / 'sixtcap.db'}"
    with serving(folder, database_url, settings or {}, *setup) as (base, _server):
        yield base, database_url


@contextmanager
def serving(
    folder: Path, database_url: str, settings: dict[str, str], *setup: list[str]
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """`sixtcap serve` on `database_url` (migrated, catalogue loaded, then `setup` commands run) with
    these extra environment variables, until the block ends: (base URL, the server's process)."""
    env = {
        **os.environ,
        "SIXTCAP_DATABASE_URL": database_url,
        "SIXTCAP_VAR_DIR": str(folder),
        "SIXTCAP_SECRET_KEY": SECRET_KEY,
        "SIXTCAP_HANDOFF__INBOX_POLL_SECONDS": "0.5",  # the inbox pages look for changes twice a second
        # a module's staff log in from 127.0.0.1 more than 10 times a minute (the limit: tests/test_limits.py)
        "SIXTCAP_LIMITS__LOGIN_PER_IP": "60/minute",
        **settings,
    }
    for command in (["db", "upgrade"], ["catalogue", "load"], *setup):
        sixtcap(env, *command)
    port = free_port()
    log_path = folder / "serve.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [SIXTCAP, "serve", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 240  # starting loads the NLU models: slow on a busy machine
            while True:
                try:
                    if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline or server.poll() is not None:
                    pytest.fail(f"sixtcap serve did not start:\n{log_path.read_text()}")
                time.sleep(0.2)
            yield base, server
        finally:
            if server.poll() is None:
                server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:  # stuck (e.g. still starting on a loaded machine)
                server.kill()
                server.wait(timeout=10)


@contextmanager
def chromium(*extra_args: str) -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"Chromium is missing ({CHROMIUM}): `make test` installs it (apt-get install chromium)",
            pytrace=False,
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=[*CHROMIUM_ARGS, *extra_args]
        )
        yield browser
        browser.close()
