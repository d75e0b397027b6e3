"""The NLU's fast paths give what the slow ones gave: the RE2 screens in front of the safety phrases, the
vocabulary shared by the three classifiers, and the TF-IDF built without scikit-learn's vectorizer."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from nlu.classifier import Corpus, IntentClassifier, shared, train_classifier
from nlu.datafile import read_yaml
from nlu.features import features
from nlu.model import NluModel
from nlu.safety import Lexicon, Screen, load_lexicon, loosened
from nlu.text import fold
from tests.conftest import DATA


@pytest.fixture(scope="module")
def lexicon() -> Lexicon:
    return load_lexicon(DATA / "safety")


def test_a_loosened_pattern_matches_wherever_the_pattern_does() -> None:
    pattern = r"\bme (?:tuer|pendre)\b(?! de rire)(?<!pas )"
    assert loosened(pattern) == "me (?:tuer|pendre)"
    assert loosened(r"a\.b\s+c") == r"a\.b\s+c"  # other escapes stay


def test_every_phrase_file_fits_in_its_screen(lexicon: Lexicon) -> None:
    """A pattern RE2 cannot read would send every message through the ~250 Python patterns again."""
    assert {name: screen.filter is not None for name, screen in lexicon.screens.items()} == {
        "danger": True,
        "harmless": True,
        "friend": True,
    }


def test_the_screens_change_nothing_the_phrases_find(lexicon: Lexicon) -> None:
    texts = [
        text
        for family in (*lexicon.families, *lexicon.harmless, *lexicon.friend)
        for text in (*family.examples, *family.counter_examples)
    ]
    for path in sorted((DATA / "safety" / "training").glob("*.yml")):
        raw = read_yaml(path) or {}
        texts += [str(item["text"]) for key in ("distress", "harmless") for item in raw.get(key) or ()]
    texts += ["wesh jcherche du taf a champi", "je suis mort de rire 😂 mais jveux vraiment mourir", ""]
    unscreened = dataclasses.replace(lexicon)  # its own screens, built again
    for screen in unscreened.screens.values():
        screen.filter = None  # every text goes to the patterns
    assert all(screen.filter is not None for screen in lexicon.screens.values())
    assert len(texts) > 2000
    for text in map(fold, texts):
        assert lexicon.alarms(text) == unscreened.alarms(text), text
        assert lexicon.blank_harmless(text) == unscreened.blank_harmless(text), text
        assert lexicon.about_someone_else(text) == unscreened.about_someone_else(text), text


def test_a_screen_without_patterns_passes_nothing() -> None:
    assert not Screen([]).passes("je veux mourir")


def test_the_tfidf_is_scikit_learns() -> None:
    texts = ["wesh jcherche du taf a champi", "", "je cherche je cherche un taf", "xxcommunexx ok", "mdr", ""]
    matrix, vocabulary, idf = Corpus().tfidf(texts)
    reference = TfidfVectorizer(analyzer=features, sublinear_tf=True, lowercase=False)
    expected = reference.fit_transform(texts)
    assert set(vocabulary) == set(reference.vocabulary_)
    for term, column in vocabulary.items():
        theirs = reference.vocabulary_[term]
        assert idf[column] == pytest.approx(reference.idf_[theirs])
        assert np.allclose(matrix[:, column].toarray(), expected[:, theirs].toarray())


def test_a_shared_corpus_gives_each_model_only_its_own_terms() -> None:
    corpus = Corpus()
    corpus.tfidf(["jcherche un taf", "le permis"])
    _, vocabulary, _ = corpus.tfidf(["le permis"])
    assert "w:permis" in vocabulary and "w:taf" not in vocabulary


def test_classifiers_sharing_a_vocabulary_score_as_they_did_alone(nlu_model: NluModel) -> None:
    texts = ["wesh t'as du boulot", "jsuis a la rue ce soir", "c quoi le cej", "ok merci", "zzz"]
    alone = train_classifier(["jveux du taf", "jveux un toit", "merci"], ["job", "housing", "thanks"])
    other = train_classifier(["le permis b", "un medecin"], ["driving_licence", "health"])
    first, _ = shared(alone, other)
    assert len(first.vocabulary) > len(alone.vocabulary)
    for text in texts:
        assert np.allclose(first.probabilities(fold(text)), alone.probabilities(fold(text)))
    # the model's three classifiers read one encoding of a message
    model = nlu_model
    assert (
        model.classifier.vocabulary
        is model.danger.classifier.vocabulary
        is model.selector.classifier.vocabulary
    )


def test_a_shared_classifier_is_saved_with_its_own_terms_only(tmp_path: Path) -> None:
    alone = train_classifier(["jveux du taf", "jveux un toit"], ["job", "housing"])
    other = train_classifier(["le permis b", "un medecin"], ["driving_licence", "health"])
    first, _ = shared(alone, other)
    first.save(tmp_path / "model.npz")
    loaded = IntentClassifier.load(tmp_path / "model.npz")
    assert set(loaded.vocabulary) == set(alone.vocabulary)
    assert np.allclose(loaded.probabilities("jveux du taf"), alone.probabilities("jveux du taf"))
