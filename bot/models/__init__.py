"""The database tables. `catalogue` holds public facts about partners; `youth` holds personal data of
youths, and only there, so that a youth can be erased completely."""

from bot.models.base import Base
from bot.models.campaigns import Campaign
from bot.models.catalogue import Location, Partner, Service, service_locations
from bot.models.limits import RateWindow
from bot.models.offers import JobLease, Offer
from bot.models.staff import AuditEntry, Staff, StaffToken
from bot.models.stats import DailyCount, DailyTally
from bot.models.youth import (
    Conversation,
    FollowUp,
    Handoff,
    HandoffEvent,
    HandoffRead,
    InboundEvent,
    Message,
    OutboxMessage,
    Youth,
)

__all__ = [
    "AuditEntry",
    "Base",
    "Campaign",
    "Conversation",
    "DailyCount",
    "DailyTally",
    "FollowUp",
    "Handoff",
    "HandoffEvent",
    "HandoffRead",
    "InboundEvent",
    "JobLease",
    "Location",
    "Message",
    "Offer",
    "OutboxMessage",
    "Partner",
    "RateWindow",
    "Service",
    "Staff",
    "StaffToken",
    "Youth",
    "service_locations",
]
