"""Training: deterministic, cached under var/, rebuilt when the data change; quality on the held-out split."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from nlu.answers import answer_concerns
from nlu.evaluate import evaluate
from nlu.model import NluData, artifact_paths, load_or_train, train
from nlu.parser import EmbeddedParser
from nlu.rasa_yaml import dump, parse_example, read_file, read_training_data, training_files
from tests.conftest import DATA


def test_same_data_same_model(nlu_source: NluData) -> None:
    first, second = train(nlu_source), train(nlu_source)
    assert first.classifier.intents == second.classifier.intents
    assert first.classifier.vocabulary == second.classifier.vocabulary
    assert np.array_equal(first.classifier.weights, second.classifier.weights)
    assert np.array_equal(first.classifier.bias, second.classifier.bias)


def test_the_artifact_is_reused_then_rebuilt_when_the_data_change(tmp_path: Path) -> None:
    nlu_dir = tmp_path / "nlu"
    shutil.copytree(DATA / "nlu", nlu_dir)
    source = NluData(nlu_dir, DATA / "territory.yml", DATA / "safety", DATA / "answers", DATA / "places.yml")
    var = tmp_path / "var"
    load_or_train(source, var)
    first, first_danger = (
        artifact_paths(var, source.fingerprint())["model"],
        artifact_paths(var, source.fingerprint())["danger"],
    )
    assert first.exists() and first_danger.exists()
    stamp = first.stat().st_mtime_ns
    load_or_train(source, var)
    assert first.stat().st_mtime_ns == stamp  # reused, not retrained
    concerns = nlu_dir / "concerns.yml"
    concerns.write_text(
        concerns.read_text(encoding="utf-8").replace("    - caf\n", "    - caf\n    - la caf me saoule\n", 1)
    )
    load_or_train(source, var)
    second, second_danger = (
        artifact_paths(var, source.fingerprint())["model"],
        artifact_paths(var, source.fingerprint())["danger"],
    )
    assert second != first and second.exists() and not first.exists()
    assert second_danger.exists() and not first_danger.exists()


def test_the_danger_model_names_a_danger_the_phrases_miss(nlu_model) -> None:  # type: ignore[no-untyped-def]
    """A goodbye with no danger phrase in it: the model trained on the development sets still sees it."""
    from nlu.parser import EmbeddedParser
    from nlu.text import fold

    parser = EmbeddedParser(nlu_model)
    text = "sorry guys, tonight i end it. the pills are already in my bag"
    assert nlu_model.lexicon.alarms(fold(text)) == []
    danger = nlu_model.danger.assess(parser.readable(text, nlu_model.entities(text)))
    assert danger.probability >= parser.thresholds.crisis and danger.kind in ("suicide", "medical")
    harmless = "jcherche un taf a champi"
    assert nlu_model.danger.assess(parser.readable(harmless, nlu_model.entities(harmless))).probability < 0.2


def test_a_corrupt_artifact_is_rebuilt(tmp_path: Path, nlu_source: NluData) -> None:
    path = artifact_paths(tmp_path, nlu_source.fingerprint())["model"]
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not a model")
    model = load_or_train(nlu_source, tmp_path)
    assert "greet" in model.classifier.intents


def test_rasa_yaml_round_trip(nlu_source: NluData, tmp_path: Path) -> None:
    data = nlu_source.training_data()
    (tmp_path / "nlu.yml").write_text(dump(data), encoding="utf-8")
    again = read_training_data(training_files(tmp_path))
    key = lambda e: (e.intent, e.text, e.entities)  # noqa: E731
    assert sorted(again.examples, key=key) == sorted(data.examples, key=key)
    assert again.synonyms == data.synonyms


def test_annotation_syntax() -> None:
    example = parse_example(
        'jsuis de [champi]{"entity": "commune", "value": "Champigny-sur-Marne"} j\'ai [19](age) ans', "job"
    )
    assert example.text == "jsuis de champi j'ai 19 ans"
    (town, age) = example.entities
    assert (town.entity, town.value, example.text[town.start : town.end]) == (
        "commune",
        "Champigny-sur-Marne",
        "champi",
    )
    assert (age.entity, age.value, example.text[age.start : age.end]) == ("age", "19", "19")


def test_quality_on_the_held_out_split(parser: EmbeddedParser) -> None:
    """A regression guard on examples never trained on. The split predates the safety issue: some of its
    health examples (emergency contraception, a pregnancy test) are now crises on purpose, which costs it
    about 0.01; the targets are measured on the independent sets (bench/nlu_bench.py)."""
    examples = read_file(DATA / "nlu" / "test" / "test.yml").examples
    report = evaluate(parser, examples, answer_concerns(DATA / "answers"))
    assert report.crisis_recall == 1.0
    assert report.macro_f1 >= 0.92, "\n".join(report.lines())
    assert report.entity_recall is not None and report.entity_recall >= 0.95


def test_an_answer_offering_a_narrower_need_offers_its_concern() -> None:
    """The STI test's answer offers sexual-health services (`need: sexual_health`): a health question."""
    concerns = answer_concerns(DATA / "answers")
    assert concerns["depistage_gratuit"] == frozenset({"health"})
    assert concerns["pass_sport"] == frozenset({"sport"})
    assert concerns["robot"] == frozenset()
