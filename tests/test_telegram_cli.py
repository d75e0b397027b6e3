"""`sixtcap telegram set-webhook` and `sixtcap telegram poll` against the stub Bot API."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.stubs.platforms import StubTelegram

SIXTCAP = str(Path(sys.executable).parent / "sixtcap")


@pytest.fixture
def stub() -> Iterator[StubTelegram]:
    server = StubTelegram()
    yield server
    server.stop()


def environment(stub: StubTelegram, tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "SIXTCAP_TELEGRAM_BOT_TOKEN": "123456:TEST-token",
        "SIXTCAP_TELEGRAM_WEBHOOK_SECRET": "webhook-secret_1",
        "SIXTCAP_TELEGRAM__BASE_URL": f"{stub.url}/bot",
        "SIXTCAP_DATABASE_URL": f"sqlite:///{tmp_path / 'poll.db'}",
        "SIXTCAP_VAR_DIR": str(tmp_path),
        "SIXTCAP_OUTBOX__PACE_SECONDS": "0.1",
    }


def test_set_webhook_registers_url_and_secret(stub: StubTelegram, tmp_path: Path) -> None:
    env = environment(stub, tmp_path)
    result = subprocess.run([SIXTCAP, "telegram", "set-webhook", "--url", "https://sixtcap.example/webhooks/telegram"],
                            env=env, capture_output=True, text=True, timeout=60)  # fmt: skip
    assert result.returncode == 0, result.stderr
    call = next(c for c in stub.calls if c["method"] == "setWebhook")
    assert call["params"]["url"] == "https://sixtcap.example/webhooks/telegram"
    assert call["params"]["secret_token"] == "webhook-secret_1"


def test_set_webhook_without_token_says_what_to_set(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIXTCAP_TELEGRAM")}
    result = subprocess.run([SIXTCAP, "telegram", "set-webhook", "--url", "https://x.example"], env=env,
                            capture_output=True, text=True, timeout=60)  # fmt: skip
    assert (
        result.returncode == 2
        and "SIXTCAP_TELEGRAM_WEBHOOK_SECRET" in result.stderr
        and "Traceback" not in result.stderr
    )


@pytest.mark.slow
def test_poll_answers_updates_through_the_outbox(stub: StubTelegram, tmp_path: Path) -> None:
    env = environment(stub, tmp_path)
    for command in (["db", "upgrade"], ["catalogue", "load"]):
        subprocess.run([SIXTCAP, *command], env=env, check=True, capture_output=True, timeout=120)
    stub.updates = [{
        "update_id": 500,
        "message": {"message_id": 1, "date": 1764115200, "chat": {"id": 99, "type": "private"},
                    "from": {"id": 99, "is_bot": False, "first_name": "Lou"}, "text": "jcherche du taf a champi"},
    }]  # fmt: skip
    process = subprocess.Popen(
        [SIXTCAP, "telegram", "poll"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        calls = stub.wait_for(
            lambda calls: any("quel âge" in c["params"].get("text", "") for c in calls), timeout=60
        )
    finally:
        process.terminate()
        process.wait(timeout=20)
    assert any(c["method"] == "deleteWebhook" for c in calls)
    assert next(c for c in calls if c["method"] == "sendMessage")["params"]["chat_id"] == 99
