"""The intent classifier: trained with scikit-learn (TF-IDF + multinomial logistic regression), run
with numpy alone from a small artifact (vocabulary, idf, weights) so that a parse takes microseconds."""

from __future__ import annotations

import functools
import json
import math
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from nlu.features import features

REGULARISATION = 20.0  # C of the logistic regression, chosen on cross-validation (README, NLU scores)
# saga's stopping tolerance: the intents need 4e-3 at most (1e-3: same scores, 1.5 s more; 1e-2 loses 0.03
# macro-F1); the danger model and the response selector score the same with 1e-2, and train in 1 s, not 10
TOLERANCE = 4e-3
LOOSE_TOLERANCE = 1e-2


@dataclass(frozen=True)
class IntentClassifier:
    intents: tuple[str, ...]
    vocabulary: dict[str, int]
    idf: NDArray[np.float64]
    weights: NDArray[np.float64]  # (features, intents)
    bias: NDArray[np.float64]  # (intents,)

    def probabilities(self, masked_text: str, found: list[str] | None = None) -> NDArray[np.float64]:
        """Softmax scores over `intents` for a text whose entities are already masked (`found`: its
        features, when already computed for another classifier)."""
        found = features(masked_text) if found is None else found
        counts = Counter(i for f in found if (i := self.vocabulary.get(f)) is not None)
        scores = self.bias.copy()
        if counts:
            index = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
            tf = np.fromiter(
                (1.0 + math.log(c) for c in counts.values()), dtype=np.float64, count=len(counts)
            )
            values = tf * self.idf[index]
            values /= np.linalg.norm(values)
            scores += values @ self.weights[index]
        scores -= scores.max()
        exp = np.exp(scores)
        return np.asarray(exp / exp.sum(), dtype=np.float64)

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        terms = sorted(self.vocabulary, key=self.vocabulary.__getitem__)
        np.savez(
            path,
            intents=np.array(json.dumps(list(self.intents))),
            terms=np.array(json.dumps(terms)),
            idf=self.idf,
            weights=self.weights,
            bias=self.bias,
        )

    @classmethod
    def load(cls, path: Path) -> IntentClassifier:
        with np.load(path) as data:
            terms = json.loads(str(data["terms"]))
            return cls(
                intents=tuple(json.loads(str(data["intents"]))),
                vocabulary={term: i for i, term in enumerate(terms)},
                idf=data["idf"],
                weights=data["weights"],
                bias=data["bias"],
            )


@functools.lru_cache(maxsize=1 << 16)
def cached_features(text: str) -> tuple[str, ...]:
    """The features of a prepared text, computed once for the models of one training."""
    return tuple(features(text))


def train_classifier(
    texts: list[str], labels: list[str], regularisation: float = REGULARISATION, tolerance: float = TOLERANCE
) -> IntentClassifier:
    """Fit on masked texts. Deterministic: same data, same weights."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vectorizer = TfidfVectorizer(analyzer=cached_features, sublinear_tf=True, lowercase=False)
    matrix = vectorizer.fit_transform(texts)
    # saga converges in well under a second here (lbfgs takes over ten); a fixed seed keeps it deterministic
    model = LogisticRegression(C=regularisation, solver="saga", tol=tolerance, max_iter=1000, random_state=0)
    model.fit(matrix, labels)
    intents = tuple(str(c) for c in model.classes_)
    weights = model.coef_.T.astype(np.float64)
    bias = model.intercept_.astype(np.float64)
    if len(intents) == 2:  # binary: one column of scores for the positive class
        weights = np.hstack([-weights / 2, weights / 2])
        bias = np.array([-bias[0] / 2, bias[0] / 2])
    vocabulary = {str(term): int(i) for term, i in vectorizer.vocabulary_.items()}
    return IntentClassifier(intents, vocabulary, vectorizer.idf_.astype(np.float64), weights, bias)
