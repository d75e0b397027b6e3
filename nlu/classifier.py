"""The intent classifier: trained with scikit-learn (TF-IDF + multinomial logistic regression), run
with numpy alone from a small artifact (vocabulary, idf, weights) so that a parse takes microseconds.

The model's classifiers (intents, danger, answers) read the same features of the same text: `shared`
gives them one vocabulary (a feature unknown to one of them has idf 0 and weight 0 there, so its scores
are exactly what its own vocabulary gives), and a text is `encode`d once for all of them."""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from nlu.features import composed, word_features

REGULARISATION = 20.0  # C of the logistic regression, chosen on cross-validation (README, NLU scores)
# saga's stopping tolerance: the intents need 4e-3 at most (1e-3: same scores, 1.5 s more; 1e-2 loses 0.03
# macro-F1); the response selector scores the same with 1e-2, and the danger model with 2e-2 (5-fold
# cross-validation of its data: recall 0.888 and false alarms 0.019 at 0.35, against 0.888 and 0.017
# with 1e-2), in two thirds of the time
TOLERANCE = 4e-3
LOOSE_TOLERANCE = 1e-2
DANGER_TOLERANCE = 2e-2


@dataclass(frozen=True)
class Encoded:
    """A text's features in a vocabulary: distinct feature ids and their sublinear term frequencies."""

    ids: NDArray[np.int64]
    tf: NDArray[np.float64]


WORDS_REMEMBERED = 1 << 16  # words whose feature ids a classifier keeps at hand


def encoded(ids: list[int]) -> Encoded:
    distinct, counts = zip(*Counter(ids).items(), strict=True) if ids else ((), ())
    return Encoded(np.array(distinct, dtype=np.int64), 1.0 + np.log(np.array(counts, dtype=np.float64)))


