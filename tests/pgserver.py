"""A PostgreSQL server for the tests: SIXTCAP_TEST_DATABASE_URL, else the one on 127.0.0.1:5432
(database `test`), else a throwaway server started from the installed PostgreSQL binaries. Never a
silent skip: with none of the three, the tests fail and say why."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import psycopg

LOCAL_URL = "postgresql://postgres@127.0.0.1:5432/test"


def reachable(url: str) -> bool:
    try:
        with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), connect_timeout=3):
            return True
    except psycopg.Error:
        return False


def _binaries() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_throwaway_server() -> tuple[str, Callable[[], None]]:
    """initdb + pg_ctl start in a temporary folder; returns the admin URL and a stop function."""
    binaries = _binaries()
    if binaries is None:
        raise RuntimeError("no PostgreSQL binaries found: `make test` installs them (apt package postgresql)")
    folder = Path(tempfile.mkdtemp(prefix="sixtcap-pg-"))
    data = folder / "data"
    prefix: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        shutil.chown(folder, "postgres", "postgres")
        prefix = ["runuser", "-u", "postgres", "--"]
    port = _free_port()
    run = lambda *args: subprocess.run([*prefix, *args], check=True, capture_output=True)  # noqa: E731
    run(str(binaries / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
    run(str(binaries / "pg_ctl"), "-D", str(data), "-o", options, "-w", "-l", str(folder / "log"), "start")
    url = f"postgresql://postgres@127.0.0.1:{port}/postgres"
    for _ in range(50):
        if reachable(url):
            break
        time.sleep(0.1)

    def stop() -> None:
        subprocess.run(
            [*prefix, str(binaries / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"],
            check=False,
            capture_output=True,
        )
        shutil.rmtree(folder, ignore_errors=True)

    return url, stop


def server_url() -> tuple[str, Callable[[], None]]:
    """The admin URL of the PostgreSQL server the tests use, and how to stop it (a no-op if not ours)."""
    configured = os.environ.get("SIXTCAP_TEST_DATABASE_URL")
    if configured:
        if not reachable(configured):
            raise RuntimeError(f"SIXTCAP_TEST_DATABASE_URL is set but does not answer: {configured}")
        return configured, lambda: None
    if reachable(LOCAL_URL):
        return LOCAL_URL, lambda: None
    return start_throwaway_server()
