"""The real catalogue: 13 partners, enough services for every concern, nothing invented."""

from __future__ import annotations

from collections import Counter

import pytest

from bot.catalogue.files import read_catalogue
from bot.catalogue.schema import PartnerFile
from bot.concerns import load_concerns
from bot.territory import Territory
from tests.conftest import DATA

CONCERNS = (
    "paperwork",
    "health",
    "driving_licence",
    "sport",
    "job",
    "training",
    "housing",
    "money",
    "wellbeing",
    "explore",
)
KINDS = {
    "mission-locale",
    "ecole-deuxieme-chance",
    "epide",
    "prevention-specialisee",
    "insertion-par-le-sport",
    "organisme-de-formation",
    "mediation-interculturelle",
    "point-ecoute-jeunes",
    "service-jeunesse-ville",
}


@pytest.fixture(scope="module")
def catalogue(territory: Territory) -> list[PartnerFile]:
    return read_catalogue(DATA / "catalogue", territory)


def test_thirteen_partners_of_every_kind(catalogue: list[PartnerFile]) -> None:
    assert len(catalogue) == 13
    assert {entry.partner.kind for entry in catalogue} == KINDS
    assert sum(entry.partner.kind == "mission-locale" for entry in catalogue) == 4


def test_at_least_forty_services(catalogue: list[PartnerFile]) -> None:
    assert sum(len(entry.services) for entry in catalogue) >= 40


def test_every_concern_is_offered_by_at_least_two_partners(catalogue: list[PartnerFile]) -> None:
    concerns = load_concerns(DATA / "concerns.yml")
    assert set(concerns) == set(CONCERNS)
    for name in CONCERNS:
        partners = {
            entry.partner.id
            for entry in catalogue
            for service in entry.services
            if concerns[name].thematiques & set(service.thematiques)
        }
        assert len(partners) >= 2, name


def test_missions_locales_offer_the_core_services(catalogue: list[PartnerFile]) -> None:
    concerns = load_concerns(DATA / "concerns.yml")
    for entry in catalogue:
        if entry.partner.kind != "mission-locale":
            continue
        assert len(entry.services) >= 6, entry.partner.id
        covered = {
            name
            for name in CONCERNS
            for s in entry.services
            if concerns[name].thematiques & set(s.thematiques)
        }
        assert {"job", "training", "driving_licence", "health", "housing"} <= covered, entry.partner.id
        assert any("engagement jeune" in s.nom.lower() for s in entry.services), entry.partner.id


def test_some_service_is_full_while_another_partner_has_room(catalogue: list[PartnerFile]) -> None:
    concerns = load_concerns(DATA / "concerns.yml")
    for name in CONCERNS:
        services = [
            s for e in catalogue for s in e.services if concerns[name].thematiques & set(s.thematiques)
        ]
        if any(s.places_available == 0 for s in services) and any(
            (s.places_available or 0) > 0 for s in services
        ):
            return
    pytest.fail("no concern has both a full service and one with places left")


def test_unsourced_values_are_flagged_as_demo(catalogue: list[PartnerFile]) -> None:
    """Capacities are never sourced; hours are demo unless the partner has sources."""
    for entry in catalogue:
        for service in entry.services:
            if service.places_available is not None and not service.is_demo:
                assert {"places_available", "places_total"} <= set(service.demo_fields), service.id
        partner = entry.partner
        if not partner.sources:
            assert (
                partner.is_demo
                or partner.horaires_accueil is None
                or "horaires_accueil" in partner.demo_fields
            )


def test_contact_facts_come_with_a_source(catalogue: list[PartnerFile]) -> None:
    """A phone number, e-mail or street address is never invented: it belongs to a sourced partner."""
    phones = Counter()
    for entry in catalogue:
        partner = entry.partner
        facts = [partner.telephone, partner.courriel, *(loc.adresse for loc in partner.locations)]
        facts += [s.telephone for s in entry.services] + [s.courriel for s in entry.services]
        if any(facts):
            assert partner.sources, partner.id
            assert not partner.is_demo, partner.id
        phones.update(p for p in [partner.telephone, *(s.telephone for s in entry.services)] if p)
    assert set(phones) == {"01 60 42 17 43"}  # the only number a source gives (EPIDE Montry)


def test_priority_neighbourhoods_and_helplines_are_known(territory: Territory) -> None:
    names = {q.name for q in territory.quartiers}
    assert names == {"Le Bois-l'Abbé", "Les Mordacs", "Les Hautes-Noues", "La Redoute", "Les Larris"}
    numbers = {h.number for h in territory.helplines}
    assert {"3114", "119", "3919", "17", "112", "0 800 235 236"} <= numbers
    bois_labbe = territory.quartier("bois labbe")
    assert bois_labbe is not None and bois_labbe.latitude is not None
    mordacs = territory.quartier("mordacs")
    champigny = territory.commune("champi")
    assert mordacs is not None and champigny is not None
    point = territory.point_of(champigny, mordacs)
    assert point.approximate and (point.latitude, point.longitude) == (
        champigny.latitude,
        champigny.longitude,
    )