@dataclass(frozen=True)
class IntentClassifier:
    intents: tuple[str, ...]
    vocabulary: dict[str, int]
    idf: NDArray[np.float64]
    weights: NDArray[np.float64]  # (features, intents)
    bias: NDArray[np.float64]  # (intents,)
    remembered: dict[str, tuple[int, ...]] = field(default_factory=dict, compare=False, repr=False)

    def encode(self, masked_text: str) -> Encoded:
        """The text's features (features.py) as ids of the vocabulary, those of each word remembered."""
        return encoded(composed(masked_text, self.word_ids, self.known_ids))

    def known_ids(self, terms: Iterable[str]) -> list[int]:
        return [i for term in terms if (i := self.vocabulary.get(term)) is not None]

    def word_ids(self, token: str) -> tuple[int, ...]:
        known = self.remembered.get(token)
        if known is None:
            if len(self.remembered) >= WORDS_REMEMBERED:
                self.remembered.clear()
            known = tuple(self.known_ids(word_features(token)))
            self.remembered[token] = known
        return known

    def probabilities(self, text: str | Encoded) -> NDArray[np.float64]:
        """Softmax scores over `intents` for a text whose entities are already masked, or for its
        features encoded in this classifier's vocabulary (once for the classifiers that share it)."""
        encoded = self.encode(text) if isinstance(text, str) else text
        scores = self.bias.copy()
        values = encoded.tf * self.idf[encoded.ids]
        norm = float(np.sqrt(values @ values))
        if norm > 0.0:
            scores += (values / norm) @ self.weights[encoded.ids]
        scores -= scores.max()
        exp = np.exp(scores)
        return np.asarray(exp / exp.sum(), dtype=np.float64)

    def within(self, vocabulary: dict[str, int]) -> IntentClassifier:
        """The same classifier over a larger `vocabulary` (which holds all of its own terms)."""
        if vocabulary is self.vocabulary:
            return self
        size = len(self.vocabulary)
        rows = np.fromiter(map(vocabulary.__getitem__, self.vocabulary), dtype=np.int64, count=size)
        columns = np.fromiter(self.vocabulary.values(), dtype=np.int64, count=size)
        idf = np.zeros(len(vocabulary))
        idf[rows] = self.idf[columns]
        weights = np.zeros((len(vocabulary), self.weights.shape[1]))
        weights[rows] = self.weights[columns]
        return IntentClassifier(self.intents, vocabulary, idf, weights, self.bias)

    def save(self, path: Path) -> None:
        """Only the classifier's own terms (idf > 0): a shared vocabulary is not written again and again."""
        path.parent.mkdir(parents=True, exist_ok=True)
        own = sorted((i, term) for term, i in self.vocabulary.items() if self.idf[i] > 0.0)
        rows = np.array([i for i, _ in own], dtype=np.int64)
        np.savez(
            path,
            intents=np.array(json.dumps(list(self.intents))),
            terms=np.array(json.dumps([term for _, term in own])),
            idf=self.idf[rows],
            weights=self.weights[rows],
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


def shared(*classifiers: IntentClassifier) -> tuple[IntentClassifier, ...]:
    """The classifiers over one vocabulary, the union of theirs (terms in the order first seen)."""
    terms = dict.fromkeys(chain.from_iterable(c.vocabulary for c in classifiers))
    vocabulary = dict(zip(terms, range(len(terms)), strict=True))
    return tuple(c.within(vocabulary) for c in classifiers)


class Corpus:
    """Prepared texts as ids of one vocabulary, each text's and each word's features looked up once (the
    three models of a training read many of the same texts). Threads may share it."""

    def __init__(self) -> None:
        self.terms: list[str] = []
        self.index: dict[str, int] = {}
        self.by_word: dict[str, list[int]] = {}
        self.by_text: dict[str, tuple[NDArray[np.int64], NDArray[np.float64]]] = {}
        self.lock = threading.Lock()

    def tfidf(self, texts: list[str]) -> tuple[Any, dict[str, int], NDArray[np.float64]]:
        """The texts' TF-IDF matrix as scikit-learn's `TfidfVectorizer(sublinear_tf=True)` makes it
        (smooth idf, rows of unit length, columns sorted in each row), with its vocabulary (the terms of
        these texts) and idf. Built with arrays: each text's distinct ids are sorted and the terms keep
        the corpus's order, so each row's columns come sorted."""
        from scipy.sparse import csr_matrix

        with self.lock:
            rows = [self.counted(text) for text in texts]
            size = len(self.terms)
        found = np.concatenate([ids for ids, _ in rows]) if rows else np.zeros(0, dtype=np.int64)
        counts = np.concatenate([c for _, c in rows]) if rows else np.zeros(0)
        present = np.zeros(size, dtype=bool)
        present[found] = True
        terms = np.flatnonzero(present)
        column = np.zeros(size, dtype=np.int64)
        column[terms] = np.arange(len(terms))
        columns = column[found]
        lengths = np.array([len(ids) for ids, _ in rows], dtype=np.int64)
        indptr = np.concatenate(([0], np.cumsum(lengths)))
        data = 1.0 + np.log(counts)
        frequency = np.bincount(columns, minlength=len(terms))
        idf = np.log((1.0 + len(texts)) / (1.0 + frequency)) + 1.0
        data *= idf[columns]
        row_of = np.repeat(np.arange(len(texts)), lengths)
        norms = np.sqrt(np.bincount(row_of, weights=data**2, minlength=len(texts)))
        data /= norms[row_of]
        matrix = csr_matrix((data, columns, indptr), shape=(len(texts), len(terms)))
        matrix.has_sorted_indices = True
        vocabulary = dict(zip([self.terms[i] for i in terms.tolist()], range(len(terms)), strict=True))
        return matrix, vocabulary, idf

    def counted(self, text: str) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
        """The text's distinct feature ids, sorted, and how many times each occurs."""
        known = self.by_text.get(text)
        if known is None:
            ids, counts = np.unique(np.array(self.ids(text), dtype=np.int64), return_counts=True)
            known = self.by_text[text] = ids, counts.astype(np.float64)
        return known

    def ids(self, text: str) -> list[int]:
        return composed(text, self.word_ids, self.lookup)

    def word_ids(self, token: str) -> list[int]:
        known = self.by_word.get(token)
        if known is None:
            known = self.by_word[token] = self.lookup(word_features(token))
        return known

    def lookup(self, found: Iterable[str]) -> list[int]:
        ids = []
        for term in found:
            i = self.index.get(term)
            if i is None:
                i = self.index[term] = len(self.terms)
                self.terms.append(term)
            ids.append(i)
        return ids


@dataclass(frozen=True)
class Problem:
    """What a fit solves: the TF-IDF of its (prepared) texts, their labels, the solver's tolerance."""

    matrix: Any
    vocabulary: dict[str, int]
    idf: NDArray[np.float64]
    labels: list[str]
    tolerance: float


def problem(texts: list[str], labels: list[str], tolerance: float, corpus: Corpus | None = None) -> Problem:
    """The features of a fit (Python work; `corpus`: shared with the other fits of a training)."""
    matrix, vocabulary, idf = (corpus or Corpus()).tfidf(texts)
    return Problem(matrix, vocabulary, idf, labels, tolerance)


def solve(problem: Problem) -> IntentClassifier:
    """The solver's part of a fit: it leaves Python's lock, so that it can run beside Python work.
    Deterministic: same problem, same weights."""
    from sklearn.linear_model import LogisticRegression

    # saga converges in well under a second here (lbfgs takes over ten); a fixed seed keeps it deterministic
    model = LogisticRegression(
        C=REGULARISATION, solver="saga", tol=problem.tolerance, max_iter=1000, random_state=0
    )
    model.fit(problem.matrix, problem.labels)
    intents = tuple(str(c) for c in model.classes_)
    weights = model.coef_.T.astype(np.float64)
    bias = model.intercept_.astype(np.float64)
    if len(intents) == 2:  # binary: one column of scores for the positive class
        weights = np.hstack([-weights / 2, weights / 2])
        bias = np.array([-bias[0] / 2, bias[0] / 2])
    return IntentClassifier(intents, problem.vocabulary, problem.idf, weights, bias)


def train_classifier(
    texts: list[str],
    labels: list[str],
    tolerance: float = TOLERANCE,
    corpus: Corpus | None = None,
) -> IntentClassifier:
    """Fit on masked texts."""
    return solve(problem(texts, labels, tolerance, corpus))
