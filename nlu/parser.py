"""Parse a message into Rasa's `/model/parse` shape: intent, entities, ranking. Low confidence gives
`nlu_fallback`; the safety layer makes any message with a danger phrase `crisis`, with one `crisis_kind`
entity per kind of danger (and `crisis_about: other` when it seems to be about a friend). A crisis the
classifier alone sees has no `crisis_kind`: the dialogue then asks rather than assumes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Protocol

from nlu.answers import RETRIEVAL_INTENT, is_question
from nlu.model import NluModel
from nlu.safety import Lexicon
from nlu.text import fold, fold_with_offsets, words

FALLBACK = "nlu_fallback"
CRISIS = "crisis"
RANKING_SIZE = 10
MAX_ANALYSED = 2000  # characters read by the classifier and the entity extractor; safety reads everything
SAFETY_EXTRACTOR = "SixtcapSafetyLayer"
SEGMENT_EXTRACTOR = "SixtcapConcernSegments"
# Intents that are not a concern of the youth's (the others are: job, housing, ...)
CONVERSATION = frozenset(
    {"greet", "goodbye", "thanks", "affirm", "deny", "help", "ask_human", "village", "forget_me",
     "out_of_scope", "faq", "crisis", FALLBACK}
)  # fmt: skip
SEGMENT_BREAK = re.compile(
    r"[.,!?;\n]+|\b(?:et aussi|aussi|et puis|et meme|en plus|et apres|sinon|ensuite|et|also|and)\b",
    re.IGNORECASE,
)
MIN_SEGMENT_CONFIDENCE = 0.5
MIN_SEVERAL = 25  # characters: shorter messages are not split into concerns
DANGER_EXTRACTOR = "SixtcapDangerModel"


@dataclass(frozen=True)
class Thresholds:
    fallback: float = 0.3  # below: nlu_fallback
    crisis: float = 0.35  # danger probability at or above: crisis, even if another intent ranks first
    # a question whose answer the knowledge base picks this surely is `faq`, whatever the intent
    question: float = 0.7


class Parser(Protocol):
    def parse(self, text: str) -> dict[str, Any]: ...


def _ranking(scores: list[tuple[str, float]]) -> list[dict[str, Any]]:
    return [{"name": name, "confidence": round(score, 6)} for name, score in scores[:RANKING_SIZE]]


def apply_safety(result: dict[str, Any], text: str, lexicon: Lexicon) -> dict[str, Any]:
    """Make `result` a crisis if the text has a danger phrase; add a `crisis_kind` entity per kind."""
    folded, offsets = fold_with_offsets(text)
    found = lexicon.alarms(folded)
    if not found:
        return result
    normalized_offsets = _normalized_offsets(folded, offsets)
    kinds = [
        {
            "entity": "crisis_kind",
            "value": alarm.kind,
            "start": normalized_offsets[alarm.start],
            "end": normalized_offsets[alarm.end - 1] + 1,
            "extractor": SAFETY_EXTRACTOR,
        }
        for alarm in found
    ]
    kinds += about_someone_else(lexicon, folded, SAFETY_EXTRACTOR, [alarm.kind for alarm in found])
    # the phrases name the kinds: the danger model's guess gives way
    kept = [e for e in result.get("entities", []) if e.get("extractor") != DANGER_EXTRACTOR]
    return as_crisis({**result, "entities": kept}, 1.0, kinds)


MODEL_MIN_WORDS = 2  # one word ("dehors", an answer to "where are you?"): only the phrases may raise a danger


def enough_words(folded: str) -> bool:
    """Whether the danger model may decide alone: not on a single word, which the phrases judge
    ("suicide", "adieu", "sextorsion" are theirs)."""
    return len(words(folded)) >= MODEL_MIN_WORDS


def about_someone_else(
    lexicon: Lexicon, folded: str, extractor: str, kinds: list[str] | None = None
) -> list[dict[str, Any]]:
    """`crisis_about: other` when the message is about a friend ("ma pote a dit adieu a tout le monde")."""
    if lexicon.about_someone_else(folded, kinds or ()):
        return [{"entity": "crisis_about", "value": "other", "extractor": extractor}]
    return []


def as_crisis(result: dict[str, Any], confidence: float, kinds: list[dict[str, Any]]) -> dict[str, Any]:
    """`result` as a crisis with `confidence`, first in the ranking, with `kinds` added to its entities."""
    others = [r for r in result.get("intent_ranking", []) if r["name"] != CRISIS]
    score = round(confidence, 6)
    return {
        **result,
        "intent": {"name": CRISIS, "confidence": score},
        "entities": [*result.get("entities", []), *kinds],
        "intent_ranking": [{"name": CRISIS, "confidence": score}, *others][:RANKING_SIZE],
    }


def _normalized_offsets(folded: str, offsets: list[int]) -> list[int]:
    """Offsets of the space-collapsed folded text (what `alarms` reads) back into the original text."""
    kept: list[int] = []
    previous_space = True
    for char, origin in zip(folded, offsets, strict=True):
        if char == " ":
            if previous_space:
                continue
            previous_space = True
        else:
            previous_space = False
        kept.append(origin)
    return kept or [0]


WHERE = re.compile(
    r"\b(?:ya|y a|il y a|yen a|y en a|ou|c ou|pres de|vers|autour de|dans le coin|near|where|is there|"
    r"are there|any)\b"
)


def asks_for_a_place(folded: str, entities: list[dict[str, Any]]) -> bool:
    """ "ya un centre de santé à Champigny ?": where to go in a town, which the services answer best."""
    named = any(e["entity"] in ("commune", "quartier") for e in entities)
    return named and WHERE.search(folded) is not None


class EmbeddedParser:
    """The default backend: the embedded model, in process."""

    def __init__(self, model: NluModel, thresholds: Thresholds = Thresholds()) -> None:
        self.model = model
        self.thresholds = thresholds

    def parse(self, text: str) -> dict[str, Any]:
        text = text if isinstance(text, str) else ""
        analysed = text[:MAX_ANALYSED]
        entities = self.model.entities(analysed) if fold(analysed) else []
        result = self._classify(text, analysed, entities)
        concerns = self.concerns(analysed, result["intent"]["name"], entities)
        result["entities"] = [*result["entities"], *concerns]
        result = apply_safety(result, text, self.model.lexicon)
        crisis = result["intent"]["name"] == CRISIS
        if crisis and "response_selector" not in result and is_question(fold(analysed)):
            # "c quoi la pilule du lendemain, faut la prendre quand ?": the lines first, then maybe the answer
            result["response_selector"] = self.model.selector.select(self.readable(analysed, entities))
        return result

    def concerns(self, analysed: str, main: str, entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Every concern of a message that has several ("jveux une formation. et aussi le permis"), one
        `concern` entity per part, in the order they are said; none for a message with one concern.
        `entities`: the message's, each part reading those inside it."""
        found: list[dict[str, Any]] = []
        breaks = list(SEGMENT_BREAK.finditer(analysed))
        if not breaks or len(analysed) < MIN_SEVERAL:  # one short sentence says one thing
            return found
        start = 0
        for piece in [*breaks, None]:
            end = piece.start() if piece else len(analysed)
            segment = analysed[start:end]
            places = [
                {**e, "start": e["start"] - start, "end": e["end"] - start}
                for e in entities
                if start <= e["start"] and e["end"] <= end
            ]
            words = fold(segment).split()
            if len(fold(segment)) >= 6 and not (places and len(words) <= 3):  # not "jsuis de champi"
                scores = self.model.classifier.probabilities(self.readable(segment, places))
                name, confidence = max(
                    zip(self.model.classifier.intents, scores, strict=True), key=lambda s: s[1]
                )
                if (
                    name not in CONVERSATION
                    and confidence >= MIN_SEGMENT_CONFIDENCE
                    and all(f["value"] != name for f in found)
                ):
                    found.append(
                        {
                            "entity": "concern",
                            "value": name,
                            "start": start,
                            "end": end,
                            "extractor": SEGMENT_EXTRACTOR,
                        }
                    )
            start = piece.end() if piece else end
        return found if len(found) > 1 or (found and found[0]["value"] != main) else []

    def guard(self, result: dict[str, Any], text: str) -> dict[str, Any]:
        """Another backend's parse (a Rasa server's), with the danger model and the phrases applied."""
        analysed = text[:MAX_ANALYSED]
        if fold(analysed) and result.get("intent", {}).get("name") != CRISIS:
            danger = self.model.danger.assess(self.readable(analysed, self.model.entities(analysed)))
            if danger.probability >= self.thresholds.crisis and enough_words(fold(analysed)):
                result = as_crisis(result, danger.probability, self.model_kinds(danger.kind, fold(analysed)))
        return apply_safety(result, text, self.model.lexicon)

    def model_kinds(self, kind: str, folded: str) -> list[dict[str, Any]]:
        """The danger model's kind, and whether the message is about someone else."""
        guess = {"entity": "crisis_kind", "value": kind, "extractor": DANGER_EXTRACTOR}
        return [guess, *about_someone_else(self.model.lexicon, folded, DANGER_EXTRACTOR, [kind])]

    def readable(self, analysed: str, entities: list[dict[str, Any]]) -> str:
        """What the classifiers read: entities masked, folded, jokes and hyperboles blanked."""
        return self.model.lexicon.blank_harmless(fold(self.model.masked(analysed, entities)))

    def _classify(self, text: str, analysed: str, entities: list[dict[str, Any]]) -> dict[str, Any]:
        base: dict[str, Any] = {"text": text, "entities": entities}
        folded = fold(analysed)
        if not folded:
            return {**base, "intent": {"name": FALLBACK, "confidence": 0.0}, "intent_ranking": []}
        classifier = self.model.classifier
        plain = fold(self.model.masked(analysed, entities))
        masked = self.model.lexicon.blank_harmless(plain)  # what `readable` gives, the fold done once
        found = classifier.encode(masked)  # once for the three classifiers, which share the vocabulary
        # the knowledge base reads the topic a harmless frame blanked ("la pilule du lendemain c gratuit ?
        # c'est juste pour savoir": no danger, and still the emergency pill's answer)
        asked = found if masked == plain else classifier.encode(plain)
        probabilities = classifier.probabilities(found)  # "mort de rire" says nothing of danger
        scores = sorted(zip(classifier.intents, map(float, probabilities), strict=True), key=lambda s: -s[1])
        danger = self.model.danger.assess(found)  # the danger model, not the intent's crisis, decides
        if danger.probability >= self.thresholds.crisis and enough_words(folded):
            name, confidence = CRISIS, danger.probability
            base["entities"] = [*entities, *self.model_kinds(danger.kind, folded)]
        else:
            name, confidence = next(s for s in scores if s[0] != CRISIS)
        question = is_question(folded)
        if name == RETRIEVAL_INTENT and not question:
            # a request, not a question ("jcherche une formation"): the best other intent, its confidence
            # given that it is not a question
            name, score = next(s for s in scores if s[0] not in (CRISIS, RETRIEVAL_INTENT))
            confidence = score / max(1.0 - confidence, 1e-9)
        if name not in (CRISIS, RETRIEVAL_INTENT) and question and not asks_for_a_place(folded, entities):
            # "c quoi le pass sport ?": a question on a topic of the knowledge base, not a request for sport
            selection = self.model.selector.select(asked)
            surest = float(selection[RETRIEVAL_INTENT]["response"]["confidence"])
            if surest >= self.thresholds.question:
                name, confidence = RETRIEVAL_INTENT, surest
                base["response_selector"] = selection
        if name == RETRIEVAL_INTENT and question and asks_for_a_place(folded, entities):
            # "tu sais ou jpeux faire une demande de permis aidé ? jsuis de villiers": where to go in a town;
            # unless the knowledge base surely answers it, the places of the concern
            base["response_selector"] = self.model.selector.select(asked)
            surest = float(base["response_selector"][RETRIEVAL_INTENT]["response"]["confidence"])
            if surest < self.thresholds.question:
                name, score = next(s for s in scores if s[0] not in (CRISIS, RETRIEVAL_INTENT))
                confidence = score / max(1.0 - confidence, 1e-9)
                del base["response_selector"]
        if name == RETRIEVAL_INTENT and "response_selector" not in base:  # which answer, as Rasa says it
            base["response_selector"] = self.model.selector.select(asked)
            surest = float(base["response_selector"][RETRIEVAL_INTENT]["response"]["confidence"])
            if surest >= self.thresholds.question:  # a long question the classifier doubts, the selector not
                confidence = max(confidence, surest)
        if name != CRISIS and confidence < self.thresholds.fallback:
            threshold = self.thresholds.fallback
            return {
                **base,
                "intent": {"name": FALLBACK, "confidence": threshold},
                "intent_ranking": _ranking([(FALLBACK, threshold), *scores]),
            }
        return {
            **base,
            "intent": {"name": name, "confidence": round(confidence, 6)},
            "intent_ranking": _ranking(scores),  # by confidence, as Rasa gives it
        }
