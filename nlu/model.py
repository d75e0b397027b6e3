"""The embedded NLU model: the intent classifier plus the gazetteer, trained from `data/nlu/*.yml` and
cached under `var/nlu/`, keyed by a fingerprint of the data, so that it is rebuilt when the data change."""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nlu.classifier import REGULARISATION, IntentClassifier, train_classifier
from nlu.danger import DangerModel, load_danger, train_danger, training_pairs
from nlu.danger import training_files as danger_training_files
from nlu.entities import Gazetteer, extract
from nlu.features import mask_entities
from nlu.rasa_yaml import Example, TrainingData, read_training_data, training_files
from nlu.safety import Lexicon, load_lexicon
from nlu.text import fold

MODEL_VERSION = "4"  # bump when features or training change, so cached models are rebuilt


@dataclass(frozen=True)
class NluModel:
    classifier: IntentClassifier
    gazetteer: Gazetteer
    lexicon: Lexicon  # the danger phrases (not trained: read as they are)
    danger: DangerModel  # danger or not, and which kind, when the phrases say nothing

    def entities(self, text: str) -> list[dict[str, Any]]:
        return extract(text, self.gazetteer)

    def masked(self, text: str, entities: list[dict[str, Any]] | None = None) -> str:
        return mask_entities(text, self.entities(text) if entities is None else entities)


@dataclass(frozen=True)
class NluData:
    """Where the model comes from: the NLU folder, the territory file and the danger phrases (by default
    `safety/` beside the NLU folder)."""

    nlu_dir: Path
    territory_file: Path
    safety_dir: Path | None = None

    @property
    def safety_path(self) -> Path:
        return self.safety_dir or self.nlu_dir.parent / "safety"

    def lexicon(self) -> Lexicon:
        return load_lexicon(self.safety_path)

    def files(self) -> list[Path]:
        return [*training_files(self.nlu_dir), self.territory_file, *danger_training_files(self.safety_path)]

    def fingerprint(self) -> str:
        digest = hashlib.sha256(f"{MODEL_VERSION}/{REGULARISATION}".encode())
        for path in self.files():
            digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
        return digest.hexdigest()

    def training_data(self) -> TrainingData:
        return read_training_data(training_files(self.nlu_dir))

    def gazetteer(self, data: TrainingData) -> Gazetteer:
        return Gazetteer.from_territory(self.territory_file, data.synonyms)


def preparer(gazetteer: Gazetteer, lexicon: Lexicon) -> Callable[[str], str]:
    """What the classifiers read: the folded text, entities masked, jokes and hyperboles blanked."""

    def prepare(text: str) -> str:
        return lexicon.blank_harmless(fold(mask_entities(text, extract(text, gazetteer))))

    return prepare


def fit(examples: list[Example], gazetteer: Gazetteer, lexicon: Lexicon) -> IntentClassifier:
    prepare = preparer(gazetteer, lexicon)
    return train_classifier([prepare(e.text) for e in examples], [e.intent for e in examples])


def fit_danger(
    source: NluData, examples: list[Example], gazetteer: Gazetteer, lexicon: Lexicon
) -> DangerModel:
    return train_danger(training_pairs(source.safety_path, lexicon, examples), preparer(gazetteer, lexicon))


def train(source: NluData) -> NluModel:
    data = source.training_data()
    gazetteer = source.gazetteer(data)
    lexicon = source.lexicon()
    classifier = fit(data.examples, gazetteer, lexicon)
    return NluModel(classifier, gazetteer, lexicon, fit_danger(source, data.examples, gazetteer, lexicon))


def artifact_paths(var_dir: Path, fingerprint: str) -> tuple[Path, Path]:
    """The intent classifier's artifact and the danger model's."""
    folder = var_dir / "nlu"
    return folder / f"model-{fingerprint[:16]}.npz", folder / f"danger-{fingerprint[:16]}.npz"


def train_and_save(source: NluData, var_dir: Path) -> tuple[NluModel, Path]:
    """Train and write the artifacts atomically (several processes may start at once); the intent
    classifier's is written last, so that its presence means both are there."""
    model = train(source)
    path, danger_path = artifact_paths(var_dir, source.fingerprint())
    path.parent.mkdir(parents=True, exist_ok=True)
    for target, classifier in ((danger_path, model.danger.classifier), (path, model.classifier)):
        handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".npz")
        os.close(handle)
        classifier.save(Path(temporary))
        os.replace(temporary, target)
    for stale in [*path.parent.glob("model-*.npz"), *path.parent.glob("danger-*.npz")]:
        if stale not in (path, danger_path):
            stale.unlink(missing_ok=True)
    return model, path


def load_or_train(source: NluData, var_dir: Path) -> NluModel:
    """The cached model for the current data, trained first if the data changed."""
    path, danger_path = artifact_paths(var_dir, source.fingerprint())
    if path.exists():
        try:
            classifier, danger = IntentClassifier.load(path), load_danger(danger_path)
        except (OSError, ValueError, KeyError):
            return train_and_save(source, var_dir)[0]
        return NluModel(classifier, source.gazetteer(source.training_data()), source.lexicon(), danger)
    return train_and_save(source, var_dir)[0]
