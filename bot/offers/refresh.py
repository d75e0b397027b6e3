"""Refreshing a remote source: read it all (outside any transaction), then in one transaction save what
was read and, if the whole source was read, expire its offers that were not seen. A source that fails
writes nothing and keeps its offers as they were."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine

from bot.config import Settings
from bot.db import transaction
from bot.enums import OfferSource
from bot.offers.france_travail import Fetched, FranceTravail
from bot.offers.la_bonne_alternance import LaBonneAlternance
from bot.offers.remote import Politeness
from bot.offers.stations import Stations
from bot.offers.store import expire_unseen, save_offers
from bot.offers.trades import Trades
from bot.territory import Territory

log = logging.getLogger(__name__)

Fetch = Callable[[], Fetched]


@dataclass(frozen=True)
class Refreshed:
    source: str
    created: int
    updated: int
    expired: int
    skipped: int
    complete: bool


def secret(value: object) -> str | None:
    reveal = getattr(value, "get_secret_value", None)
    return str(reveal()) if reveal else None


def remote_sources(
    settings: Settings, territory: Territory, trades: Trades, politeness: Politeness | None = None
) -> dict[str, tuple[float, Fetch]]:
    """The remote sources whose credentials are set: name -> (refresh interval in minutes, fetch)."""
    found: dict[str, tuple[float, Fetch]] = {}
    ft = settings.offers.france_travail
    client_id, client_secret = (
        secret(settings.france_travail_client_id),
        secret(settings.france_travail_client_secret),
    )
    communes = ft.communes or [c.insee for c in territory.communes]
    if client_id and client_secret:
        france_travail = FranceTravail(client_id, client_secret, ft.token_url, ft.search_url, politeness)
        found[OfferSource.FRANCE_TRAVAIL] = (
            ft.every_minutes,
            lambda: france_travail.fetch(communes, ft.distance_km),
        )
    lba = settings.offers.la_bonne_alternance
    token = secret(settings.la_bonne_alternance_token)
    if token:
        alternance = LaBonneAlternance(
            token, lba.search_url, lba.caller, politeness, skip_france_travail=bool(client_id)
        )
        points = [(c.latitude, c.longitude) for c in territory.communes]
        found[OfferSource.LA_BONNE_ALTERNANCE] = (
            lba.every_minutes,
            lambda: alternance.fetch(trades.all_codes(), points, lba.radius_km),
        )
    return found


def refresh(
    engine: Engine,
    source: str,
    fetch: Fetch,
    clock: Callable[[], datetime],
    territory: Territory,
    stations: Stations,
) -> Refreshed:
    """Read `source` and store what it has now (SourceFailed propagates: nothing is written)."""
    started = clock()
    fetched = fetch()
    with transaction(engine) as session:
        saved = save_offers(session, source, fetched.offers, started, territory, stations)
        expired = expire_unseen(session, source, started) if fetched.complete else 0
    result = Refreshed(
        source,
        saved.created,
        saved.updated,
        expired,
        saved.skipped + len(fetched.skipped),
        fetched.complete,
    )
    log.info("offers refreshed: %s", result)
    return result
