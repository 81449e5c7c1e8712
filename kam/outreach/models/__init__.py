"""Outreach tables, one module per topic."""

from kam.outreach.models.calls import Call, TelephonyLine
from kam.outreach.models.campaigns import Campaign, CampaignDeal, Delivery
from kam.outreach.models.events import Event, EventGuest, EventLead
from kam.outreach.models.mail import EmailTemplate, Mailbox, Message, MessageAttachment
from kam.outreach.models.outbox import CampaignWindow, ChatProvider

__all__ = [
    "Call",
    "Campaign",
    "CampaignDeal",
    "CampaignWindow",
    "ChatProvider",
    "Delivery",
    "EmailTemplate",
    "Event",
    "EventGuest",
    "EventLead",
    "Mailbox",
    "Message",
    "MessageAttachment",
    "TelephonyLine",
]
