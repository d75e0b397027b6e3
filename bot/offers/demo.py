"""Demo offers, so that `make run` shows offer cards before any source has credentials: generated from the
trades of data/offers/trades.yml around the communes of the territory, every one flagged demo (source
"demo", `is_demo`, "(démo)" in the title, an employer named "Entreprise démo", links to the reserved
.example domain). Same seed, same offers."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import datetime, timedelta

from bot.offers.stations import flat_km
from bot.offers.store import OfferIn
from bot.offers.trades import Trades
from bot.territory import Territory

CONTRACTS = (("CDI", "Contrat à durée indéterminée"), ("CDD", "CDD - 6 mois"), ("MIS", "Mission intérimaire"))
TIMES = ("Temps plein", "Temps partiel - 24 h", "Temps plein - horaires décalés")
KM_PER_DEGREE = 111.0


def demo_offers(
    territory: Territory,
    trades: Trades,
    now: datetime,
    count: int = 150,
    seed: int = 6,
    spread_km: float = 6.0,
) -> Iterator[OfferIn]:
    """`count` offers: jobs (a fifth of them apprenticeships) and trainings, around random communes of
    the territory within `spread_km` (named after the nearest commune), created over the last 30 days."""
    rng = random.Random(seed)
    communes = list(territory.communes)
    codes = [(code, label, trade.label) for trade in trades.trades for code, label in trade.rome.items()]
    for number in range(count):
        commune = rng.choice(communes)
        code, label, trade = rng.choice(codes)
        dx, dy = (rng.uniform(-spread_km, spread_km) for _ in range(2))
        latitude = round(commune.latitude + dy / KM_PER_DEGREE, 5)
        longitude = round(commune.longitude + dx / (KM_PER_DEGREE * 0.66), 5)
        nearest = min(communes, key=lambda c: flat_km(latitude, longitude, c.latitude, c.longitude))
        created = now - timedelta(days=rng.uniform(0, 30))
        kind = "training" if number % 7 == 0 else "job"
        alternance = kind == "job" and number % 5 == 0
        contract, contract_label = (
            ("APP", "Apprentissage")
            if alternance
            else ("FOR", "Formation")
            if kind == "training"
            else rng.choice(CONTRACTS)
        )
        title = f"Formation {trade.lower()} : {label}" if kind == "training" else label
        yield OfferIn(
            id=f"demo-{number:06d}",
            kind=kind,
            title=f"{title} (démo)",
            description="Offre de démonstration générée par sixtcap : elle n'existe pas.",
            employer=f"Entreprise démo {number % 40 + 1}"
            if kind == "job"
            else f"Organisme démo {number % 9 + 1}",
            rome_code=code,
            rome_label=label,
            contract_type=contract,
            contract_label=contract_label,
            alternance=alternance,
            experience="D" if alternance or kind == "training" else rng.choice("DDSE"),
            diploma_level=rng.choice((None, None, 3, 4)),
            commune=nearest.name,
            code_insee=nearest.insee,
            latitude=latitude,
            longitude=longitude,
            working_time=rng.choice(TIMES),
            apply_url=f"https://offres.sixtcap.example/demo-{number:06d}",
            created_at=created,
            updated_at=created,
            expires_at=now + timedelta(days=60),
            is_demo=True,
        )
