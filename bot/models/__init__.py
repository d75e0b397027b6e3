"""The database tables. `catalogue` holds public facts about partners; `youth` holds personal data of
youths, and only there, so that a youth can be erased completely."""

from bot.models.base import Base
from bot.models.catalogue import Location, Partner, Service, service_locations
from bot.models.youth import Conversation, InboundEvent, Message, OutboxMessage, Youth

__all__ = [
    "Base",
    "Conversation",
    "InboundEvent",
    "Location",
    "Message",
    "OutboxMessage",
    "Partner",
    "Service",
    "Youth",
    "service_locations",
]
