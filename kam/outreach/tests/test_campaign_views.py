"""The campaign pages: list, create (prefilled from an event), edit with optimistic locking, the
campaign page with its audience and preview fragments, actions, report and letters."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from kam.accounts.choices import AddressKind, Channel
from kam.accounts.models import AccountAddress, Contact
from kam.accounts.tests.factories import AccountFactory, ContactFactory
from kam.outreach import choices
from kam.outreach.models import Campaign, Delivery
from kam.outreach.services import campaigns as services
from kam.outreach.tests.factories import (
    CampaignFactory,
    DeliveryFactory,
    EventFactory,
    consent,
    reachable_contact,
)

pytestmark = pytest.mark.django_db
MATRIX = [
    ("owner", 200),
    ("lead", 200),
    ("peer", 404),
    ("other", 404),
    ("sales_head", 200),
    ("auditor", 200),
    ("marketing", 404),
]


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def campaign(org: Any) -> Campaign:
    account = AccountFactory(owner=org.owner, name="Acme")
    AccountAddress.objects.create(account=account, kind=AddressKind.POSTAL, street="Ring 5")
    reachable_contact(account, first_name="Anna", last_name="Mail")
    poster = ContactFactory(account=account, last_name="Poster")
    consent(poster, Channel.POST)
    return services.campaign_create(
        user=org.owner,
        data={
            "name": "Secret launch",
            "kind": "new_product",
            "subject": "For {{ account.name }}",
            "body": "Hi {{ contact.first_name }}",
            "channels": ["email", "post"],
        },
    )


def test_anonymous_is_sent_to_sign_in(campaign: Campaign) -> None:
    for url in ("/campaigns/", f"/campaigns/{campaign.pk}/", f"/campaigns/{campaign.pk}/report/"):
        response = Client().get(url)
        assert response.status_code == 302
        assert "/login" in response["Location"]
    assert Client().post(f"/campaigns/{campaign.pk}/launch/").status_code == 302
    assert Delivery.objects.count() == 0


@pytest.mark.parametrize(("role", "expected"), MATRIX)
def test_who_sees_the_campaign_pages(
    org: Any, campaign: Campaign, role: str, expected: int
) -> None:
    client = _client(getattr(org, role))
    for suffix in ("", "report/", "audience/", "preview/?contact=1"):
        response = client.get(f"/campaigns/{campaign.pk}/{suffix}")
        assert response.status_code == expected, suffix
        if expected == 404:
            assert "Secret launch" not in response.content.decode()
    listing = client.get("/campaigns/").content.decode()
    assert ("Secret launch" in listing) is (expected == 200)


@pytest.mark.parametrize(("role", "expected"), [("other", 404), ("auditor", 403), ("peer", 404)])
def test_others_cannot_launch_edit_or_delete(
    org: Any, campaign: Campaign, role: str, expected: int
) -> None:
    client = _client(getattr(org, role))
    assert client.get(f"/campaigns/{campaign.pk}/edit/").status_code == expected
    assert client.post(f"/campaigns/{campaign.pk}/letters/").status_code == expected
    client.post(f"/campaigns/{campaign.pk}/launch/")
    client.post(f"/campaigns/{campaign.pk}/delete/")
    campaign.refresh_from_db()
    assert (campaign.status, campaign.deleted_at, Delivery.objects.count()) == ("draft", None, 0)


def test_the_list_costs_constant_queries(
    org: Any, campaign: Campaign, django_assert_max_num_queries: Any
) -> None:
    client = _client(org.owner)
    for n in range(30):
        CampaignFactory(owner=org.owner, name=f"Bulk {n}")
    with django_assert_max_num_queries(12):
        response = client.get("/campaigns/?ordering=-created_at")
    assert response.content.decode().count('id="campaign-') == 31


def test_the_create_page_is_prefilled_for_an_event_invitation(org: Any) -> None:
    event = EventFactory(owner=org.owner, name="Hannover Messe")
    foreign = EventFactory(owner=org.other, name="Their fair")
    client = _client(org.owner)
    page = client.get(f"/campaigns/new/?kind=invitation&event={event.pk}").content.decode()
    assert 'value="Invitation: Hannover Messe"' in page
    assert re.search(rf'<option value="{event.pk}" selected>Hannover Messe</option>', page)
    assert '<option value="invitation" selected>' in page
    assert "{{ rsvp_url }}" in page
    other = client.get(f"/campaigns/new/?kind=invitation&event={foreign.pk}").content.decode()
    assert "Their fair" not in other


def test_creating_through_the_form(org: Any) -> None:
    client = _client(org.owner)
    data = {
        "name": "Newsletter",
        "kind": "newsletter",
        "channels": ["email"],
        "subject": "News",
        "body": "Hello {{ contact.first_name }}",
    }
    bad = client.post("/campaigns/new/", {**data, "body": "{% if %}"})
    assert bad.status_code == 200
    assert "The template is not valid" in bad.content.decode()
    assert Campaign.objects.count() == 0
    response = client.post("/campaigns/new/", data)
    campaign = Campaign.objects.get()
    assert response["Location"] == f"/campaigns/{campaign.pk}/"
    assert (campaign.owner, campaign.channels) == (org.owner, ["email"])
    assert _client(org.auditor).get("/campaigns/new/").status_code == 403


def test_editing_with_a_stale_version_says_so_and_keeps_the_newer(
    org: Any, campaign: Campaign
) -> None:
    client = _client(org.owner)
    form = {
        "name": "Renamed",
        "kind": "new_product",
        "channels": ["email"],
        "subject": "S",
        "body": "B",
        "version": 1,
    }
    assert client.post(f"/campaigns/{campaign.pk}/edit/", form).status_code == 302
    stale = client.post(f"/campaigns/{campaign.pk}/edit/", {**form, "name": "Stale"})
    assert stale.status_code == 200
    assert "Someone saved this campaign" in stale.content.decode()
    campaign.refresh_from_db()
    assert (campaign.name, campaign.version) == ("Renamed", 2)


def test_audience_and_preview_fragments(org: Any, campaign: Campaign) -> None:
    client = _client(org.owner)
    audience = client.get(f"/campaigns/{campaign.pk}/audience/").content.decode()
    assert "<strong>2</strong> contacts match" in audience
    assert '<li class="list-inline-item" data-channel="post">post: <strong>1</strong></li>' in (
        audience
    )
    contact = Contact.objects.get(last_name="Mail")
    preview = client.get(f"/campaigns/{campaign.pk}/preview/?contact={contact.pk}")
    assert "For Acme" in preview.content.decode()
    assert "Hi Anna" in preview.content.decode()
    stranger = ContactFactory(account=AccountFactory(owner=org.other))
    refused = client.get(f"/campaigns/{campaign.pk}/preview/?contact={stranger.pk}")
    assert "Choose a contact you can see." in refused.content.decode()


def test_launch_report_letters_and_deals_from_the_pages(
    org: Any, campaign: Campaign, django_capture_on_commit_callbacks: Any
) -> None:
    client = _client(org.owner)
    with django_capture_on_commit_callbacks(execute=False):
        assert client.post(f"/campaigns/{campaign.pk}/launch/").status_code == 302
    campaign.refresh_from_db()
    assert campaign.status == choices.CampaignStatus.SENDING
    page = client.get(f"/campaigns/{campaign.pk}/").content.decode()
    assert '<tr data-status="queued"><td>Queued</td><td class="text-end">2</td></tr>' in page
    letters = client.post(f"/campaigns/{campaign.pk}/letters/")
    assert letters["Content-Type"] == "application/pdf"
    assert letters.content.startswith(b"%PDF")
    mail = Delivery.objects.get(channel="email")
    Delivery.objects.filter(pk=mail.pk).update(replied_at=mail.created_at)
    report = client.get(f"/campaigns/{campaign.pk}/report/?status=replied").content.decode()
    assert f'id="recipient-{mail.pk}"' in report
    assert f'value="{mail.pk}"' in report
    client.post(f"/campaigns/{campaign.pk}/deals/", {"delivery": [str(mail.pk), "x"]})
    report = client.get(f"/campaigns/{campaign.pk}/report/").content.decode()
    assert '<td class="text-end" id="campaign-deals-count">1</td>' in report
    assert client.post(f"/campaigns/{campaign.pk}/cancel/").status_code == 302
    campaign.refresh_from_db()
    assert campaign.status == choices.CampaignStatus.CANCELLED


def test_the_report_page_costs_constant_queries(
    org: Any, campaign: Campaign, django_assert_max_num_queries: Any
) -> None:
    services.campaign_launch(user=org.owner, campaign=campaign)
    account = AccountFactory(owner=org.owner)
    for _n in range(40):
        DeliveryFactory(campaign=campaign, contact__account=account, replied_at=campaign.created_at)
    client = _client(org.owner)
    with django_assert_max_num_queries(16):
        page = client.get(f"/campaigns/{campaign.pk}/report/").content.decode()
    assert page.count('<tr id="recipient-') == 42


def test_saving_the_audience_offers_it_to_the_next_campaign(org: Any, campaign: Campaign) -> None:
    from kam.accounts.models import SavedFilter

    Campaign.objects.filter(pk=campaign.pk).update(audience_query="q=Mail")
    client = _client(org.owner)
    client.post(f"/campaigns/{campaign.pk}/save-audience/", {"name": "Mail people"})
    saved = SavedFilter.objects.get()
    assert (saved.owner, saved.list_name, saved.name, saved.query) == (
        org.owner,
        "contacts",
        "Mail people",
        "q=Mail",
    )
    form = client.get("/campaigns/new/").content.decode()
    assert f'<option value="{saved.pk}">Mail people</option>' in form
    _client(org.auditor).post(f"/campaigns/{campaign.pk}/save-audience/", {"name": "Audit"})
    _client(org.other).post(f"/campaigns/{campaign.pk}/save-audience/", {"name": "Other"})
    assert SavedFilter.objects.count() == 1
