"""What a catalogue entry is: the fields of a partner, its locations and its services, and the checks
that need nothing but the entry itself. Checks against the territory live in `files`."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated, Any

from opening_hours import OpeningHours
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from bot.catalogue import codes
from bot.catalogue.capacity import over_capacity

PartnerId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(_[a-z0-9]+)*$", max_length=80)]
EntryId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=80)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


def _code_list(allowed: frozenset[str], what: str) -> AfterValidator:
    def check(values: list[str]) -> list[str]:
        unknown = [v for v in values if v not in allowed]
        if unknown:
            listing = ", ".join(sorted(allowed)) if len(allowed) <= 12 else "see bot/catalogue/codes.py"
            raise ValueError(f"unknown {what} code {unknown[0]!r} (allowed: {listing})")
        if len(set(values)) != len(values):
            raise ValueError(f"a {what} code is repeated")
        return values

    return AfterValidator(check)


def _one_code(allowed: frozenset[str], what: str) -> AfterValidator:
    def check(value: str) -> str:
        if value not in allowed:
            raise ValueError(f"unknown {what} code {value!r} (allowed: {', '.join(sorted(allowed))})")
        return value

    return AfterValidator(check)


def check_opening_hours(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        OpeningHours(value)
    except Exception as error:
        detail = next((ln.strip(" =") for ln in str(error).splitlines() if "expected" in ln), "syntax error")
        raise ValueError(f"bad opening hours {value!r}, not OSM opening_hours syntax ({detail})") from None
    return value


def _date_as_datetime(value: Any) -> Any:
    if isinstance(value, date) and not isinstance(value, datetime):
        return datetime(value.year, value.month, value.day)
    return value


def _aware(value: datetime) -> datetime:
    """A date or time without zone is taken as UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


