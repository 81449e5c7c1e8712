"""The campaign report (exact counts and rates), its access-scoped recipient rows, responses on
the account timeline, responses into deals, and the post/fax letters as a PDF."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from pypdf import PdfReader

from kam.accounts.choices import AddressKind, Channel, Source
from kam.accounts.models import AccountAddress
from kam.accounts.tests.factories import AccountFactory, ContactFactory
from kam.core import registry
from kam.core.errors import PermissionDeniedError
from kam.outreach import choices, letters
from kam.outreach.models import Campaign, CampaignDeal, Delivery
from kam.outreach.selectors import campaigns as selectors
from kam.outreach.services import campaigns as services
from kam.outreach.tests.factories import CampaignFactory, DeliveryFactory, consent
from kam.sales.models import Deal

pytestmark = pytest.mark.django_db
DS = choices.DeliveryStatus
T = datetime.datetime(2026, 11, 2, 10, 0, tzinfo=datetime.UTC)


@pytest.fixture
def campaign(org: Any) -> Campaign:
    """20 recipients in every state, 16 on the owner's account and 4 on another manager's."""
    campaign = CampaignFactory(
        owner=org.owner, status=choices.CampaignStatus.SENDING, name="Winter", channels=["email"]
    )
    mine, theirs = AccountFactory(owner=org.owner), AccountFactory(owner=org.other)
    plan = [
        (DS.QUEUED, 2, {}),
        (DS.SENDING, 1, {}),
        (DS.SENT, 3, {"sent_at": T}),
        (DS.DELIVERED, 4, {"sent_at": T, "delivered_at": T}),
        (DS.BOUNCED, 1, {"sent_at": T}),
        (DS.OPENED, 2, {"sent_at": T, "opened_at": T}),
        (DS.CLICKED, 2, {"sent_at": T, "opened_at": T, "clicked_at": T}),
        (DS.UNSUBSCRIBED, 1, {"sent_at": T, "unsubscribed_at": T}),
        (DS.FAILED, 2, {"reason": "550 mailbox unavailable", "failed_at": T}),
        (DS.SUPPRESSED, 2, {"channel": "", "address": "", "reason": "No consent on E-mail."}),
    ]
    n = 0
    for status, count, extra in plan:
        for _ in range(count):
            account = theirs if n % 5 == 4 else mine
            DeliveryFactory(campaign=campaign, contact__account=account, status=status, **extra)
            n += 1
    # One delivered and one opened recipient answered by e-mail.
    for row in Delivery.objects.filter(status__in=[DS.DELIVERED, DS.OPENED]).order_by("pk")[:1]:
        Delivery.objects.filter(pk=row.pk).update(replied_at=T + datetime.timedelta(hours=1))
    row = Delivery.objects.filter(status=DS.OPENED).order_by("pk").first()
    assert row is not None
    Delivery.objects.filter(pk=row.pk).update(replied_at=T + datetime.timedelta(hours=2))
    return campaign


def test_the_report_counts_every_status_and_the_rates_of_what_was_sent(
    campaign: Campaign, django_assert_max_num_queries: Any
) -> None:
    with django_assert_max_num_queries(3):
        report = selectors.campaign_report(campaign=campaign)
    assert report["total"] == 20
    assert report["counts"] == {
        "queued": 3,
        "sent": 3,
        "delivered": 4,
        "bounced": 1,
        "opened": 2,
        "clicked": 2,
        "unsubscribed": 1,
        "failed": 2,
        "suppressed": 2,
        "replied": 2,
    }
    assert report["by_channel"]["email"]["queued"] == 3
    assert report["by_channel"][""]["suppressed"] == 2
    # 13 sent (sent, delivered, bounced, opened, clicked, unsubscribed).
    assert report["rates"] == {
        "delivered": Decimal("92.3"),
        "opened": Decimal("30.8"),
        "clicked": Decimal("15.4"),
        "replied": Decimal("15.4"),
        "unsubscribed": Decimal("7.7"),
        "bounced": Decimal("7.7"),
    }
    assert report["deals"] == 0


def test_failed_and_suppressed_reasons_are_counted(campaign: Campaign) -> None:
    assert selectors.reason_counts(campaign=campaign, status=DS.FAILED) == [
        {"reason": "550 mailbox unavailable", "count": 2}
    ]
    assert selectors.reason_counts(campaign=campaign, status=DS.SUPPRESSED) == [
        {"reason": "No consent on E-mail.", "count": 2}
    ]


def test_recipient_rows_are_scoped_by_the_recipients_account(org: Any, campaign: Campaign) -> None:
    assert selectors.campaign_recipients(user=org.owner, campaign=campaign).count() == 16
    assert selectors.campaign_recipients(user=org.sales_head, campaign=campaign).count() == 20
    assert selectors.campaign_recipients(user=org.other, campaign=campaign).count() == 4
    assert (
        selectors.campaign_recipients(user=org.owner, campaign=campaign, status="replied").count()
        == 2
    )
    queued = selectors.campaign_recipients(user=org.sales_head, campaign=campaign, status="queued")
    assert sorted(queued.values_list("status", flat=True)) == ["queued", "queued", "sending"]


def test_replies_and_clicks_show_on_the_account_timeline(org: Any, campaign: Campaign) -> None:
    replied = Delivery.objects.filter(replied_at__isnull=False).order_by("pk").first()
    assert replied is not None
    entries = registry.timeline(org.owner, replied.account, limit=50)
    kinds = [(e.kind, e.title) for e in entries if e.kind.startswith("campaign_")]
    assert ("campaign_reply", "Replied to “Winter”") in kinds
    assert ("campaign_click", "Clicked a link in “Winter”") in kinds
    assert registry.timeline(org.peer, replied.account, limit=50) == []


def test_responders_become_deals_once_each(org: Any, campaign: Campaign) -> None:
    opened = services.responses_to_deals(user=org.owner, campaign=campaign)
    # Responders: 2 replied + 2 clicked = 4, of which those on the owner's accounts he may change.
    responders = Delivery.objects.filter(campaign=campaign).exclude(
        replied_at__isnull=True, clicked_at__isnull=True
    )
    mine = [d for d in responders if d.account.owner_id == org.owner.pk]
    assert opened == len(mine) == 3
    assert services.responses_to_deals(user=org.owner, campaign=campaign) == 0
    deals = Deal.objects.filter(source=Source.CAMPAIGN)
    assert deals.count() == 3
    assert {d.title.split(":")[0] for d in deals} == {"Winter"}
    assert CampaignDeal.objects.filter(campaign=campaign).count() == 3
    assert selectors.campaign_report(campaign=campaign)["deals"] == 3
    assert services.responses_to_deals(user=org.sales_head, campaign=campaign) == 1


def test_a_single_responder_turns_into_a_deal_and_the_auditor_cannot(
    org: Any, campaign: Campaign
) -> None:
    clicked = Delivery.objects.filter(status=DS.CLICKED, account__owner=org.owner).first()
    assert clicked is not None
    with pytest.raises(PermissionDeniedError):
        services.responses_to_deals(user=org.auditor, campaign=campaign)
    assert (
        services.responses_to_deals(user=org.owner, campaign=campaign, delivery_ids=[clicked.pk])
        == 1
    )
    link = CampaignDeal.objects.get()
    assert link.delivery == clicked
    assert list(link.deal.contacts.all()) == [clicked.contact]


# --- Letters ---------------------------------------------------------------------------------


@pytest.fixture
def letter_campaign(org: Any, settings: Any) -> Campaign:
    settings.KAM_COMPANY_NAME = "KAM Supplies GmbH"
    settings.KAM_COMPANY_ADDRESS = "Hafenstraße 1, 20457 Hamburg"
    settings.KAM_COMPANY_DETAILS = "VAT DE123456789"
    account = AccountFactory(owner=org.owner, name="Acme", legal_name="Acme Holding AG")
    AccountAddress.objects.create(
        account=account, kind=AddressKind.POSTAL, street="Ring 5", postal_code="50667", city="Köln"
    )
    post = ContactFactory(account=account, first_name="Olga", last_name="Post")
    fax = ContactFactory(account=account, first_name="Fritz", last_name="Fax", phones=["+4922100"])
    gone = ContactFactory(account=account, first_name="Gone", last_name="Away")
    consent(post, Channel.POST)
    consent(fax, Channel.FAX)
    consent(gone, Channel.POST)
    campaign = services.campaign_create(
        user=org.owner,
        data={
            "name": "Price list 2027",
            "kind": choices.CampaignKind.PROMOTION,
            "subject": "New prices for {{ account.name }}",
            "body": "Dear {{ contact.full_name }},\nthe 2027 prices are enclosed.",
            "channels": [Channel.POST, Channel.FAX],
        },
    )
    services.campaign_launch(user=org.owner, campaign=campaign)
    consent(gone, Channel.POST, granted=False)  # withdrawn after the launch
    return campaign


def _pages(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def test_letters_are_one_page_per_recipient_and_mark_the_rows_sent_once(
    org: Any, letter_campaign: Campaign
) -> None:
    data, marked = letters.campaign_letters(user=org.owner, campaign=letter_campaign)
    assert marked == 2
    pages = _pages(data)
    assert len(pages) == 2
    post_page = next(p for p in pages if "Olga Post" in p)
    fax_page = next(p for p in pages if "Fritz Fax" in p)
    for text in (
        "KAM Supplies GmbH",
        "Hafenstraße 1, 20457 Hamburg",
        "Acme Holding AG",
        "Ring 5",
        "50667 Köln",
        "New prices for Acme",
        "Dear Olga Post,",
        "the 2027 prices are enclosed.",
    ):
        assert text in post_page
    assert "Fax to +4922100" in fax_page
    assert "Ring 5" not in fax_page
    rows = dict(letter_campaign.deliveries.values_list("contact__last_name", "status"))
    assert rows == {"Post": DS.SENT, "Fax": DS.SENT, "Away": DS.SUPPRESSED}
    assert letter_campaign.deliveries.get(contact__last_name="Away").reason == (
        "No consent on Post."
    )
    sent_at = letter_campaign.deliveries.get(contact__last_name="Post").sent_at
    letter_campaign.refresh_from_db()
    assert letter_campaign.status == choices.CampaignStatus.COMPLETED
    again, marked_again = letters.campaign_letters(user=org.owner, campaign=letter_campaign)
    assert (marked_again, len(_pages(again))) == (0, 2)
    assert letter_campaign.deliveries.get(contact__last_name="Post").sent_at == sent_at


def test_letters_hold_only_the_recipients_one_may_see(org: Any, letter_campaign: Campaign) -> None:
    data, marked = letters.campaign_letters(user=org.other, campaign=letter_campaign)
    assert marked == 0
    assert _pages(data) == ["No letters to print for this campaign."]
    assert letter_campaign.deliveries.filter(status=DS.QUEUED).count() == 3
    assert timezone.now()  # nothing else changed
