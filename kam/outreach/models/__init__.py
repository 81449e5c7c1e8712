"""Outreach tables, one module per topic."""

from kam.outreach.models.calls import Call, TelephonyLine
from kam.outreach.models.campaigns import Campaign, Delivery
from kam.outreach.models.campaigns import Campaign, CampaignDeal, Delivery
from kam.outreach.models.events import Event, EventGuest, EventLead
from kam.outreach.models.mail import EmailTemplate, Mailbox, Message, MessageAttachment

__all__ = [
    "Campaign",
    "Delivery",
    "EmailTemplate",
    "Call",
    "Campaign",
from kam.outreach.models.mail import Mailbox, Message
from kam.outreach.models.outbox import CampaignWindow, ChatProvider

__all__ = [
    "Campaign",
    "CampaignWindow",
    "ChatProvider",
    "CampaignDeal",
    "Delivery",
    "Event",
    "EventGuest",
    "EventLead",
    "Mailbox",
    "Message",
    "MessageAttachment",
    "TelephonyLine",
]
