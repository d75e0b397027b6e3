"""The `sixtcap` command as a newcomer uses it: real processes, real files, both databases."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from bot.db import make_engine, session_factory
from bot.models import Service
from tests.conftest import DATA
from tests.served import served

SIXTCAP = str(Path(sys.executable).parent / "sixtcap")


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SIXTCAP, *args], capture_output=True, text=True, env={**os.environ, **(env or {})}, timeout=120
    )


def test_validate_the_shipped_catalogue() -> None:
    result = run("catalogue", "validate")
    assert result.returncode == 0, result.stderr
    assert "13 partners" in result.stdout


def test_config_typo_stops_with_one_line_per_problem(tmp_path: Path) -> None:
    config = tmp_path / "config.yml"
    config.write_text("database_url: 'sqlite:///x.db'\nserver:\n  prot: 8000\nlog_level: LOUD\n")
    result = run("catalogue", "validate", env={"SIXTCAP_CONFIG": str(config)})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert lines[0] == f"configuration error: {config}:3: server.prot: unknown setting"
    assert lines[1].startswith(f"configuration error: {config}:4: log_level:")
    assert "Traceback" not in result.stderr


def test_config_show_masks_secrets() -> None:
    result = run("config", "show", env={"SIXTCAP_SECRET_KEY": "s3cr3t-do-not-print"})
    assert result.returncode == 0
    shown = json.loads(result.stdout)
    assert shown["secret_key"] == "********" and "s3cr3t" not in result.stdout


def test_load_a_broken_catalogue_leaves_the_database_as_it_was(database_url: str, tmp_path: Path) -> None:
    env = {"SIXTCAP_DATABASE_URL": database_url}
    assert run("db", "upgrade", env=env).returncode == 0
    loaded = run("catalogue", "load", env=env)
    assert loaded.returncode == 0, loaded.stderr
    assert "13 created" in loaded.stdout
    folder = tmp_path / "catalogue"
    shutil.copytree(DATA / "catalogue", folder)
    target = folder / "action_prevention_sport.yml"
    target.write_text(target.read_text(encoding="utf-8").replace("frais: gratuit", "frais: free", 1))
    (folder / "idc_formation.yml").unlink()  # would be deactivated by a successful load
    result = run("catalogue", "load", str(folder), env=env)
    assert result.returncode == 1
    assert "action_prevention_sport.yml:" in result.stderr and "unknown frais code 'free'" in result.stderr
    assert "nothing written" in result.stderr and "Traceback" not in result.stderr
    engine = make_engine(database_url)
    with session_factory(engine)() as session:
        assert all(s.active for s in session.scalars(select(Service)))
    engine.dispose()


def test_load_before_migrating_says_what_to_do(tmp_path: Path) -> None:
    result = run("catalogue", "load", env={"SIXTCAP_DATABASE_URL": f"sqlite:///{tmp_path / 'new.db'}"})
    assert result.returncode == 1
    assert "sixtcap db upgrade" in result.stderr


def test_export_writes_data_inclusion_json(tmp_path: Path) -> None:
    env = {"SIXTCAP_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}
    run("db", "upgrade", env=env)
    run("catalogue", "load", env=env)
    output = tmp_path / "export.json"
    result = run("catalogue", "export", "--format", "data-inclusion", "--output", str(output), env=env)
    assert result.returncode == 0, result.stderr
    document = json.loads(output.read_text(encoding="utf-8"))
    assert len(document["structures"]) == 13 and len(document["services"]) >= 40


@pytest.mark.slow
def test_serve_answers_healthz(tmp_path: Path) -> None:
    with served(tmp_path) as (base, _database_url):
        response = httpx.get(f"{base}/healthz", timeout=5)
    assert response.status_code == 200
    assert response.json()["catalogue"]["partners"] == 13
