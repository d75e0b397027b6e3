"""The embedded NLU model: the intent classifier plus the gazetteer, trained from `data/nlu/*.yml` and
cached under `var/nlu/`, keyed by a fingerprint of the data, so that it is rebuilt when the data change."""

from __future__ import annotations

import functools
import hashlib
import os
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nlu.answers import ResponseSelector, answer_files, faq_examples, load_selector, selector_problem
from nlu.classifier import (
    REGULARISATION,
    TOLERANCE,
    Corpus,
    IntentClassifier,
    Problem,
    problem,
    shared,
    solve,
)
from nlu.danger import DangerModel, danger_problem, load_danger, train_danger, training_pairs
from nlu.danger import training_files as danger_training_files
from nlu.entities import Gazetteer, extract
from nlu.features import mask_entities
from nlu.rasa_yaml import Example, TrainingData, read_training_data, training_files
from nlu.safety import Lexicon, load_lexicon
from nlu.text import fold

MODEL_VERSION = "10"  # bump when features or training change, so cached models are rebuilt


@dataclass(frozen=True)
class NluModel:
    classifier: IntentClassifier
    gazetteer: Gazetteer
    lexicon: Lexicon  # the danger phrases (not trained: read as they are)
    danger: DangerModel  # danger or not, and which kind, when the phrases say nothing
    selector: ResponseSelector  # which answer of data/answers/ a `faq` question asks for

    def __post_init__(self) -> None:
        # one vocabulary for the three classifiers: a message's features are looked up once for all
        intents, danger, answers = shared(self.classifier, self.danger.classifier, self.selector.classifier)
        object.__setattr__(self, "classifier", intents)
        object.__setattr__(self, "danger", DangerModel(danger))
        object.__setattr__(self, "selector", ResponseSelector(answers))

    def entities(self, text: str) -> list[dict[str, Any]]:
        return extract(text, self.gazetteer)

    def masked(self, text: str, entities: list[dict[str, Any]] | None = None) -> str:
        return mask_entities(text, self.entities(text) if entities is None else entities)


@dataclass(frozen=True)
class NluData:
    """Where the model comes from: the NLU folder, the territory file, the danger phrases and the answers
    (by default `safety/` and `answers/` beside the NLU folder)."""

    nlu_dir: Path
    territory_file: Path
    safety_dir: Path | None = None
    answers_dir: Path | None = None
    places_file: Path | None = None

    @property
    def places_path(self) -> Path:
        return self.places_file or self.nlu_dir.parent / "places.yml"

    @property
    def safety_path(self) -> Path:
        return self.safety_dir or self.nlu_dir.parent / "safety"

    @property
    def answers_path(self) -> Path:
        return self.answers_dir or self.nlu_dir.parent / "answers"

    def lexicon(self) -> Lexicon:
        return load_lexicon(self.safety_path)

    def files(self) -> list[Path]:
        return [
            *training_files(self.nlu_dir),
            self.territory_file,
            *danger_training_files(self.safety_path),
            *answer_files(self.answers_path),
            *[p for p in (self.places_path,) if p.exists()],
        ]

    def fingerprint(self) -> str:
        digest = hashlib.sha256(f"{MODEL_VERSION}/{REGULARISATION}".encode())
        for path in self.files():
            digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
        return digest.hexdigest()

    def training_data(self) -> TrainingData:
        return read_training_data(training_files(self.nlu_dir))

    def faq(self) -> list[Example]:
        return faq_examples(self.answers_path)

    def gazetteer(self, data: TrainingData) -> Gazetteer:
        return Gazetteer.from_territory(self.territory_file, data.synonyms, self.places_path)


def preparer(gazetteer: Gazetteer, lexicon: Lexicon) -> Callable[[str], str]:
    """What the classifiers read: the folded text, entities masked, jokes and hyperboles blanked
    (remembered: the three models of a training read many of the same texts)."""

    @functools.cache
    def prepare(text: str) -> str:
        return lexicon.blank_harmless(fold(mask_entities(text, extract(text, gazetteer))))

    return prepare


