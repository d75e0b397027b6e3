"""Answers benchmark: which answer of data/answers/ the bot gives to each question, or "adviser" when it
would hand the question over (intent not `faq`, or an answer below `nlu.answer_threshold`).

Prints, for each set, top-1 accuracy (the expected answer or "adviser") and the rate of wrong confident
answers (an answer given that is not the expected one). Targets on independent sets: top-1 >= 0.90, wrong
confident answers <= 2 %.

Sets: `own` is every example question of data/answers/ predicted by a model that did not see it (5-fold
cross-validation of the selector; the intent classifier is the shipped one: optimistic); the
`bench/answers/independent-*.yml` sets are written by people who never saw data/answers/. Never train on
them; after reading the scores, write a new batch.

Run: .venv/bin/python bench/answers_bench.py [--misses]"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.config import load_settings  # noqa: E402
from bot.understanding import embedded_parser  # noqa: E402
from nlu.answers import confident_answer  # noqa: E402
from nlu.parser import EmbeddedParser  # noqa: E402

ADVISER = "adviser"


def predict(parser: EmbeddedParser, text: str, threshold: float) -> str:
    parsed = parser.parse(text)
    if parsed["intent"]["name"] != "faq":
        return ADVISER
    return confident_answer(parsed.get("response_selector"), threshold) or ADVISER


def score(
    parser: EmbeddedParser, cases: list[tuple[str, str]], threshold: float, show: bool
) -> tuple[float, float]:
    right = wrong = 0
    for text, expected in cases:
        got = predict(parser, text, threshold)
        right += got == expected
        if got != ADVISER and got != expected:
            wrong += 1
        if show and got != expected:
            print(f"  {'WRONG' if got != ADVISER else 'missed'} {expected:>26} -> {got:<26} {text}")
    return right / len(cases), wrong / len(cases)


def main() -> None:
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument("--misses", action="store_true")
    options = arguments.parse_args()
    settings = load_settings()
    parser = embedded_parser(settings)
    threshold = settings.nlu.answer_threshold
    print(f"{'set':18} {'questions':>9} {'top-1':>7} {'wrong confident':>16}")
    for path in sorted((ROOT / "bench" / "answers").glob("independent-*.yml")):
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        cases = [(str(q["text"]), str(q["expected"])) for q in raw["questions"]]
        top1, wrong = score(parser, cases, threshold, options.misses)
        print(f"{path.stem:18} {len(cases):>9} {top1:>7.1%} {wrong:>16.1%}")


if __name__ == "__main__":
    main()
