"""`sixtcap nlu ...` as a developer or a script uses it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from nlu.rasa_yaml import read_training_data, training_files
from tests.conftest import DATA

SIXTCAP = str(Path(sys.executable).parent / "sixtcap")


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A var/ of its own, with the model trained by `sixtcap nlu train`."""
    variables = {**os.environ, "SIXTCAP_VAR_DIR": str(tmp_path_factory.mktemp("var"))}
    result = subprocess.run(
        [SIXTCAP, "nlu", "train"], env=variables, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "model written to" in result.stdout
    assert list(Path(variables["SIXTCAP_VAR_DIR"]).glob("nlu/model-*.npz"))
    return variables


def run(env: dict[str, str], *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([SIXTCAP, *args], env=env, input=stdin, capture_output=True, text=True, timeout=120)


def test_parse_arguments(env: dict[str, str]) -> None:
    result = run(env, "nlu", "parse", "wesh", "jveux passer le permis")
    assert result.returncode == 0, result.stderr
    first, second = (json.loads(line) for line in result.stdout.splitlines())
    assert first["intent"]["name"] == "greet" and second["intent"]["name"] == "driving_licence"


def test_parse_stdin_keeps_order_one_json_per_line(env: dict[str, str]) -> None:
    messages = [f"message {i} jcherche du taf a champi" if i % 3 else "" for i in range(1000)]
    messages[10] = "jveux plus vivre"
    messages[11] = "🙂 \u200b"
    result = run(env, "nlu", "parse", stdin="\n".join(messages) + "\n")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 1000
    parsed = [json.loads(line) for line in lines]
    assert [p["text"] for p in parsed] == messages
    assert parsed[10]["intent"]["name"] == "crisis"
    assert parsed[1]["intent"]["name"] == "job"


def test_eval_prints_scores_and_json(env: dict[str, str]) -> None:
    text = run(env, "nlu", "eval")
    assert text.returncode == 0, text.stderr
    assert "macro-F1:" in text.stdout and "crisis recall: 1.000" in text.stdout
    report = json.loads(run(env, "nlu", "eval", str(DATA / "nlu" / "test" / "test.yml"), "--json").stdout)
    assert {"accuracy", "macro_f1", "intents", "entity_precision", "entity_recall", "misclassified"} <= set(
        report
    )
    assert report["intents"]["crisis"]["recall"] == 1.0


def test_eval_of_a_file_that_is_not_nlu_data(env: dict[str, str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text("nlu: [oops\n")
    result = run(env, "nlu", "eval", str(bad))
    assert result.returncode == 1 and "cannot read" in result.stderr and "Traceback" not in result.stderr


def test_export_rasa_project(env: dict[str, str], tmp_path: Path) -> None:
    folder = tmp_path / "rasa"
    result = run(env, "nlu", "export-rasa", str(folder))
    assert result.returncode == 0, result.stderr
    config = (folder / "config.yml").read_text()
    assert "language: fr" in config and "DIETClassifier" in config and "FallbackClassifier" in config
    assert "- crisis" in (folder / "domain.yml").read_text()
    assert "ResponseSelector" in config and "retrieval_intent: faq" in config
    domain = yaml.safe_load((folder / "domain.yml").read_text())
    assert "faq" in domain["intents"] and "utter_faq/cej" in domain["responses"]
    exported = read_training_data([folder / "data" / "nlu.yml"])
    original = read_training_data(training_files(DATA / "nlu"))
    questions = [e for e in exported.examples if e.intent.startswith("faq/")]
    assert len(exported.examples) - len(questions) == len(original.examples)
    assert {e.intent for e in questions} >= {"faq/cej", "faq/mission_locale", "faq/robot"}
    assert exported.synonyms == original.synonyms


def test_safety_explains_what_raises_the_alarm(env: dict[str, str]) -> None:
    result = run(env, "nlu", "safety", stdin="mdr jveux mourir\nje suis mort de rire\n")
    assert result.returncode == 0, result.stderr
    danger, joke = (json.loads(line) for line in result.stdout.splitlines())
    assert danger["alarms"] == [{"kind": "suicide", "family": "wanting to die", "phrase": "veux mourir"}]
    assert joke["alarms"] == [] and "mort de rire" not in joke["blanked"]
