"""The shared outreach factories build valid rows that the other topics can rely on."""

from __future__ import annotations

import pytest

from kam.outreach import choices
from kam.outreach.tests.factories import (
    CampaignFactory,
    DeliveryFactory,
    EventFactory,
    EventGuestFactory,
    reachable_contact,
)

pytestmark = pytest.mark.django_db


def test_a_delivery_goes_to_its_contacts_account_and_address() -> None:
    delivery = DeliveryFactory()
    delivery.full_clean()
    assert delivery.account_id == delivery.contact.account_id
    assert delivery.address == delivery.contact.emails[0]
    assert delivery.status == choices.DeliveryStatus.QUEUED
    assert len(delivery.token) == 43
    assert delivery.campaign.status == choices.CampaignStatus.DRAFT


def test_events_and_guests_are_valid_rows() -> None:
    guest = EventGuestFactory()
    guest.full_clean()
    guest.event.full_clean()
    assert guest.account_id == guest.contact.account_id
    assert (guest.event.ends_at - guest.event.starts_at).days == 2
    assert EventGuestFactory(event=EventFactory()).token != guest.token


def test_a_reachable_contact_consented_to_email() -> None:
    contact = reachable_contact()
    assert list(contact.consents.values_list("channel", "is_granted")) == [("email", True)]
    assert CampaignFactory().channels == ["email"]
