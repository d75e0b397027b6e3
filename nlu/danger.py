"""The danger model: for a message the phrase files did not flag, is it a danger, and of which kind?

A multinomial logistic regression (the intent classifier's features and training) over the kinds of
`data/safety/` plus `none`, trained on:
- the labelled sets of `data/safety/training/` (development sets: distress with its kind, harmless);
- every phrase family's examples (its kind) and counter-examples (`none`), the jokes of `harmless.yml`;
- the NLU examples the phrase files name a kind for (that kind), and every other non-crisis example
  (`none`).
Independent evaluation sets (`bench/safety/independent-*.yml`) are never read here."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nlu.answers import RETRIEVAL_INTENT
from nlu.classifier import DANGER_TOLERANCE, Corpus, Encoded, IntentClassifier, Problem, problem, solve
from nlu.datafile import read_yaml
from nlu.rasa_yaml import Example
from nlu.safety import Lexicon
from nlu.text import fold

# the knowledge base's example questions (nlu/answers.py: `faq/<id>`) are harmless texts for the danger
# model, at most this many per answer (the first of its file): each pass adds paraphrases, and ~140 more
# harmless questions lowered the danger probability of borderline messages of distress (safety bench recall
# -1 to -2 messages on four independent sets); all of them out of it cost the NLU's macro-F1 up to 0.013
ANSWER_PREFIX = f"{RETRIEVAL_INTENT}/"
ANSWER_EXAMPLES = 70

NONE = "none"
CRISIS_INTENT = "crisis"
TRAINING_FOLDER = "training"
# The kinds of the labelled sets (written for people) -> the kinds of data/safety/.
SET_KINDS = {
    "suicide": "suicide",
    "suicide_indirect": "hopelessness",
    "self_harm": "self_harm",
    "overdose": "medical",
    "abuse_home": "abuse_home",
    "partner_violence": "partner_violence",
    "sexual_violence": "sexual_violence",
    "forced_marriage": "forced_marriage",
    "cyberharassment": "harassment",
    "homeless_tonight": "homeless",
    "threat": "threat",
    "addiction": "addiction",
    "pregnancy": "pregnancy",
}


@dataclass(frozen=True)
class Danger:
    probability: float  # 1 - P(none)
    kind: str  # the most likely kind


@dataclass(frozen=True)
class DangerModel:
    classifier: IntentClassifier

    def assess(self, blanked: str | Encoded) -> Danger:
        """`blanked`: the folded text, entities masked and jokes blanked (what it was trained on), or its
        features encoded in the classifier's vocabulary."""
        probabilities = self.classifier.probabilities(blanked)
        labels = self.classifier.intents
        none = labels.index(NONE)
        order = np.argsort(-probabilities)
        kind = next(labels[i] for i in order if i != none)
        return Danger(float(1.0 - probabilities[none]), kind)


def labelled_sets(safety_dir: Path) -> list[tuple[str, str]]:
    """(text, kind or none) from the development sets of `safety_dir/training/`."""
    pairs: list[tuple[str, str]] = []
    for path in sorted((safety_dir / TRAINING_FOLDER).glob("*.yml")):
        raw = read_yaml(path) or {}
        for item in raw.get("distress") or ():
            # a friend in danger is labelled by the friend's kind (`about`, or `friend_kind` in later sets)
            kind = SET_KINDS.get(str(item.get("about") or item.get("friend_kind") or item.get("kind")))
            if kind:
                pairs.append((str(item["text"]), kind))
        pairs += [(str(item["text"]), NONE) for item in raw.get("harmless") or ()]
    return pairs


def training_pairs(safety_dir: Path, lexicon: Lexicon, examples: list[Example]) -> list[tuple[str, str]]:
    pairs = labelled_sets(safety_dir)
    for family in lexicon.families:
        pairs += [(text, family.kind) for text in family.examples]
        pairs += [(text, NONE) for text in family.counter_examples]
    for family in lexicon.harmless:
        pairs += [(text, NONE) for text in family.examples]
    per_answer: Counter[str] = Counter()
    for example in examples:  # what the phrases flag is that kind, whatever intent the example has
        if example.intent.startswith(ANSWER_PREFIX):
            per_answer[example.intent] += 1
            if per_answer[example.intent] > ANSWER_EXAMPLES:
                continue
        kinds = lexicon.alarms(fold(example.text))
        if kinds:
            pairs.append((example.text, kinds[0].kind))
        elif example.intent != CRISIS_INTENT:
            pairs.append((example.text, NONE))
    return pairs


def danger_problem(
    pairs: list[tuple[str, str]], prepare: Callable[[str], str], corpus: Corpus | None = None
) -> Problem:
    """`prepare` turns a raw text into what the model reads (entities masked, jokes blanked)."""
    texts = [prepare(text) for text, _ in pairs]
    return problem(texts, [label for _, label in pairs], DANGER_TOLERANCE, corpus)


def train_danger(
    pairs: list[tuple[str, str]], prepare: Callable[[str], str], corpus: Corpus | None = None
) -> DangerModel:
    return DangerModel(solve(danger_problem(pairs, prepare, corpus)))


def load_danger(path: Path) -> DangerModel:
    return DangerModel(IntentClassifier.load(path))


def training_files(safety_dir: Path) -> list[Path]:
    return [*sorted(safety_dir.glob("*.yml")), *sorted((safety_dir / TRAINING_FOLDER).glob("*.yml"))]