def intent_problem(
    examples: list[Example], prepare: Callable[[str], str], corpus: Corpus | None = None
) -> Problem:
    """`faq/<id>` examples all teach the one retrieval intent `faq`."""
    labels = [e.intent.split("/", 1)[0] for e in examples]
    return problem([prepare(e.text) for e in examples], labels, TOLERANCE, corpus)


def fit(examples: list[Example], gazetteer: Gazetteer, lexicon: Lexicon) -> IntentClassifier:
    """The intent classifier alone."""
    return solve(intent_problem(examples, preparer(gazetteer, lexicon)))


def fit_danger(
    source: NluData, examples: list[Example], gazetteer: Gazetteer, lexicon: Lexicon
) -> DangerModel:
    """The danger model alone."""
    pairs = training_pairs(source.safety_path, lexicon, examples)
    return train_danger(pairs, preparer(gazetteer, lexicon))


def train(source: NluData) -> NluModel:
    """The three models. Their features are Python work, done in this thread one model after another
    (two Python threads would only take turns on Python's lock, and slow each other); each solver leaves
    the lock, so it runs in the pool (two workers, the machine's two cores) as soon as its features are
    ready: the intents first, then the danger model (the most texts), then the response selector (the
    shortest; its texts are the intents' already prepared)."""
    data = source.training_data()
    gazetteer = source.gazetteer(data)
    lexicon = source.lexicon()
    faq = source.faq()
    examples = [*data.examples, *faq]
    prepare = preparer(gazetteer, lexicon)
    corpus = Corpus()  # the three models read many of the same texts
    with ThreadPoolExecutor(max_workers=2) as pool:
        intents = pool.submit(solve, intent_problem(examples, prepare, corpus))
        pairs = training_pairs(source.safety_path, lexicon, examples)
        danger = pool.submit(solve, danger_problem(pairs, prepare, corpus))
        selector = pool.submit(solve, selector_problem(faq, prepare, corpus))
        return NluModel(
            classifier=intents.result(),
            gazetteer=gazetteer,
            lexicon=lexicon,
            danger=DangerModel(danger.result()),
            selector=ResponseSelector(selector.result()),
        )


ARTIFACTS = ("answers", "danger", "model")  # written in this order: "model" last means all are there


def artifact_paths(var_dir: Path, fingerprint: str) -> dict[str, Path]:
    folder = var_dir / "nlu"
    return {name: folder / f"{name}-{fingerprint[:16]}.npz" for name in ARTIFACTS}


def train_and_save(source: NluData, var_dir: Path) -> tuple[NluModel, Path]:
    """Train and write the artifacts atomically (several processes may start at once)."""
    model = train(source)
    paths = artifact_paths(var_dir, source.fingerprint())
    classifiers = {
        "answers": model.selector.classifier,
        "danger": model.danger.classifier,
        "model": model.classifier,
    }
    folder = paths["model"].parent
    folder.mkdir(parents=True, exist_ok=True)
    for name in ARTIFACTS:
        handle, temporary = tempfile.mkstemp(dir=folder, suffix=".npz")
        os.close(handle)
        classifiers[name].save(Path(temporary))
        os.replace(temporary, paths[name])
    for stale in folder.glob("*-*.npz"):
        if stale not in paths.values():
            stale.unlink(missing_ok=True)
    return model, paths["model"]


def load_or_train(source: NluData, var_dir: Path) -> NluModel:
    """The cached model for the current data, trained first if the data changed."""
    paths = artifact_paths(var_dir, source.fingerprint())
    if paths["model"].exists():
        try:
            classifier = IntentClassifier.load(paths["model"])
            danger, selector = load_danger(paths["danger"]), load_selector(paths["answers"])
        except (OSError, ValueError, KeyError):
            return train_and_save(source, var_dir)[0]
        data = source.training_data()
        return NluModel(classifier, source.gazetteer(data), source.lexicon(), danger, selector)
    return train_and_save(source, var_dir)[0]
