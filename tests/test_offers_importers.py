"""The offers importers against stub servers on 127.0.0.1 speaking the documented APIs: France Travail
(OAuth2 client credentials, search by INSEE code + distance, `range` paging) and La bonne alternance
(ROME codes + point + radius), with their failures: 401, 429 with Retry-After, 5xx, paging limits. A
refresh that fails writes nothing; a complete one expires what its source no longer has."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select

from bot.config import PROJECT_ROOT
from bot.db import transaction
from bot.models import Offer
from bot.offers.france_travail import FranceTravail
from bot.offers.la_bonne_alternance import LaBonneAlternance
from bot.offers.refresh import refresh
from bot.offers.remote import Politeness, SourceFailed
from bot.offers.stations import load_stations
from bot.offers.store import showable
from bot.territory import Territory
from tests.stubs.offers import StubFranceTravail, StubLaBonneAlternance, ft_offer, lba_job, lba_recruiter

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
STATIONS = load_stations(PROJECT_ROOT / "data" / "offers" / "stations.yml")


@pytest.fixture
def ft_stub() -> Iterator[StubFranceTravail]:
    stub = StubFranceTravail()
    yield stub
    stub.stop()


@pytest.fixture
def lba_stub() -> Iterator[StubLaBonneAlternance]:
    stub = StubLaBonneAlternance()
    yield stub
    stub.stop()


def polite() -> Politeness:
    """Retries as in production, without really sleeping: the waits are recorded."""
    return Politeness(attempts=4, backoff_seconds=1.0, sleep=lambda _seconds: None)


def france_travail(stub: StubFranceTravail, politeness: Politeness | None = None) -> FranceTravail:
    return FranceTravail("sixtcap-id", "s3cret", stub.token_url, stub.search_url, politeness or polite())


def stored(engine: Engine, source: str, now: datetime = NOW) -> dict[str, Offer]:
    with transaction(engine) as session:
        rows = session.scalars(select(Offer).where(Offer.source == source, showable(now)))
        return {row.id: row for row in rows}


def test_france_travail_pages_with_range_and_stores_every_offer(
    engine: Engine, territory: Territory, ft_stub: StubFranceTravail
) -> None:
    ft_stub.offers["94017"] = [ft_offer(n) for n in range(320)]
    client = france_travail(ft_stub)
    result = refresh(
        engine, "france_travail", lambda: client.fetch(["94017"], 10), lambda: NOW, territory, STATIONS
    )
    assert [q["range"] for q in ft_stub.searches()] == ["0-149", "150-299", "300-449"]
    assert {(q["commune"], q["distance"]) for q in ft_stub.searches()} == {("94017", "10")}
    assert (result.created, result.complete) == (320, True)
    offer = stored(engine, "france_travail")["180007X"]
    assert offer.title.startswith("Vendeur / Vendeuse en prêt-à-porter")
    assert (offer.employer, offer.rome_code, offer.contract_type, offer.experience) == (
        "BOUTIQUE DEMO",
        "D1214",
        "CDD",
        "D",
    )
    assert (offer.commune, offer.code_insee, offer.approximate) == ("Champigny Sur Marne", "94017", False)
    assert offer.apply_url == "https://candidat.example/offres/180007X"
    assert offer.created_at == datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


def test_an_expired_token_is_renewed_once_and_the_search_goes_on(
    engine: Engine, territory: Territory, ft_stub: StubFranceTravail
) -> None:
    ft_stub.offers["94017"] = [ft_offer(n) for n in range(200)]
    client = france_travail(ft_stub)
    client.token(False)
    ft_stub.revoke()  # the token the client holds is no longer valid: 401 on the next search
    result = refresh(
        engine, "france_travail", lambda: client.fetch(["94017"], 10), lambda: NOW, territory, STATIONS
    )
    assert result.created == 200
    assert ft_stub.tokens_issued == 2


def test_wrong_credentials_fail_the_refresh_with_a_readable_reason(
    engine: Engine, territory: Territory, ft_stub: StubFranceTravail
) -> None:
    client = FranceTravail("sixtcap-id", "wrong", ft_stub.token_url, ft_stub.search_url, polite())
    with pytest.raises(SourceFailed, match="answered 401") as failed:
        refresh(
            engine, "france_travail", lambda: client.fetch(["94017"], 10), lambda: NOW, territory, STATIONS
        )
    assert "wrong" not in str(failed.value)


def test_429_waits_as_long_as_retry_after_says(
    engine: Engine, territory: Territory, ft_stub: StubFranceTravail
) -> None:
    ft_stub.offers["94017"] = [ft_offer(1)]
    client = france_travail(ft_stub)
    client.token(False)
    ft_stub.failures = [(429, {"Retry-After": "7"}), (429, {"Retry-After": "2"})]
    result = refresh(
        engine, "france_travail", lambda: client.fetch(["94017"], 10), lambda: NOW, territory, STATIONS
    )
    assert client.politeness.waited == [7.0, 2.0]
    assert result.created == 1


def test_a_source_down_writes_nothing_and_keeps_the_offers_it_had(
    engine: Engine, territory: Territory, ft_stub: StubFranceTravail
) -> None:
    ft_stub.offers["94017"] = [ft_offer(n) for n in range(3)]
    client = france_travail(ft_stub)
    refresh(engine, "france_travail", lambda: client.fetch(["94017"], 10), lambda: NOW, territory, STATIONS)
    ft_stub.offers["94017"] = [ft_offer(9)]
    ft_stub.failures = [(503, {})] * 4  # every try of the first search of the next refresh
    later = NOW + timedelta(hours=6)
    with pytest.raises(SourceFailed, match="503"):
        refresh(
            engine, "france_travail", lambda: client.fetch(["94017"], 10), lambda: later, territory, STATIONS
        )
    assert client.politeness.waited == [1.0, 2.0, 4.0]  # exponential backoff between the tries
    assert set(stored(engine, "france_travail", later)) == {"180000X", "180001X", "180002X"}


def test_offers_gone_from_the_source_expire_at_the_next_complete_refresh(
    engine: Engine, territory: Territory, ft_stub: StubFranceTravail
) -> None:
    ft_stub.offers["94017"] = [ft_offer(1), ft_offer(2)]
    ft_stub.offers["94046"] = []  # Maisons-Alfort: 204 No Content
    client = france_travail(ft_stub)
    refresh(
        engine,
        "france_travail",
        lambda: client.fetch(["94017", "94046"], 10),
        lambda: NOW,
        territory,
        STATIONS,
    )
    ft_stub.offers["94017"] = [ft_offer(2), ft_offer(3)]
    later = NOW + timedelta(hours=6)
    result = refresh(
        engine,
        "france_travail",
        lambda: client.fetch(["94017", "94046"], 10),
        lambda: later,
        territory,
        STATIONS,
    )
    assert (result.created, result.updated, result.expired) == (1, 1, 1)
    assert set(stored(engine, "france_travail", later)) == {"180002X", "180003X"}


def test_beyond_the_api_paging_limit_nothing_expires(
    engine: Engine, territory: Territory, ft_stub: StubFranceTravail
) -> None:
    ft_stub.offers["94017"] = [ft_offer(n) for n in range(3200)]  # more than the 3150 the API pages to
    client = france_travail(ft_stub)
    result = refresh(
        engine, "france_travail", lambda: client.fetch(["94017"], 10), lambda: NOW, territory, STATIONS
    )
    assert ft_stub.searches()[-1]["range"] == "3000-3149"
    assert (result.created, result.complete, result.expired) == (3150, False, 0)


def test_offers_without_coordinates_sit_at_their_commune_or_are_skipped(
    engine: Engine, territory: Territory, ft_stub: StubFranceTravail
) -> None:
    no_point = {"libelle": "94 - VILLIERS SUR MARNE", "commune": "94079", "codePostal": "94350"}
    elsewhere = {"libelle": "13 - MARSEILLE 01", "commune": "13201", "codePostal": "13001"}
    ft_stub.offers["94017"] = [
        ft_offer(1, lieuTravail=no_point),
        ft_offer(2, lieuTravail=elsewhere),
        ft_offer(3),
    ]
    client = france_travail(ft_stub)
    result = refresh(
        engine, "france_travail", lambda: client.fetch(["94017"], 10), lambda: NOW, territory, STATIONS
    )
    assert (result.created, result.skipped) == (2, 1)
    villiers = territory.commune("94079")
    assert villiers is not None
    offer = stored(engine, "france_travail")["180001X"]
    assert (offer.latitude, offer.longitude, offer.approximate) == (
        villiers.latitude,
        villiers.longitude,
        True,
    )


def test_la_bonne_alternance_brings_apprenticeships_and_companies_that_hire_apprentices(
    engine: Engine, territory: Territory, lba_stub: StubLaBonneAlternance
) -> None:
    relayed = lba_job(3, identifier={"id": "ft-1", "partner_label": "France Travail"})
    lba_stub.jobs = [lba_job(1), lba_job(2), relayed]
    lba_stub.recruiters = {"I1606": [lba_recruiter(7)]}
    client = LaBonneAlternance(
        "lba-token", lba_stub.search_url, "sixtcap", polite(), skip_france_travail=True
    )
    result = refresh(
        engine,
        "la_bonne_alternance",
        lambda: client.fetch(["I1604", "I1606"], [(48.8172, 2.5156)], 30),
        lambda: NOW,
        territory,
        STATIONS,
    )
    query = lba_stub.calls[0]["query"]
    assert (set(query["romes"].split(",")), query["latitude"], query["longitude"], query["radius"]) == (
        {"I1604", "I1606"},
        "48.81720",
        "2.51560",
        "30",
    )
    assert result.created == 3
    offers = stored(engine, "la_bonne_alternance")
    job = offers["job:lba-1"]
    assert (job.alternance, job.contract_type, job.experience, job.diploma_level) == (True, "APP", "D", 3)
    assert (job.latitude, job.longitude, job.employer) == (48.82, 2.52, "GARAGE DEMO")
    company = offers["recruiter:siret-7"]
    assert company.title == "Candidature spontanée en alternance chez CARROSSERIE DEMO 7"
    assert "job:ft-1" not in offers


def test_la_bonne_alternance_with_a_wrong_token_says_which_setting(
    engine: Engine, territory: Territory, lba_stub: StubLaBonneAlternance
) -> None:
    client = LaBonneAlternance("expired", lba_stub.search_url, "sixtcap", polite())
    with pytest.raises(SourceFailed, match="SIXTCAP_LA_BONNE_ALTERNANCE_TOKEN"):
        refresh(
            engine,
            "la_bonne_alternance",
            lambda: client.fetch(["I1604"], [(48.8, 2.5)], 30),
            lambda: NOW,
            territory,
            STATIONS,
        )
