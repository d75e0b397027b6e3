"""The words stored and compared across packages, as StrEnums: a member equals its string, so rows and
JSON keep the same values, and a typo becomes an error instead of a silent mismatch."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """What a staff member may do: an adviser acts for one partner; a lead is an adviser who also manages
    their partner's integrations (the API keys of its staff, its notification webhook); a coordinator
    reads everything; an admin does everything."""

    ADVISER = "adviser"
    LEAD = "lead"
    COORDINATOR = "coordinator"
    ADMIN = "admin"


class HandoffStatus(StrEnum):
    PENDING = "pending"  # nobody took it yet
    OPEN = "open"  # an adviser handles it
    RESOLVED = "resolved"


class HandoffEventKind(StrEnum):
    """What happened to a handoff besides the messages (bot/models/youth.py HandoffEvent)."""

    NOTE = "note"  # an internal note: staff only
    ASSIGN = "assign"  # given to a colleague of the same partner
    TRANSFER = "transfer"  # moved to another partner, with a note
    REOPEN = "reopen"


class Channel(StrEnum):
    """Where a youth talks to sixtcap (the brain also takes other names, such as "test" in tests)."""

    TELEGRAM = "telegram"
    WHATSAPP = "whatsapp"
    WIDGET = "widget"
    CLI = "cli"


class Direction(StrEnum):
    """Of a stored message: from the youth, or to them (sixtcap's bubbles and advisers' answers)."""

    IN = "in"
    OUT = "out"


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


READERS = frozenset({Role.COORDINATOR, Role.ADMIN})  # see every partner's handoffs and places
PARTNER_STAFF = frozenset({Role.ADVISER, Role.LEAD})  # belong to one partner and see only its things
WRITERS = PARTNER_STAFF | {Role.ADMIN}  # act on handoffs and places


class FollowUpStatus(StrEnum):
    """Of a follow-up the youth agreed to (bot/models/youth.py FollowUp)."""

    SCHEDULED = "scheduled"  # waiting for its day
    SENT = "sent"  # in the outbox; the youth's answer may come
    ANSWERED = "answered"
    CANCELLED = "cancelled"  # "stop", or the youth said no more


class OfferSource(StrEnum):
    """Where an offer comes from (bot/models/offers.py Offer.source)."""

    FRANCE_TRAVAIL = "france_travail"
    LA_BONNE_ALTERNANCE = "la_bonne_alternance"
    MISSION_LOCALE = "mission_locale"
    PARTNER = "partner"
    DEMO = "demo"
