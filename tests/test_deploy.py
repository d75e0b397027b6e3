"""The files of deploy/: the systemd units pass `systemd-analyze verify` (when systemd is there), the
Caddyfile passes `caddy validate`, the example alert rules speak only of metrics sixtcap exports and pass
Prometheus' own checks (`promtool`: syntax, and their unit tests in alerts_test.yml)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from pydantic import SecretStr
from sqlalchemy import Engine

from bot.config import PROJECT_ROOT
from nlu.parser import EmbeddedParser
from tests.conftest import channel_settings, running_app
from tests.stubs.platforms import StubSentry

DEPLOY = PROJECT_ROOT / "deploy"
UNITS = sorted((DEPLOY / "systemd").glob("sixtcap-*.*"))


def test_systemd_units_verify(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed on this machine")
    here = str(Path(sys.executable).parent / "sixtcap")
    for unit in UNITS:  # the units name /opt/sixtcap; verify them against this checkout
        text = unit.read_text().replace("/opt/sixtcap/.venv/bin/sixtcap", here)
        (tmp_path / unit.name).write_text(
            text.replace("WorkingDirectory=/opt/sixtcap", f"WorkingDirectory={PROJECT_ROOT}")
        )
    done = subprocess.run(
        [analyze, "verify", "--man=no", *(str(tmp_path / u.name) for u in UNITS)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "Unknown" not in done.stderr and "Invalid" not in done.stderr, done.stderr
    web = (DEPLOY / "systemd" / "sixtcap-web.service").read_text()
    for option in ("NoNewPrivileges=yes", "ProtectSystem=strict", "EnvironmentFile=/etc/sixtcap/sixtcap.env"):
        assert option in web


def test_the_caddyfile_is_valid(tmp_path: Path) -> None:
    caddy = shutil.which("caddy")
    if caddy is None:
        pytest.fail("caddy is missing: `make test` installs it (apt-get install caddy)", pytrace=False)
    env = {
        **os.environ,
        "HOME": str(tmp_path),
        "XDG_DATA_HOME": str(tmp_path),
        "XDG_CONFIG_HOME": str(tmp_path),
    }
    done = subprocess.run(
        [caddy, "validate", "--config", str(DEPLOY / "Caddyfile"), "--adapter", "caddyfile"],
        env={**env, "SIXTCAP_CADDY_ADMIN": "off"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0 and "Valid configuration" in done.stdout + done.stderr, done.stderr


def promtool() -> str:
    found = shutil.which("promtool")
    if found is None:
        pytest.fail(
            "promtool is missing: `make test` installs it (apt-get install prometheus)", pytrace=False
        )
    return found


def run(*command: str) -> str:
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_prometheus_checks_the_alert_rules_and_their_unit_tests(tmp_path: Path) -> None:
    rules = DEPLOY / "prometheus" / "alerts.yml"
    assert "SUCCESS: 10 rules found" in run(promtool(), "check", "rules", str(rules))
    assert "SUCCESS" in run(promtool(), "test", "rules", str(DEPLOY / "prometheus" / "alerts_test.yml"))
    token = tmp_path / "token"
    token.write_text("t\n")
    scrape = yaml.safe_load((DEPLOY / "prometheus" / "scrape.yml").read_text())
    for job in scrape["scrape_configs"]:
        job["authorization"]["credentials_file"] = str(token)  # /etc/prometheus/... on the host
    config = tmp_path / "prometheus.yml"
    config.write_text(yaml.safe_dump({"rule_files": [str(rules)], **scrape}))
    assert "SUCCESS" in run(promtool(), "check", "config", str(config))


def test_alert_rules_name_only_exported_metrics(loaded_engine: Engine, parser: EmbeddedParser) -> None:
    rules = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yml").read_text())
    alerts = {rule["alert"]: rule["expr"] for group in rules["groups"] for rule in group["rules"]}
    for wanted in ("SixtcapOutboxBacklog", "SixtcapUrgentQuestionWaiting", "SixtcapWebhook5xx",
                   "SixtcapRemindersNotRun"):  # fmt: skip
        assert wanted in alerts
    with running_app(channel_settings(metrics_token=SecretStr("t")), loaded_engine, parser) as client:
        client.post(
            "/widget/messages",
            json={"conversation_id": "9a1c6a52-8f7e-4c1e-9d8e-3f2a1b0c9d8e", "text": "salut"},
        )
        assert client.app.state.context.remind is not None  # type: ignore[attr-defined]
        client.portal.call(client.app.state.context.remind)  # type: ignore[attr-defined]
        exported = client.get("/metrics", headers={"Authorization": "Bearer t"}).text
    families = set(re.findall(r"^# TYPE (\S+) (\w+)", exported, re.M))
    names = {name for name, _ in families}
    names |= {f"{name}_bucket" for name, kind in families if kind == "histogram"}
    names |= {f"{name}_total" for name, kind in families if kind == "counter"}
    for alert, expr in alerts.items():
        for used in re.findall(r"\bsixtcap_[a-z_]+", expr):
            assert used in names, f"{alert} uses {used}, which sixtcap does not export"
    assert 'sixtcap_job_last_success_timestamp_seconds{task="handoff-reminders"}' in exported


REPORTED = """
import logging, sys
from bot.config import load_settings
from sixtcap.reporting import report_errors
assert report_errors(load_settings(None))
try:
    raise RuntimeError("delivery to 0612345678 failed for jeune@example.org")
except RuntimeError:
    logging.getLogger("sixtcap.test").exception("outbox row 4242424242 given up")
import sentry_sdk
sentry_sdk.flush(10)
"""


def test_errors_reach_sentry_without_anything_personal(tmp_path: Path) -> None:
    sentry = StubSentry()
    try:
        env = {**os.environ, "SIXTCAP_SENTRY_DSN": f"http://public@127.0.0.1:{sentry.port}/1",
               "SIXTCAP_VAR_DIR": str(tmp_path)}  # fmt: skip
        done = subprocess.run(
            [sys.executable, "-c", REPORTED], env=env, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr
        calls = sentry.wait_for(lambda calls: bool(calls), 15)
    finally:
        sentry.stop()
    sent = "".join(call["raw"] for call in calls)
    assert "/api/1/envelope/" in calls[0]["path"] and "RuntimeError" in sent
    assert "<phone>" in sent and "<email>" in sent and "<number>" in sent
    for personal in ("0612345678", "jeune@example.org", "4242424242"):
        assert personal not in sent
