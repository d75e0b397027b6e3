"""How low may the danger model's probability be before a danger phrase is not believed? Chosen here, by
leaving each development set of data/safety/training/ out in turn: the danger model is trained without it,
then reads that set's messages in which a danger phrase fires. For each candidate floor it prints how many
distress messages would lose their alarm (they must not) and how many harmless ones would be spared.

    .venv/bin/python bench/phrase_veto_cv.py

Independent sets (bench/safety/independent-*.yml) are never read here."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.config import load_settings  # noqa: E402
from bot.understanding import nlu_data  # noqa: E402
from nlu.danger import NONE, labelled_sets, train_danger, training_pairs  # noqa: E402
from nlu.datafile import read_yaml  # noqa: E402
from nlu.model import preparer  # noqa: E402
from nlu.text import fold  # noqa: E402

FLOORS = (0.01, 0.02, 0.03, 0.05, 0.08, 0.1, 0.15, 0.2)


def main() -> None:
    source = nlu_data(load_settings())
    data = source.training_data()
    gazetteer = source.gazetteer(data)
    lexicon = source.lexicon()
    examples = [*data.examples, *source.faq()]
    prepare = preparer(gazetteer, lexicon)
    pairs = training_pairs(source.safety_path, lexicon, examples)
    folder = source.safety_path / "training"
    held: list[tuple[str, bool, float, str]] = []  # set, distress?, probability, text
    for path in sorted(folder.glob("dev-*.yml")):
        raw = read_yaml(path) or {}
        texts = {str(i["text"]) for i in [*(raw.get("distress") or ()), *(raw.get("harmless") or ())]}
        model = train_danger([p for p in pairs if p[0] not in texts], prepare)
        for text, label in labelled_sets_of(path):
            if lexicon.alarms(fold(text)):
                held.append((path.stem, label != NONE, model.assess(prepare(text)).probability, text))
        print(f"{path.stem}: done", file=sys.stderr)
    distress = [h for h in held if h[1]]
    harmless = [h for h in held if not h[1]]
    print(f"messages with a danger phrase, read by a model trained without their set: "
          f"{len(distress)} distress, {len(harmless)} harmless")
    print("floor   distress vetoed   harmless spared")
    for floor in FLOORS:
        lost = [h for h in distress if h[2] < floor]
        spared = [h for h in harmless if h[2] < floor]
        print(f"{floor:5.2f}   {len(lost):15d}   {len(spared):15d}")
    print("distress messages under 0.2:")
    for name, _, probability, text in sorted(distress, key=lambda h: h[2]):
        if probability < 0.2:
            print(f"  {name} {probability:.3f} {text[:110]}")


def labelled_sets_of(path: Path) -> list[tuple[str, str]]:
    """One development set's (text, kind or none), as the danger model learns them."""
    return [pair for pair in labelled_sets(path.parent.parent) if pair[0] in _texts(path)]


def _texts(path: Path) -> set[str]:
    raw = read_yaml(path) or {}
    return {str(i["text"]) for i in [*(raw.get("distress") or ()), *(raw.get("harmless") or ())]}


if __name__ == "__main__":
    main()
