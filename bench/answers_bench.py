"""Answers benchmark: which answer of data/answers/ the bot gives to each question sent as the first message
of a conversation (the real parser and dialogue), or "adviser" when it gives none (it routes the message to
a concern, asks something, or offers an adviser because the answer is below `nlu.answer_threshold`).

Prints, for each set, top-1 accuracy (the expected answer or "adviser") and the rate of wrong confident
answers (an answer given that is not the expected one). Targets on independent sets: top-1 >= 0.90, wrong
confident answers <= 2 %.

The `bench/answers/independent-*.yml` sets are written by people who never saw data/answers/. Never train
on them; after reading the scores, write a new batch.

Run: .venv/bin/python bench/answers_bench.py [--misses]"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.config import load_settings  # noqa: E402
from bot.dialogue import Dialogue, turn_from_parse  # noqa: E402
from bot.resources import Resources  # noqa: E402
from bot.state import State  # noqa: E402
from bot.understanding import embedded_parser  # noqa: E402
from nlu.parser import EmbeddedParser  # noqa: E402

ADVISER = "adviser"
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


def predict(parser: EmbeddedParser, dialogue: Dialogue, text: str) -> str:
    state = State()
    dialogue.respond(state, turn_from_parse(parser.parse(text)), NOW)
    return str(state.extra.get("last_answer") or ADVISER)


def score(
    parser: EmbeddedParser, dialogue: Dialogue, cases: list[tuple[str, str]], show: bool
) -> tuple[float, float]:
    right = wrong = 0
    for text, expected in cases:
        got = predict(parser, dialogue, text)
        right += got == expected
        if got not in (ADVISER, expected):
            wrong += 1
        if show and got != expected:
            print(f"  {'WRONG' if got != ADVISER else 'missed'} {expected:>26} -> {got:<26} {text}")
    return right / len(cases), wrong / len(cases)


def main() -> None:
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument("--misses", action="store_true", help="print every miss")
    arguments.add_argument("--set", type=Path, action="append", default=[], help="also score this file")
    options = arguments.parse_args()
    settings = load_settings()
    parser = embedded_parser(settings)
    dialogue = Dialogue(Resources.load(settings), lambda: ())
    print(f"{'set':18} {'questions':>9} {'top-1':>7} {'wrong confident':>16}")
    for path in [*sorted((ROOT / "bench" / "answers").glob("independent-*.yml")), *options.set]:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        cases = [(str(q["text"]), str(q["expected"])) for q in raw["questions"]]
        top1, wrong = score(parser, dialogue, cases, options.misses)
        print(f"{path.stem:18} {len(cases):>9} {top1:>7.1%} {wrong:>16.1%}")


if __name__ == "__main__":
    main()
