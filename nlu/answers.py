"""Questions the knowledge base answers (`data/answers/*.yml`), as Rasa does it: the intent classifier learns
one retrieval intent, `faq`, from every answer's example questions, and a response selector picks which
answer (`faq/<id>`). A low confidence is no answer: the dialogue offers an adviser instead."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nlu.classifier import LOOSE_TOLERANCE, Corpus, Encoded, IntentClassifier, Problem, problem, solve
from nlu.datafile import read_yaml
from nlu.rasa_yaml import Example

RETRIEVAL_INTENT = "faq"
RANKING_SIZE = 5
QUESTION = re.compile(
    r"\?|^(?:is|are|do|does|did|can|could|will|would|should|has|have) |"  # "is the epide like the army"
    r"\b(?:c est quoi|cest quoi|c quoi|c koi|quoi|koi|comment|combien|pourquoi|quand|ou|qui|est ce|"
    r"je peux|jpeux|on peut|faut il|il faut|faut|ca marche|c gratuit|c pour qui|c est|cest|existe|pk|pq|"
    r"pourkoi|cb|c cb|puis je|peut on|dois je|y a t il|ya t il|c vrai|what|how|why|where|when|who|which|"
    r"can i|can you|do i|does|is it|is there|are there|should i|quel|quels|quelle|quelles|lequel|laquelle|"
    r"suis je|est il|est elle|sont ils|a t il|peut il|peut elle|peux tu|pouvez vous|c long|do you|are you|"
    r"could i|what s|whats|"
    # facts asked without a question word: "check up gratos c possible", "epide age max", "permis conditions"
    r"c possible|possible|conditions|age max|age maximum|age min|age minimum|age limite|"
    # asked as a statement: "ca coute qqch vos services", "test vih sans ordo ca se fait", "il peut appeler le
    # 115", "ya un truc pour les lunettes", "c sur rdv"
    r"ca coute|ca se fait|il peut|elle peut|ils peuvent|elles peuvent|"
    r"(?:il )?y a (?:pas )?(?:un|une)|ya (?:pas )?(?:un|une)|c sur rdv|c sur rendez vous|"
    # Darija in Latin letters: "wach lazem rdv", "kifach ndir ma carte", "chno howa", "3lach", "imta"
    r"wach|wech|kifach|kifash|kifech|chno|chnou|achno|achnou|3lach|3lech|imta|fokach)\b"
)


def is_question(folded: str) -> bool:
    """A question ("c quoi le cej", "faut ramener quoi") rather than a request ("jcherche une formation")."""
    return QUESTION.search(folded) is not None


def answer_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("*.yml"))


def faq_examples(folder: Path) -> list[Example]:
    """Every example question of every answer, as `faq/<id>` (Rasa's retrieval intent naming)."""
    examples: list[Example] = []
    for path in answer_files(folder):
        raw = read_yaml(path) or {}
        key = f"{RETRIEVAL_INTENT}/{raw.get('id') or path.stem}"
        questions = [str(q) for q in raw.get("questions") or ()]
        examples += [Example(text=question, intent=key) for question in questions]
    return examples


def answer_concerns(folder: Path, routing: Path | None = None) -> dict[str, frozenset[str]]:
    """Answer id -> the concerns its follow-up buttons offer (data/answers/*.yml `follow_up`): a concern's
    services, or a narrower need's (`need: sexual_health` offers health services: its concern in
    `specific_needs` of the routing file, by default `routing.yml` beside the answers folder)."""
    routing = routing or folder.parent / "routing.yml"
    needs = (read_yaml(routing) or {}).get("specific_needs") or {} if routing.exists() else {}
    concerns = {}
    for path in answer_files(folder):
        raw = read_yaml(path) or {}
        follow_up = raw.get("follow_up") or ()
        offered = {str(f["concern"]) for f in follow_up if "concern" in f}
        offered |= {str(needs[f["need"]]["concern"]) for f in follow_up if f.get("need") in needs}
        concerns[str(raw.get("id") or path.stem)] = frozenset(offered)
    return concerns


@dataclass(frozen=True)
class ResponseSelector:
    classifier: IntentClassifier  # over `faq/<id>` keys

    def select(self, readable: str | Encoded) -> dict[str, Any]:
        """Rasa's `response_selector` block for a text prepared like the intent classifier's input (or
        its features encoded in the classifier's vocabulary)."""
        probabilities = self.classifier.probabilities(readable)
        ranked = sorted(
            zip(self.classifier.intents, map(float, probabilities), strict=True), key=lambda s: -s[1]
        )[:RANKING_SIZE]
        best, confidence = ranked[0]
        return {
            "all_retrieval_intents": [RETRIEVAL_INTENT],
            RETRIEVAL_INTENT: {
                "response": {
                    "intent_response_key": best,
                    "confidence": round(confidence, 6),
                    "utter_action": f"utter_{best}",
                },
                "ranking": [{"intent_response_key": k, "confidence": round(c, 6)} for k, c in ranked],
            },
        }


def selector_problem(
    examples: list[Example], prepare: Callable[[str], str], corpus: Corpus | None = None
) -> Problem:
    texts = [prepare(e.text) for e in examples]
    return problem(texts, [e.intent for e in examples], LOOSE_TOLERANCE, corpus)


def train_selector(
    examples: list[Example], prepare: Callable[[str], str], corpus: Corpus | None = None
) -> ResponseSelector:
    return ResponseSelector(solve(selector_problem(examples, prepare, corpus)))


def load_selector(path: Path) -> ResponseSelector:
    return ResponseSelector(IntentClassifier.load(path))


def selected(response_selector: dict[str, Any] | None) -> tuple[str, float] | None:
    """(answer id, confidence) from a parse's `response_selector`, if it selected an answer."""
    block = (response_selector or {}).get(RETRIEVAL_INTENT) or {}
    response = block.get("response") or {}
    key = str(response.get("intent_response_key") or "")
    if not key.startswith(f"{RETRIEVAL_INTENT}/"):
        return None
    return key.split("/", 1)[1], float(response.get("confidence") or 0.0)


def ranked(response_selector: dict[str, Any] | None) -> list[str]:
    """The answer ids of a parse's `response_selector` ranking, surest first."""
    block = (response_selector or {}).get(RETRIEVAL_INTENT) or {}
    keys = [str(r.get("intent_response_key") or "") for r in block.get("ranking") or ()]
    return [key.split("/", 1)[1] for key in keys if key.startswith(f"{RETRIEVAL_INTENT}/")]


def confident_answer(response_selector: dict[str, Any] | None, threshold: float) -> str | None:
    """The answer id to give, or None: below `threshold` the question goes to an adviser instead."""
    choice = selected(response_selector)
    return choice[0] if choice and choice[1] >= threshold else None