OpeningHoursText = Annotated[str | None, AfterValidator(check_opening_hours)]
Phone = Annotated[str, StringConstraints(pattern=r"^\+?[0-9 .]{3,20}$")]
Email = Annotated[str, StringConstraints(pattern=r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$")]
Url = Annotated[str, StringConstraints(pattern=r"^https?://\S+$")]
Postcode = Annotated[str, StringConstraints(pattern=r"^[0-9]{5}$")]
Siret = Annotated[str, StringConstraints(pattern=r"^[0-9]{14}$")]
Timestamp = Annotated[datetime, BeforeValidator(_date_as_datetime), AfterValidator(_aware)]
Demo = bool | list[str]


class Entry(BaseModel):
    """Common to every entry: unknown fields are errors, `demo` names fields that exist."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    demo: Demo = False

    @field_validator("demo")
    @classmethod
    def _demo_names_fields(cls, demo: Demo) -> Demo:
        if isinstance(demo, list):
            unknown = [name for name in demo if name not in cls.model_fields or name == "demo"]
            if unknown:
                raise ValueError(f"demo lists {unknown[0]!r}, which is not a field of this entry")
        return demo

    @property
    def is_demo(self) -> bool:
        return self.demo is True

    @property
    def demo_fields(self) -> list[str]:
        return list(self.demo) if isinstance(self.demo, list) else []


class LocationEntry(Entry):
    id: EntryId
    nom: Text | None = None
    adresse: Text | None = None
    code_postal: Postcode | None = None
    commune: Text
    quartier: Text | None = None
    latitude: Annotated[float, Field(ge=-90, le=90)] | None = None
    longitude: Annotated[float, Field(ge=-180, le=180)] | None = None

    @field_validator("longitude")
    @classmethod
    def _both_coordinates(cls, longitude: float | None, info: ValidationInfo) -> float | None:
        if "latitude" in info.data and (info.data["latitude"] is None) != (longitude is None):
            raise ValueError("give both latitude and longitude, or neither")
        return longitude


class PartnerEntry(Entry):
    id: PartnerId
    nom: Text
    kind: Annotated[str, _one_code(frozenset(codes.PARTNER_KINDS), "partner kind")]
    description: Text | None = None
    siret: Siret | None = None
    telephone: Phone | None = None
    courriel: Email | None = None
    site_web: Url | None = None
    horaires_accueil: OpeningHoursText = None
    reseaux_porteurs: Annotated[list[str], _code_list(codes.RESEAUX_PORTEURS, "reseaux_porteurs")] = []
    sources: list[str] = []
    notes: Text | None = None
    notify_webhook_url: Url | None = None  # where new questions for this partner are posted (JSON)
    notify_email: Email | None = None  # who is e-mailed about new questions
    locations: list[LocationEntry] = []

    @field_validator("locations")
    @classmethod
    def _unique_locations(cls, locations: list[LocationEntry]) -> list[LocationEntry]:
        ids = [location.id for location in locations]
        duplicate = next((i for i in ids if ids.count(i) > 1), None)
        if duplicate:
            raise ValueError(f"location id {duplicate!r} is used twice")
        return locations


ZONE_CODE = re.compile(r"^(france|[0-9]{2}|2[AB]|97[1-6]|[0-9]{5}|2[AB][0-9]{3}|[0-9]{9})$")


class ServiceEntry(Entry):
    id: EntryId
    nom: Text
    description: Text | None = None
    type: Annotated[str, _one_code(codes.SERVICE_TYPES, "type")]
    thematiques: Annotated[list[str], Field(min_length=1), _code_list(codes.THEMATIQUES, "thematique")]
    frais: Annotated[str, _one_code(codes.FRAIS, "frais")]
    frais_precisions: Text | None = None
    publics: Annotated[list[str], Field(min_length=1), _code_list(codes.PUBLICS, "publics")]
    publics_precisions: Text | None = None
    conditions_acces: Text | None = None
    pre_requis: list[Text] = []  # data·inclusion: what the youth needs to have or be
    justificatifs: list[Text] = []  # data·inclusion: the documents to bring
    age_min: Annotated[int, Field(ge=0, le=120)] | None = None
    age_max: Annotated[int, Field(ge=0, le=120)] | None = None
    modes_accueil: Annotated[list[str], Field(min_length=1), _code_list(codes.MODES_ACCUEIL, "modes_accueil")]
    modes_mobilisation: Annotated[list[str], _code_list(codes.MODES_MOBILISATION, "modes_mobilisation")] = []
    lien_mobilisation: Url | None = None
    # who may mobilise it; left out: the youths themselves when a way to do so is given (modes_mobilisation)
    mobilisable_par: Annotated[list[str], _code_list(codes.MOBILISABLE_PAR, "mobilisable_par")] = []
    zone_eligibilite: Annotated[list[str], Field(min_length=1)]
    locations: list[EntryId] | None = None
    horaires_accueil: OpeningHoursText = None
    telephone: Phone | None = None
    courriel: Email | None = None
    places_total: Annotated[int, Field(ge=0)] | None = None
    places_available: Annotated[int, Field(ge=0)] | None = None
    capacity_updated_at: Timestamp | None = None
    sources: list[str] = []

    @property
    def who_mobilises(self) -> list[str]:
        """`mobilisable_par` as given, else youths ("usagers") when the service says how to reach it."""
        if self.mobilisable_par:
            return list(self.mobilisable_par)
        return ["usagers"] if self.modes_mobilisation or self.lien_mobilisation else []

    @field_validator("age_max")
    @classmethod
    def _age_range(cls, age_max: int | None, info: ValidationInfo) -> int | None:
        age_min = info.data.get("age_min")
        if age_min is not None and age_max is not None and age_min > age_max:
            raise ValueError(f"age_min ({age_min}) is greater than age_max ({age_max})")
        return age_max

    @field_validator("places_available")
    @classmethod
    def _within_capacity(cls, available: int | None, info: ValidationInfo) -> int | None:
        problem = over_capacity(available, info.data.get("places_total"))
        if problem:
            raise ValueError(problem)
        return available

    @field_validator("zone_eligibilite")
    @classmethod
    def _zone_codes(cls, zones: list[str]) -> list[str]:
        bad = next((z for z in zones if not ZONE_CODE.match(z)), None)
        if bad:
            raise ValueError(
                f"{bad!r} is not an INSEE commune code, a département, an EPCI SIREN or 'france'"
            )
        return zones


class PartnerFile(BaseModel):
    """One catalogue file: a partner and its services."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    partner: PartnerEntry
    services: list[ServiceEntry] = []
