"""`sixtcap chat`: scripted (JSON lines) and in a real terminal (a pseudo-terminal)."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

SIXTCAP = str(Path(sys.executable).parent / "sixtcap")


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("chat")
    variables = {
        **os.environ,
        "SIXTCAP_DATABASE_URL": f"sqlite:///{folder / 'chat.db'}",
        "SIXTCAP_VAR_DIR": str(folder),
    }
    for command in (["db", "upgrade"], ["catalogue", "load"]):
        subprocess.run([SIXTCAP, *command], env=variables, check=True, capture_output=True, timeout=120)
    return variables


def chat(env: dict[str, str], lines: list[str], user: str) -> list[dict[str, object]]:
    result = subprocess.run(
        [SIXTCAP, "chat", "--user", user], input="\n".join(lines) + "\n", env=env, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_scripted_chat_prints_json_bubbles_and_presses_buttons(env: dict[str, str]) -> None:
    bubbles = chat(env, ["salut", "#3", "#1"], user="scripted")
    assert {"text", "buttons", "cards"} <= set(bubbles[0])
    texts = [b["text"] for b in bubbles]
    assert any("Qu'est-ce qui te préoccupe" in t for t in texts)
    assert any("Tu habites où" in t for t in texts)  # '#3' pressed "Permis"
    assert any("quel âge" in t for t in texts)  # '#1' pressed "Champigny"


def test_user_option_continues_a_conversation(env: dict[str, str]) -> None:
    chat(env, ["jcherche du taf", "champi"], user="returning")
    bubbles = chat(env, ["19 ans"], user="returning")
    assert "Pour trouver du taf" in bubbles[0]["text"]
    assert bubbles[0]["cards"] and bubbles[0]["cards"][0]["kind"] == "service"


def read_until(fd: int, needle: str, timeout: float = 60) -> str:
    seen = ""
    deadline = time.monotonic() + timeout
    while needle not in seen:
        if time.monotonic() > deadline:
            raise AssertionError(f"{needle!r} never shown; screen was:\n{seen}")
        ready, _, _ = select.select([fd], [], [], 0.5)
        if ready:
            try:
                seen += os.read(fd, 65536).decode(errors="replace")
            except OSError:
                break
    return seen


def test_terminal_chat_numbers_buttons(env: dict[str, str]) -> None:
    pid, fd = pty.fork()
    if pid == 0:  # the child: sixtcap chat in a terminal
        os.execve(SIXTCAP, [SIXTCAP, "chat", "--user", "terminal"], env)
    try:
        read_until(fd, "> ")
        os.write(fd, b"salut\n")
        screen = read_until(fd, "[9] Besoin de parler")
        assert "[1] Papiers" in screen and "[3] Permis" in screen
        os.write(fd, b"3\n")
        screen = read_until(fd, "[4] Autre ville")
        assert "Tu habites où" in screen
        os.write(fd, b"\x04")  # Ctrl-D
    finally:
        os.waitpid(pid, 0)
        os.close(fd)
