"""Outreach factories shared by the campaign, delivery and events tests.

Rows are written straight to the tables (tests of reads and of the sending engine); the services
make them for real in the service tests. A Delivery's account follows its contact's, and every
token is random, as the launch writes them.
"""

from __future__ import annotations

import datetime
import secrets
from decimal import Decimal
from typing import Any

import factory
from django.utils import timezone

from kam.accounts.choices import Channel
from kam.accounts.models import ContactConsent
from kam.accounts.tests.factories import AccountFactory, ContactFactory
from kam.outreach import choices
from kam.outreach.models import Campaign, Delivery, Event, EventGuest
from kam.users.tests.factories import UserFactory


def _token(_obj: Any = None) -> str:
    return secrets.token_urlsafe(32)


class CampaignFactory(factory.django.DjangoModelFactory):
    """A draft e-mail campaign announcing a new product."""

    class Meta:
        model = Campaign

    name = factory.Sequence(lambda n: f"Campaign {n}")
    kind = choices.CampaignKind.NEW_PRODUCT
    status = choices.CampaignStatus.DRAFT
    subject = "News for {{ account.name }}"
    body = "Dear {{ contact.first_name }},\n\nour new product is here.\n"
    channels = factory.LazyFunction(lambda: [Channel.EMAIL])
    owner = factory.SubFactory(UserFactory)


class DeliveryFactory(factory.django.DjangoModelFactory):
    """A queued e-mail to one contact (with an address on the contact) of a campaign."""

    class Meta:
        model = Delivery

    campaign = factory.SubFactory(CampaignFactory)
    contact = factory.SubFactory(
        ContactFactory,
        emails=factory.LazyAttribute(lambda c: [f"{c.last_name.lower()}@example.com"]),
    )
    account = factory.LazyAttribute(lambda d: d.contact.account)
    channel = Channel.EMAIL
    address = factory.LazyAttribute(lambda d: (d.contact.emails or [""])[0])
    status = choices.DeliveryStatus.QUEUED
    token = factory.LazyFunction(_token)


class EventFactory(factory.django.DjangoModelFactory):
    """A two-day exhibition in December 2026."""

    class Meta:
        model = Event
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Exhibition {n}")
    kind = choices.EventKind.EXHIBITION
    starts_at = factory.LazyFunction(
        lambda: datetime.datetime(2026, 12, 8, 9, 0, tzinfo=datetime.UTC)
    )
    ends_at = factory.LazyAttribute(lambda e: e.starts_at + datetime.timedelta(days=2))
    place = "Messe Frankfurt, Hall 3, Stand B12"
    budget = Decimal("15000.00")
    currency = "EUR"
    owner = factory.SubFactory(UserFactory)


class EventGuestFactory(factory.django.DjangoModelFactory):
    """An invited contact of an event (the guest's account follows his contact's)."""

    class Meta:
        model = EventGuest

    event = factory.SubFactory(EventFactory)
    contact = factory.SubFactory(ContactFactory)
    account = factory.LazyAttribute(lambda g: g.contact.account)
    status = choices.GuestStatus.INVITED
    token = factory.LazyFunction(_token)


def consent(contact: Any, *channels: str, granted: bool = True) -> list[ContactConsent]:
    """Record `contact`'s answer (granted or withdrawn) on each of `channels`."""
    return [
        ContactConsent.objects.update_or_create(
            contact=contact,
            channel=channel,
            defaults={"is_granted": granted, "given_at": timezone.now(), "how": "test"},
        )[0]
        for channel in channels
    ]


def reachable_contact(account: Any = None, **extra: Any) -> Any:
    """A contact with an e-mail address who consented to e-mail (a campaign reaches him)."""
    contact = ContactFactory(
        account=account or AccountFactory(),
        **{"emails": [f"reach{secrets.token_hex(4)}@example.com"], **extra},
    )
    consent(contact, Channel.EMAIL)
    return contact


__all__ = [
    "AccountFactory",
    "CampaignFactory",
    "ContactFactory",
    "DeliveryFactory",
    "EventFactory",
    "EventGuestFactory",
    "consent",
    "reachable_contact",
]
