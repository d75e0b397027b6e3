"""config.yml + environment: defaults, overrides, secrets, and readable errors for a broken file."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import PROJECT_ROOT, ConfigError, load_settings, masked


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yml"
    path.write_text(text, encoding="utf-8")
    return path


def messages(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    return [str(problem) for problem in caught.value.problems]


def test_the_shipped_config_loads_with_sqlite_under_var() -> None:
    settings = load_settings(PROJECT_ROOT / "config.yml")
    assert settings.database_url == f"sqlite:///{PROJECT_ROOT}/var/sixtcap.db"
    assert settings.timezone == "Europe/Paris"
    assert settings.catalogue_dir == PROJECT_ROOT / "data" / "catalogue"


def test_environment_overrides_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, "database_url: 'sqlite:///x.db'\nserver:\n  port: 8000\n  host: 0.0.0.0\n")
    monkeypatch.setenv("SIXTCAP_DATABASE_URL", "postgresql://app:pw@db.example:5432/sixtcap")
    monkeypatch.setenv("SIXTCAP_SERVER__PORT", "9001")
    settings = load_settings(path)
    assert settings.database_url == "postgresql://app:pw@db.example:5432/sixtcap"
    assert settings.server.port == 9001
    assert settings.server.host == "0.0.0.0"  # the rest of the section stays


def test_relative_paths_are_relative_to_the_config_file(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, "database_url: 'sqlite:///var/a.db'\ndata_dir: mydata\n"))
    assert settings.database_url == f"sqlite:///{tmp_path}/var/a.db"
    assert settings.data_dir == tmp_path / "mydata"


def test_unknown_key_is_named_with_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "timezone: Europe/Paris\nserver:\n  host: 127.0.0.1\n  prot: 8000\n")
    assert messages(path) == [f"{path}:4: server.prot: unknown setting"]


def test_wrong_type_is_named_with_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, "server:\n  port: huit-mille\nlog_level: LOUD\n")
    found = messages(path)
    assert len(found) == 2
    assert found[0].startswith(f"{path}:2: server.port: Input should be a valid integer")
    assert "'huit-mille'" in found[0]
    assert found[1].startswith(f"{path}:3: log_level: Input should be 'DEBUG'")


def test_bad_yaml_gives_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "server:\n  port: 8000\n host: [oops\n")
    (found,) = messages(path)
    assert found.startswith(f"{path}:3: invalid YAML")


def test_unknown_time_zone(tmp_path: Path) -> None:
    path = write(tmp_path, "timezone: Europe/Champigny\n")
    assert messages(path) == [f"{path}:1: timezone: unknown time zone 'Europe/Champigny'"]


def test_secret_in_the_file_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "secret_key: hunter2\n")
    (found,) = messages(path)
    assert "secret_key: secrets are read only from the environment" in found
    assert "SIXTCAP_SECRET_KEY" in found


def test_bad_environment_value_names_the_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIXTCAP_SERVER__PORT", "99999")
    (found,) = messages(write(tmp_path, "log_level: INFO\n"))
    assert found.startswith("SIXTCAP_SERVER__PORT: server.port: Input should be less than or equal to 65535")


def test_masked_hides_secrets_and_database_password(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIXTCAP_SECRET_KEY", "very-secret-value")
    monkeypatch.setenv("SIXTCAP_DATABASE_URL", "postgresql://app:pa55word@db:5432/sixtcap")
    shown = masked(load_settings(write(tmp_path, "")))
    assert shown["secret_key"] == "********"
    assert shown["database_url"] == "postgresql://app:***@db:5432/sixtcap"
    assert "very-secret-value" not in repr(shown) and "pa55word" not in repr(shown)
