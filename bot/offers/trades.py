"""Trades as youths say them -> ROME codes (data/offers/trades.yml): "jaimerais un apprentissage dans la
mecanique auto" -> Mécanique auto -> I1604, I1607, ... Used by the offers' conversation and by anything
else that turns a youth's words into offers (see `Trades.said`)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from nlu.text import any_of, fold


@dataclass(frozen=True)
class Trade:
    id: str
    label: str
    rome: dict[str, str]  # code -> official name
    pattern: re.Pattern[str]


@dataclass(frozen=True)
class Trades:
    trades: tuple[Trade, ...]

    def said(self, text: str) -> list[Trade]:
        """The trades a message names, in the file's order (none: the message names no trade we know)."""
        folded = fold(text)
        return [trade for trade in self.trades if trade.pattern.search(folded)]

    def get(self, trade_id: str) -> Trade | None:
        return next((t for t in self.trades if t.id == trade_id), None)

    def rome_codes(self, trade_ids: list[str]) -> list[str]:
        """The ROME codes of these trades, each once."""
        codes: dict[str, None] = {}
        for trade_id in trade_ids:
            trade = self.get(trade_id)
            codes.update(dict.fromkeys(trade.rome if trade else ()))
        return list(codes)

    def all_codes(self) -> list[str]:
        return self.rome_codes([t.id for t in self.trades])


ROME = re.compile(r"^[A-N][0-9]{4}$")


def load_trades(path: Path) -> Trades:
    """Read the file; a mistake in it stops start-up with the trade and the reason."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    trades = []
    for entry in raw.get("trades") or []:
        rome = {str(code): str(name) for code, name in (entry.get("rome") or {}).items()}
        wrong = [code for code in rome if not ROME.match(code)]
        if wrong or not entry.get("words"):
            raise ValueError(f"{path.name}: trade {entry.get('id')!r}: bad ROME codes {wrong} or no words")
        trades.append(Trade(str(entry["id"]), str(entry["label"]), rome, any_of(entry["words"])))
    return Trades(tuple(trades))
