"""What the offers read from data/offers/ and config.yml, loaded once per process."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.config import Settings
from bot.offers.stations import Stations, load_stations
from bot.offers.trades import Trades, load_trades


@dataclass(frozen=True)
class OfferData:
    trades: Trades = field(default_factory=lambda: Trades(()))
    stations: Stations = field(default_factory=lambda: Stations((), 1.5))
    per_page: int = 5
    follow_up_days: float = 7.0

    @classmethod
    def load(cls, settings: Settings) -> OfferData:
        folder = settings.offers_dir
        return cls(
            trades=load_trades(folder / "trades.yml"),
            stations=load_stations(folder / "stations.yml"),
            per_page=settings.offers.per_page,
            follow_up_days=settings.offers.follow_up_days,
        )
