"""Outreach tables, one module per topic."""

from kam.outreach.models.calls import Call, TelephonyLine
from kam.outreach.models.campaigns import Campaign, Delivery
from kam.outreach.models.events import Event, EventGuest, EventLead
from kam.outreach.models.mail import Mailbox, Message

__all__ = [
    "Call",
    "Campaign",
    "Delivery",
    "Event",
    "EventGuest",
    "EventLead",
    "Mailbox",
    "Message",
    "TelephonyLine",
]
