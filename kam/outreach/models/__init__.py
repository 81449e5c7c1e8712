"""Outreach tables, one module per topic."""

from kam.outreach.models.campaigns import Campaign, CampaignDeal, Delivery
from kam.outreach.models.events import Event, EventGuest, EventLead
from kam.outreach.models.mail import Mailbox, Message

__all__ = [
    "Campaign",
    "CampaignDeal",
    "Delivery",
    "Event",
    "EventGuest",
    "EventLead",
    "Mailbox",
    "Message",
]
