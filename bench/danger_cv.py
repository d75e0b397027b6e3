"""The danger model out of sample, on the development sets: each set of data/safety/training/dev-*.yml is left
out in turn, the danger model is trained without it and reads its messages. Prints, for each threshold of
the model's probability, the recall of the distress messages and the false alarms on the harmless ones, for
the model alone and for the phrases or the model (what the parser does); and how many distress messages a
floor under which the model would overrule a phrase would lose (it may not: see the README's Safety).

    .venv/bin/python bench/danger_cv.py [--regularisation C]

Independent sets (bench/safety/independent-*.yml) are never read here."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import nlu.classifier  # noqa: E402
from bot.config import load_settings  # noqa: E402
from bot.understanding import nlu_data  # noqa: E402
from nlu.danger import NONE, labelled_sets, train_danger, training_pairs  # noqa: E402
from nlu.datafile import read_yaml  # noqa: E402
from nlu.model import preparer  # noqa: E402
from nlu.text import fold  # noqa: E402

THRESHOLDS = (0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6)
FLOORS = (0.01, 0.03, 0.05, 0.1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--regularisation", type=float, default=nlu.classifier.REGULARISATION)
    options = parser.parse_args()
    nlu.classifier.REGULARISATION = options.regularisation  # read by `solve` when it fits
    source = nlu_data(load_settings())
    data = source.training_data()
    gazetteer = source.gazetteer(data)
    lexicon = source.lexicon()
    prepare = preparer(gazetteer, lexicon)
    pairs = training_pairs(source.safety_path, lexicon, [*data.examples, *source.faq()])
    labelled = dict(labelled_sets(source.safety_path))
    held: list[tuple[bool, bool, float]] = []  # distress?, a phrase fires?, the model's probability
    for path in sorted((source.safety_path / "training").glob("dev-*.yml")):
        raw = read_yaml(path) or {}
        texts = {str(i["text"]) for key in ("distress", "harmless") for i in raw.get(key) or ()}
        model = train_danger([p for p in pairs if p[0] not in texts], prepare)
        for text in texts & labelled.keys():
            phrase = bool(lexicon.alarms(fold(text)))
            held.append((labelled[text] != NONE, phrase, model.assess(prepare(text)).probability))
    distress = [h for h in held if h[0]]
    harmless = [h for h in held if not h[0]]
    print(f"C={options.regularisation}: {len(distress)} distress, {len(harmless)} harmless, sets left out")
    print("threshold   model alone: recall  false alarms   phrases or model: recall  false alarms")
    for threshold in THRESHOLDS:
        alone = [_share([h[2] >= threshold for h in group]) for group in (distress, harmless)]
        both = [_share([h[1] or h[2] >= threshold for h in group]) for group in (distress, harmless)]
        print(f"{threshold:9.2f}   {alone[0]:18.1%}  {alone[1]:12.1%}   {both[0]:23.1%}  {both[1]:12.1%}")
    for floor in FLOORS:
        lost = sum(1 for h in distress if h[1] and h[2] < floor)
        spared = sum(1 for h in harmless if h[1] and h[2] < floor)
        print(f"a phrase overruled under {floor}: {lost} distress messages lost, {spared} harmless spared")


def _share(raised: list[bool]) -> float:
    return sum(raised) / max(len(raised), 1)


if __name__ == "__main__":
    main()
