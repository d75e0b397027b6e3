"""A partner's own system sends its job and training offers: `POST /offers`, all checked before anything
is written (one line per problem), stored per partner by (source, id) so that sending them again updates
them; with `complete`, the partner's offers missing from the batch expire."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from admin_api.context import staff_context
from admin_api.deps import DB, Now, Offers
from bot.audit import audit
from bot.enums import Role
from bot.models import Partner
from bot.offers.files import post_offers
from bot.offers.store import OffersInvalid, parse_offers

router = APIRouter(tags=["offers"])


class OffersIn(BaseModel):
    partner_id: str | None = Field(
        default=None,
        max_length=80,
        description="the partner sending them (an adviser: their own, by default)",
    )
    complete: bool = Field(
        default=False,
        description="true: this is the partner's whole list, its offers missing from it expire",
    )
    offers: list[dict[str, Any]] = Field(
        max_length=5000,
        description="offers with the fields of bot/offers/store.py OfferIn: id, title, kind (job|training), "
        "employer, rome_code, contract_type, alternance, experience (D|S|E), diploma_level, latitude and "
        "longitude or code_insee, apply_url, created_at, expires_at, ...",
    )


class OffersOut(BaseModel):
    source: str
    created: int
    updated: int
    expired: int


@router.post(
    "/offers",
    response_model=OffersOut,
    responses={422: {"description": "one line per problem in `problems`; nothing was written"}},
)
def send_offers(
    request: Request, db: DB, caller: Offers, at: Now, batch: Annotated[OffersIn, Body()]
) -> OffersOut | JSONResponse:
    """Create or update the partner's offers (an API key limited to `offers` will do)."""
    partner_id = batch.partner_id or caller.partner_id
    if partner_id is None:
        raise HTTPException(422, "partner_id: say which partner these offers are from")
    if caller.role != Role.ADMIN and partner_id != caller.partner_id:
        raise HTTPException(403, "an adviser sends the offers of their own partner only")
    partner = db.get(Partner, partner_id)
    if partner is None:
        raise HTTPException(404, f"no partner {partner_id!r}")
    context = staff_context(request)
    try:
        offers = parse_offers((f"offers[{index}]", raw) for index, raw in enumerate(batch.offers))
        posted = post_offers(db, partner, offers, batch.complete, at, context.territory, context.stations)
    except OffersInvalid as invalid:
        problems = [str(problem) for problem in invalid.problems]
        return JSONResponse({"detail": "; ".join(problems), "problems": problems}, status_code=422)
    after = {"offers": len(offers), "complete": batch.complete, "expired": posted.expired}
    audit(db, caller.staff_id, "import", "offers", partner_id, None, after, at)
    return OffersOut(
        source=posted.source,
        created=posted.saved.created,
        updated=posted.saved.updated,
        expired=posted.expired,
    )
