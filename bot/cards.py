"""Cards the youth sees: a service that fits ("why it fits", hours, address, phone, room), a helpline,
a scene of the village."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.catalogue.snapshot import ServiceView
from bot.messages import Button, Card
from bot.offers.matching import RankedOffer
from bot.routing import Match
from bot.territory import Helpline
from bot.texts import Texts
from bot.village import Scene, Village


def _km(distance: float) -> str:
    return f"{distance:.1f}".replace(".", ",") if distance < 10 else f"{distance:.0f}"


def clock(moment: datetime) -> str:
    return f"{moment.hour}h" if moment.minute == 0 else f"{moment.hour}h{moment.minute:02d}"


def day_word(moment: datetime, now: datetime, texts: Texts) -> str:
    days = (moment.date() - now.date()).days
    if days == 0:
        return texts.card("today")
    if days == 1:
        return texts.card("tomorrow")
    return texts.day_name(moment.weekday())


def cost_text(service: ServiceView, texts: Texts) -> str:
    return texts.card("free") if service.frais == "gratuit" else texts.card("paid")


def ages_text(service: ServiceView, texts: Texts) -> str | None:
    """'16-25 ans', 'dès 16 ans', 'jusqu'à 25 ans', or None when the catalogue sets no age."""
    if service.age_min is not None and service.age_max is not None:
        return texts.card("ages", min=service.age_min, max=service.age_max)
    if service.age_min is not None:
        return texts.card("from_age", min=service.age_min)
    if service.age_max is not None:
        return texts.card("up_to_age", max=service.age_max)
    return None


def why_it_fits(match: Match, texts: Texts) -> str:
    """'gratuit · 16-25 ans · à 1,2 km'"""
    service = match.service
    parts = [texts.card("outside_network")] if service.outside_network else []
    if service.frais in ("gratuit", "payant"):  # outside the network it may not be said
        parts.append(cost_text(service, texts))
    ages = ages_text(service, texts)
    if ages:
        parts.append(ages)
    if match.remote_only:
        parts.append(texts.card("remote"))
    elif match.place is not None and match.place.approximate and match.distance_km is not None:
        # placed at its commune's point: the distance would pretend a precision we do not have
        parts.append(texts.card("in_commune", commune=match.place.commune.split("-")[0]))
    elif match.distance_km is not None:
        parts.append(texts.card("distance", km=_km(match.distance_km)))
    return " · ".join(parts)


def opening_line(match: Match, now: datetime, zone: ZoneInfo, texts: Texts) -> str:
    status = match.status
    local_now = now.astimezone(zone)
    if status.open_now and status.closes_at:
        return texts.card("open_until", time=clock(status.closes_at.astimezone(zone)))
    if status.open_now is False and status.next_opening:
        opening = status.next_opening.astimezone(zone)
        return texts.card("opens", day=day_word(opening, local_now, texts), time=clock(opening))
    if status.open_now is False:
        return texts.card("closed")
    return texts.card("hours_unknown")


def address_line(match: Match, texts: Texts) -> str | None:
    place = match.place
    if place is None:
        return None
    if place.adresse:
        return f"{place.adresse}, {place.code_postal or ''} {place.commune}".replace("  ", " ")
    return texts.card("approximate_address", commune=place.commune)


# How the producers of data·inclusion's data are named on the cards (their `source`); others as given.
PRODUCERS = {
    "dora": "DORA",
    "soliguide": "Soliguide",
    "france-travail": "France Travail",
    "emplois-de-linclusion": "les emplois de l'inclusion",
    "mes-aides": "Mes Aides",
    "action-logement": "Action Logement",
    "monenfant": "monenfant.fr",
    "reseau-alpha": "Réseau Alpha",
    "fredo": "FREDO",
    "mediation-numerique": "la médiation numérique",
    "agefiph": "Agefiph",
    "carif-oref": "Carif-Oref",
    "demo": "de démonstration",
}


def provenance_line(match: Match, texts: Texts) -> str:
    """Outside the network: who gives the data and how old it is."""
    service = match.service
    producer = PRODUCERS.get(service.source or "", service.source or "data·inclusion")
    if service.date_maj is None:
        return texts.card("provenance_undated", producer=producer)
    return texts.card("provenance", producer=producer, date=service.date_maj.strftime("%d/%m/%Y"))


