"""How well the NLU does on a labelled set: accuracy, macro-F1, per-intent precision/recall/F1, entity
precision/recall, crisis recall, and the examples it got wrong; also K-fold cross-validation."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from nlu.answers import RETRIEVAL_INTENT, selected, train_selector
from nlu.model import NluData, NluModel, fit, fit_danger, preparer
from nlu.parser import CRISIS, EmbeddedParser, Parser, Thresholds
from nlu.rasa_yaml import Example

ENTITY_TYPES = ("commune", "quartier", "age", "elsewhere")


@dataclass
class IntentScore:
    precision: float
    recall: float
    f1: float
    support: int


@dataclass
class Report:
    examples: int
    accuracy: float
    macro_f1: float
    crisis_recall: float | None
    entity_precision: float | None
    entity_recall: float | None
    intents: dict[str, IntentScore]
    misclassified: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def lines(self) -> list[str]:
        def pct(value: float | None) -> str:
            return "n/a" if value is None else f"{value:.3f}"

        out = [
            f"examples: {self.examples}",
            f"accuracy: {pct(self.accuracy)}",
            f"macro-F1: {pct(self.macro_f1)}",
            f"crisis recall: {pct(self.crisis_recall)}",
            f"entities: precision {pct(self.entity_precision)}, recall {pct(self.entity_recall)}",
            "",
            f"{'intent':<18}{'precision':>10}{'recall':>10}{'F1':>10}{'support':>9}",
        ]
        for name, score in sorted(self.intents.items()):
            out.append(
                f"{name:<18}{score.precision:>10.3f}{score.recall:>10.3f}{score.f1:>10.3f}{score.support:>9}"
            )
        if self.misclassified:
            out += ["", f"misclassified ({len(self.misclassified)}):"]
            out += [
                f"  {m['expected']} -> {m['predicted']} ({m['confidence']:.2f}): {m['text']}"
                for m in self.misclassified
            ]
        return out


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else 0.0


def score(gold: list[Example], predictions: list[dict[str, Any]]) -> Report:
    expected = [example.intent for example in gold]
    predicted = [p["intent"]["name"] for p in predictions]
    labels = sorted(set(expected))
    intents: dict[str, IntentScore] = {}
    for label in labels:
        true_positive = sum(e == p == label for e, p in zip(expected, predicted, strict=True))
        precision = _ratio(true_positive, predicted.count(label))
        recall = _ratio(true_positive, expected.count(label))
        f1 = _ratio(2 * precision * recall, precision + recall)
        intents[label] = IntentScore(
            round(precision, 4), round(recall, 4), round(f1, 4), expected.count(label)
        )
    gold_entities: Counter[tuple[int, str, str]] = Counter()
    found_entities: Counter[tuple[int, str, str]] = Counter()
    for index, (example, prediction) in enumerate(zip(gold, predictions, strict=True)):
        gold_entities.update(
            (index, e.entity, str(e.value)) for e in example.entities if e.entity in ENTITY_TYPES
        )
        found_entities.update(
            (index, e["entity"], str(e["value"]))
            for e in prediction["entities"]
            if e["entity"] in ENTITY_TYPES and not _implied(e, prediction["entities"])
        )
    matched = sum((gold_entities & found_entities).values())
    misclassified = [
        {
            "text": ex.text,
            "expected": ex.intent,
            "predicted": p["intent"]["name"],
            "confidence": p["intent"]["confidence"],
        }
        for ex, p in zip(gold, predictions, strict=True)
        if ex.intent != p["intent"]["name"]
    ]
    return Report(
        examples=len(gold),
        accuracy=round(_ratio(sum(e == p for e, p in zip(expected, predicted, strict=True)), len(gold)), 4),
        macro_f1=round(_ratio(sum(s.f1 for s in intents.values()), len(intents)), 4),
        crisis_recall=intents[CRISIS].recall if CRISIS in intents else None,
        entity_precision=round(_ratio(matched, sum(found_entities.values())), 4) if found_entities else None,
        entity_recall=round(_ratio(matched, sum(gold_entities.values())), 4) if gold_entities else None,
        intents=intents,
        misclassified=misclassified,
    )


def _implied(entity: dict[str, Any], entities: list[dict[str, Any]]) -> bool:
    """A commune implied by a neighbourhood (same span) is not scored: the data annotate the quartier."""
    return entity["entity"] == "commune" and any(
        other["entity"] == "quartier" and other["start"] == entity["start"] for other in entities
    )


def evaluate(
    parser: Parser, examples: list[Example], answer_concerns: Mapping[str, frozenset[str]] | None = None
) -> Report:
    """Scores of `parser` on `examples`. With `answer_concerns` (nlu.answers.answer_concerns), a question
    answered from the knowledge base counts as its concern when that answer offers the concern's services
    ("c quoi le pass sport ?" labelled sport: the Pass'Sport answer, with "Sport près de chez moi")."""
    predictions = [parser.parse(example.text) for example in examples]
    if answer_concerns is not None:
        predictions = [
            as_concern(p, e.intent, answer_concerns) for e, p in zip(examples, predictions, strict=True)
        ]
    return score(examples, predictions)


def as_concern(
    prediction: dict[str, Any], label: str, answer_concerns: Mapping[str, frozenset[str]]
) -> dict[str, Any]:
    """`prediction` with the intent `label` if it is a `faq` whose selected answer offers that concern."""
    choice = selected(prediction.get("response_selector"))
    if prediction["intent"]["name"] != RETRIEVAL_INTENT or choice is None:
        return prediction
    if label not in answer_concerns.get(choice[0], frozenset()):
        return prediction
    return {**prediction, "intent": {**prediction["intent"], "name": label}}


def cross_validate(source: NluData, folds: int, thresholds: Thresholds = Thresholds()) -> Report:
    """Stratified K-fold over the training data: each example is predicted by a model that never saw it."""
    from sklearn.model_selection import StratifiedKFold

    data = source.training_data()
    gazetteer = source.gazetteer(data)
    examples = data.examples
    predictions: list[dict[str, Any] | None] = [None] * len(examples)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=0)
    lexicon = source.lexicon()
    for train_index, test_index in splitter.split(examples, [e.intent for e in examples]):
        seen = [examples[i] for i in train_index]
        danger = fit_danger(source, seen, gazetteer, lexicon)
        selector = train_selector(source.faq(), preparer(gazetteer, lexicon))
        model = NluModel(fit(seen, gazetteer, lexicon), gazetteer, lexicon, danger, selector)
        parser = EmbeddedParser(model, thresholds)
        for i in test_index:
            predictions[i] = parser.parse(examples[i].text)
    return score(examples, [p for p in predictions if p is not None])
