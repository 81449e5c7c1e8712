"""Builders for the events tests: an event, an invitation campaign and its deliveries."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from kam.accounts.models import Contact
from kam.outreach.choices import CampaignKind, CampaignStatus, DeliveryStatus
from kam.outreach.models import Campaign, Delivery, Event


def make_event(owner: Any, *, staff: tuple[Any, ...] = (), **fields: Any) -> Event:
    starts: datetime = fields.pop("starts_at", timezone.now() + timedelta(days=10))
    values: dict[str, Any] = {
        "name": "Hannover Messe",
        "kind": "fair",
        "starts_at": starts,
        "ends_at": starts + timedelta(days=2),
        "place": "Hall 7, stand B12",
        "budget": Decimal("12000.00"),
        "currency": "EUR",
        **fields,
    }
    event = Event.objects.create(owner=owner, **values)
    event.staff.set(staff)
    return event


def make_campaign(event: Event, owner: Any, **fields: Any) -> Campaign:
    values: dict[str, Any] = {
        "name": f"Invitation to {event.name}",
        "kind": CampaignKind.INVITATION,
        "status": CampaignStatus.COMPLETED,
        "subject": "You are invited",
        "body": "Come and see us.",
        "channels": ["email"],
        **fields,
    }
    return Campaign.objects.create(owner=owner, event=event, **values)


def make_delivery(
    campaign: Campaign, contact: Contact, status: str = DeliveryStatus.SENT
) -> Delivery:
    return Delivery.objects.create(
        campaign=campaign,
        contact=contact,
        account_id=contact.account_id,
        channel="email",
        address=(contact.emails or ["x@example.com"])[0],
        status=status,
        token=secrets.token_urlsafe(32),
    )