def service_card(match: Match, now: datetime, zone: ZoneInfo, texts: Texts, village: Village) -> Card:
    """A service; outside the 6Tcap network: labelled so, with its producer and date, and no stand."""
    service = match.service
    details = [opening_line(match, now, zone, texts)]
    address = address_line(match, texts)
    if address:
        details.append(address)
    if service.telephone:
        details.append(texts.card("phone", phone=service.telephone))
    if service.outside_network:
        details.append(provenance_line(match, texts))
    elif service.has_room is not None:
        details.append(texts.card("places_available" if service.has_room else "places_full"))
    if service.is_demo or {"places_available", "horaires_accueil"} & service.demo_fields:
        details.append(texts.card("demo"))
    stand = None if service.outside_network else village.stand_url(service.partner_id)
    actions = [Button(texts.button("stand"), url=stand)] if stand else []
    if service.telephone:
        actions.append(Button(texts.button("call"), url="tel:" + re.sub(r"[^0-9+]", "", service.telephone)))
    website = service.lien_mobilisation or service.site_web
    if website:
        actions.append(Button(texts.button("website"), url=website))
    return Card(
        kind="service",
        id=service.id,
        title=f"{service.nom} — {service.partner_nom}",
        subtitle=why_it_fits(match, texts),
        url=stand or website,
        details=tuple(details),
        actions=tuple(actions),
    )


def without_notes(text: str) -> str:
    """Without the sources' parenthesised notes: '7j/7, 9h–23h (2025 source; ...)' -> '7j/7, 9h–23h'."""
    return re.sub(r"\s*\([^)]*\)", "", text).strip()


def helpline_card(helpline: Helpline, texts: Texts) -> Card:
    digits = re.sub(r"[^0-9]", "", helpline.number)
    return Card(
        kind="helpline",
        id=digits,
        title=f"{helpline.number} · {helpline.name}",
        subtitle=f"{without_notes(helpline.hours)} · {without_notes(helpline.cost)}",
        url=f"tel:{digits}",
        actions=(Button(texts.button("call"), url=f"tel:{digits}"),),
    )


def scene_card(scene: Scene, village: Village, stands: tuple[str, ...], texts: Texts) -> Card:
    """A scene of the village, the partners whose stands are in it, and whether it has a 360° video."""
    url = village.scene_url(scene)
    return Card(
        kind="scene",
        id=scene.id,
        title=f"{scene.title} ({scene.commune.split('-')[0]})",
        subtitle=texts.card("scene_stands", count=len(stands)) if stands else None,
        url=url,
        details=(
            *stands,
            *((texts.card("scene_video"),) if scene.video_file else ()),
            *((texts.card("scene_demo"),) if scene.demo else ()),
        ),
        actions=(Button(texts.button("village"), url=url),),
    )


def offer_card(offer: RankedOffer, index: int, texts: Texts) -> Card:
    """A job, apprenticeship or training offer: title, employer, town and distance, contract, "débutant
    accepté", the link to apply, and "Me faire aider" (the question to the mission locale)."""
    place = offer.commune.split(" ")[0] if offer.approximate and offer.commune else offer.commune
    where = texts.card("offer_place", place=place or "?", km=_km(offer.distance_km))
    details = [where, offer.contract_label or offer.contract_type or texts.card("offer_contract_unknown")]
    if offer.experience == "D":
        details.append(texts.card("offer_beginner"))
    if offer.far_from_station:
        details.append(texts.card("offer_far_from_station"))
    if offer.is_demo:
        details.append(texts.card("offer_demo"))
    actions = [Button(texts.button("offers_help_short"), f"offers:help:{index}")]
    if offer.apply_url:
        actions.insert(0, Button(texts.button("apply"), url=offer.apply_url))
    return Card(
        kind="offer",
        id=offer.key[:120],
        title=offer.title,
        subtitle=offer.employer,
        url=offer.apply_url,
        details=tuple(details),
        actions=tuple(actions),
    )
