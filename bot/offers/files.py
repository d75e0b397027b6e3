"""Offers posted by the missions locales and partners as a file (JSON or CSV) or through
`POST /admin/api/offers`: every offer is checked first and the batch is written only if all are right,
with one clear line per problem otherwise.

JSON: a list of offers, or `{"offers": [...]}`. CSV: a header line with the same field names (see
`OfferIn` in bot/offers/store.py), `,` or `;` between cells, UTF-8; "oui"/"non" for yes/no, an empty cell
for "unknown". An offer's `id` is the partner's own: it is stored as `<partner>/<id>`, so two partners
never overwrite each other's offers. A file is the partner's whole list: its offers missing from the
file expire (`complete`)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from bot.enums import OfferSource
from bot.models import Offer, Partner
from bot.offers.stations import Stations
from bot.offers.store import OfferIn, OffersInvalid, RowProblem, Saved, parse_offers, save_offers, unplaced
from bot.territory import Territory

BOOLEAN_FIELDS = {"alternance", "is_demo"}
YES, NO = {"oui", "o", "yes", "y", "true", "vrai", "1", "x"}, {"non", "n", "no", "false", "faux", "0"}


@dataclass(frozen=True)
class Posted:
    """What a partner's batch did."""

    source: str
    saved: Saved
    expired: int


def rows_of_json(text: str, name: str) -> list[tuple[str, dict[str, Any]]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise OffersInvalid(
            [RowProblem(f"{name}:{error.lineno}", "", f"invalid JSON: {error.msg}")]
        ) from None
    if isinstance(data, dict) and isinstance(data.get("offers"), list):
        data = data["offers"]
    if not isinstance(data, list):
        raise OffersInvalid([RowProblem(name, "", 'a list of offers is expected (or {"offers": [...]})')])
    return [(f"{name}: offers[{index}]", item) for index, item in enumerate(data)]


def cell(field: str, value: str) -> Any:
    value = value.strip()
    if value == "":
        return None
    if field in BOOLEAN_FIELDS and value.lower() in YES | NO:
        return value.lower() in YES
    return value


def rows_of_csv(text: str, name: str) -> tuple[list[tuple[str, dict[str, Any]]], list[RowProblem]]:
    """The rows of a CSV text, and the lines that cannot be rows at all."""
    text = text.removeprefix("\ufeff")  # a spreadsheet's byte-order mark
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = [h.strip() for h in next(reader, [])]
    if not header or not any(header):
        raise OffersInvalid(
            [RowProblem(f"{name}:1", "", "the first line must name the columns (id, title, ...)")]
        )
    rows, problems = [], []
    for number, values in enumerate(reader, start=2):
        if not any(v.strip() for v in values):
            continue  # an empty line
        if len(values) > len(header):
            reason = (
                f"{len(values)} cells for {len(header)} columns (a {delimiter} inside a cell needs quotes)"
            )
            problems.append(RowProblem(f"{name}:{number}", "", reason))
            continue
        raw = {field: cell(field, value) for field, value in zip(header, values, strict=False) if field}
        rows.append((f"{name}:{number}", {k: v for k, v in raw.items() if v is not None}))
    return rows, problems


def read_offers_file(path: Path) -> list[OfferIn]:
    """The offers of a JSON or CSV file, all checked; OffersInvalid lists every problem."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise OffersInvalid([RowProblem(path.name, "", f"cannot read the file ({error})")]) from None
    if path.suffix.lower() == ".json":
        return parse_offers(rows_of_json(text, path.name))
    if path.suffix.lower() == ".csv":
        rows, problems = rows_of_csv(text, path.name)
        try:
            offers = parse_offers(rows)
        except OffersInvalid as invalid:
            problems += invalid.problems
        if problems:
            raise OffersInvalid(sorted(problems, key=lambda p: int(p.where.rsplit(":", 1)[1])))
        return offers
    raise OffersInvalid([RowProblem(path.name, "", "a .json or .csv file is expected")])


def source_of(partner: Partner) -> OfferSource:
    return OfferSource.MISSION_LOCALE if partner.kind == "mission-locale" else OfferSource.PARTNER


def post_offers(
    session: Session,
    partner: Partner,
    offers: Sequence[OfferIn],
    complete: bool,
    now: datetime,
    territory: Territory,
    stations: Stations,
) -> Posted:
    """Write a partner's checked offers (as `<partner>/<id>`); with `complete`, the partner's offers not in
    the batch expire. Offers sixtcap cannot place are refused with the rest (nothing written)."""
    problems = unplaced(offers, territory)
    if problems:
        raise OffersInvalid(problems)
    source = source_of(partner)
    prefix = f"{partner.id}/"
    owned = [offer.model_copy(update={"id": prefix + offer.id}) for offer in offers]
    saved = save_offers(session, source, owned, now, territory, stations)
    expired = expire_missing(session, source, prefix, {o.id for o in owned}, now) if complete else 0
    return Posted(str(source), saved, expired)


def expire_missing(session: Session, source: str, prefix: str, kept: Iterable[str], now: datetime) -> int:
    result = session.execute(
        update(Offer)
        .where(
            Offer.source == source,
            Offer.id.startswith(prefix, autoescape=True),
            Offer.id.not_in(list(kept)),
            Offer.expired_at.is_(None),
        )
        .values(expired_at=now)
    )
    return int(getattr(result, "rowcount", 0) or 0)
