"""Campaigns (coordinators, admins): an influencer, a poster's place, an event; each with a source code
that its deep links carry. Create, list (with the youths who came through each), and download the QR code
or a printable poster."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from admin_api.context import staff_context
from admin_api.deps import DB, Now, Reader
from bot import campaigns
from bot.audit import audit
from bot.campaigns import CHANNELS, CampaignError, Links, deep_link
from bot.models import Campaign
from bot.posters import MEDIA_TYPES, PRINTABLES, FileFormat, PrintableKind, printable

router = APIRouter(prefix="/campaigns", tags=["campaigns"])
STATUS = {"not_found": 404, "taken": 409, "channel_off": 409}  # any other code: 422
Source = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
ChannelName = Literal["telegram", "whatsapp", "web"]


class CampaignIn(BaseModel):
    source: Source = Field(description="the code in the links (letters, digits, - and _), e.g. insta-lina")
    name: str = Field(min_length=1, max_length=200, description="for staff: 'Lina (Instagram)'")
    kind: Literal["influencer", "poster", "event", "other"]
    channel: ChannelName = Field("web", description="the QR code's channel unless asked otherwise")
    poster_line: str = Field(
        "Une question ? Scanne, on t'oriente.",
        min_length=1,
        max_length=120,
        description="the one line of text under the QR code on the poster",
    )


class CampaignOut(BaseModel):
    id: int
    source: str
    name: str
    kind: str
    channel: str
    poster_line: str
    created_at: datetime
    youths: int | None = Field(description="youths whose first contact came through it; null: fewer than 5")
    links: dict[str, str] = Field(description="the deep link of each channel that is set up")


def _links(request: Request) -> Links:
    context = staff_context(request)
    return context.links or Links(context.public_url)


def _out(campaign: Campaign, youths: int | None, links: Links) -> CampaignOut:
    made = {}
    for channel in CHANNELS:
        try:
            made[channel] = deep_link(channel, campaign.source, links)
        except CampaignError:
            continue  # that channel has no bot name or number in config.yml
    return CampaignOut(
        id=campaign.id,
        source=campaign.source,
        name=campaign.name,
        kind=campaign.kind,
        channel=campaign.channel,
        poster_line=campaign.poster_line,
        created_at=campaign.created_at,
        youths=youths,
        links=made,
    )


def fail(error: CampaignError) -> HTTPException:
    return HTTPException(STATUS.get(error.code, 422), str(error))


@router.post("", status_code=201)
def create(body: CampaignIn, caller: Reader, db: DB, at: Now, request: Request) -> CampaignOut:
    """A new campaign; its source must not be used by another one (409)."""
    try:
        campaign = campaigns.create(
            db, body.source, body.name, body.kind, body.channel, body.poster_line, caller.staff_id, at
        )
    except CampaignError as error:
        raise fail(error) from None
    audit(db, caller.staff_id, "create", "campaign", campaign.id, None, body.model_dump(), at)
    return _out(campaign, None, _links(request))


@router.get("")
def list_campaigns(caller: Reader, db: DB, request: Request) -> list[CampaignOut]:
    """Every campaign, newest first, with its links and the youths who came through it."""
    links = _links(request)
    return [_out(campaign, youths, links) for campaign, youths in campaigns.listed(db)]


@router.get(
    "/{source}/{kind}",
    responses={
        200: {
            "content": {media_type: {} for media_type in MEDIA_TYPES.values()},
            "description": "qr: the QR code (png, svg); poster: a printable A4 poster (pdf, svg)",
        }
    },
)
def download(
    source: str,
    kind: PrintableKind,
    caller: Reader,
    db: DB,
    request: Request,
    channel: Annotated[ChannelName | None, Query(description="default: the campaign's")] = None,
    format: Annotated[
        FileFormat | None, Query(description="qr: png (default) or svg; poster: pdf (default) or svg")
    ] = None,
) -> Response:
    """The campaign's QR code or printable poster, of its deep link on one channel."""
    made = PRINTABLES[kind]
    chosen = format or made.formats[0]
    if chosen not in made.formats:
        raise HTTPException(422, f"a {kind} is made as {' or '.join(made.formats)}, not {chosen}")
    try:
        campaign = campaigns.get(db, source)
        link = deep_link(channel or campaign.channel, campaign.source, _links(request))
    except CampaignError as error:
        raise fail(error) from None
    return Response(
        printable(kind, link, campaign.poster_line, chosen),
        media_type=MEDIA_TYPES[chosen],
        headers={
            "Content-Disposition": f'attachment; filename="{made.file_name}-{campaign.source}.{chosen}"'
        },
    )
