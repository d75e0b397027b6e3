"""The embedded NLU model: the intent classifier plus the gazetteer, trained from `data/nlu/*.yml` and
cached under `var/nlu/`, keyed by a fingerprint of the data, so that it is rebuilt when the data change."""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nlu.classifier import REGULARISATION, IntentClassifier, train_classifier
from nlu.entities import Gazetteer, extract
from nlu.features import mask_entities
from nlu.rasa_yaml import Example, TrainingData, read_training_data, training_files
from nlu.safety import Lexicon, load_lexicon
from nlu.text import fold

MODEL_VERSION = "3"  # bump when features or training change, so cached models are rebuilt


@dataclass(frozen=True)
class NluModel:
    classifier: IntentClassifier
    gazetteer: Gazetteer
    lexicon: Lexicon  # the danger phrases (not trained: read as they are)

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

    def lexicon(self) -> Lexicon:
        return load_lexicon(self.safety_dir or self.nlu_dir.parent / "safety")

    def files(self) -> list[Path]:
        return [*training_files(self.nlu_dir), self.territory_file]

    def fingerprint(self) -> str:
        digest = hashlib.sha256(f"{MODEL_VERSION}/{REGULARISATION}".encode())
        for path in self.files():
            digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
        return digest.hexdigest()

    def training_data(self) -> TrainingData:
        return read_training_data(training_files(self.nlu_dir))

    def gazetteer(self, data: TrainingData) -> Gazetteer:
        return Gazetteer.from_territory(self.territory_file, data.synonyms)


def fit(examples: list[Example], gazetteer: Gazetteer, lexicon: Lexicon) -> IntentClassifier:
    """Trained on what the parser will classify: entities masked, jokes and hyperboles blanked."""
    texts = [
        lexicon.blank_harmless(fold(mask_entities(e.text, extract(e.text, gazetteer)))) for e in examples
    ]
    return train_classifier(texts, [e.intent for e in examples])


def train(source: NluData) -> NluModel:
    data = source.training_data()
    gazetteer = source.gazetteer(data)
    lexicon = source.lexicon()
    return NluModel(fit(data.examples, gazetteer, lexicon), gazetteer, lexicon)


def artifact_path(var_dir: Path, fingerprint: str) -> Path:
    return var_dir / "nlu" / f"model-{fingerprint[:16]}.npz"


def train_and_save(source: NluData, var_dir: Path) -> tuple[NluModel, Path]:
    """Train and write the artifact atomically (several processes may start at once)."""
    fingerprint = source.fingerprint()
    model = train(source)
    path = artifact_path(var_dir, fingerprint)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".npz")
    os.close(handle)
    model.classifier.save(Path(temporary))
    os.replace(temporary, path)
    for stale in path.parent.glob("model-*.npz"):
        if stale != path:
            stale.unlink(missing_ok=True)
    return model, path


def load_or_train(source: NluData, var_dir: Path) -> NluModel:
    """The cached model for the current data, trained first if the data changed."""
    path = artifact_path(var_dir, source.fingerprint())
    if path.exists():
        try:
            classifier = IntentClassifier.load(path)
        except (OSError, ValueError, KeyError):
            return train_and_save(source, var_dir)[0]
        return NluModel(classifier, source.gazetteer(source.training_data()), source.lexicon())
    return train_and_save(source, var_dir)[0]
