"""Launching a campaign writes its outbox once: one Delivery per contact of the audience, queued
on the chosen channel or suppressed with the reason; scheduling, cancelling, the beat task."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kam.accounts.choices import AddressKind, Channel
from kam.accounts.models import AccountAddress
from kam.accounts.tests.factories import AccountFactory, ContactFactory
from kam.outreach import choices
from kam.outreach.models import Campaign, Delivery
from kam.outreach.selectors.campaigns import campaign_recipients
from kam.outreach.services import campaigns as services
from kam.outreach.tasks.campaigns import launch_due_campaigns_task
from kam.outreach.tests.factories import CampaignFactory, consent, reachable_contact

pytestmark = pytest.mark.django_db
NOW = datetime.datetime(2026, 11, 20, 9, 0, tzinfo=datetime.UTC)
DS = choices.DeliveryStatus


@pytest.fixture
def audience(org: Any) -> dict[str, Any]:
    """Seven contacts of the owner's accounts, one of each case, and two he cannot reach."""
    account = AccountFactory(owner=org.owner, name="Acme")
    AccountAddress.objects.create(
        account=account, kind=AddressKind.LEGAL, street="Main 1", postal_code="10115", city="Berlin"
    )
    people = {
        "mail": reachable_contact(account, last_name="Mail"),
        "dnc": reachable_contact(account, last_name="Dnc", do_not_contact=True),
        "withdrawn": ContactFactory(account=account, last_name="Withdrawn", emails=["w@x.io"]),
        "none": ContactFactory(account=account, last_name="None", emails=["n@x.io"]),
        "noaddress": ContactFactory(account=account, last_name="Noaddr", emails=[]),
        "chat": ContactFactory(
            account=account,
            last_name="Chat",
            emails=["c@x.io"],
            phones=["+4930123456"],
            preferred_channel=Channel.CHAT,
        ),
        "post": ContactFactory(account=account, last_name="Post", preferred_channel=Channel.POST),
    }
    consent(people["withdrawn"], Channel.EMAIL, granted=False)
    consent(people["noaddress"], Channel.EMAIL)
    consent(people["chat"], Channel.EMAIL, Channel.CHAT)
    consent(people["post"], Channel.POST)
    # Not in the audience: another manager's account, and a contact in the trash.
    reachable_contact(AccountFactory(owner=org.other), last_name="Foreign")
    reachable_contact(account, last_name="Trashed", deleted_at=NOW)
    return people


def _campaign(org: Any, **extra: Any) -> Campaign:
    data = {
        "name": "Winter news",
        "kind": choices.CampaignKind.NEWSLETTER,
        "subject": "News for {{ account.name }}",
        "body": "Dear {{ contact.first_name }}",
        "channels": [Channel.EMAIL, Channel.CHAT, Channel.POST],
        **extra,
    }
    return services.campaign_create(user=org.owner, data=data)


def _rows(campaign: Campaign) -> dict[str, tuple[str, str, str, str]]:
    return {
        d.contact.last_name: (d.status, d.channel, d.address, d.reason)
        for d in Delivery.objects.filter(campaign=campaign).select_related("contact")
    }


def test_launch_writes_one_row_per_contact_with_the_channel_or_the_reason(
    org: Any, audience: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    campaign = _campaign(org)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        counts = services.campaign_launch(user=org.owner, campaign=campaign)
    assert counts == {"queued": 3, "suppressed": 4}
    mail = audience["mail"].emails[0]
    assert _rows(campaign) == {
        "Mail": (DS.QUEUED, "email", mail, ""),
        "Dnc": (DS.SUPPRESSED, "", "", "The contact is marked do not contact."),
        "Withdrawn": (
            DS.SUPPRESSED,
            "",
            "",
            "No consent on E-mail. No consent on SMS / chat. No consent on Post.",
        ),
        "None": (
            DS.SUPPRESSED,
            "",
            "",
            "No consent on E-mail. No consent on SMS / chat. No consent on Post.",
        ),
        "Noaddr": (
            DS.SUPPRESSED,
            "",
            "",
            "No address for E-mail. No consent on SMS / chat. No consent on Post.",
        ),
        "Chat": (DS.QUEUED, "chat", "+4930123456", ""),
        "Post": (DS.QUEUED, "post", "Main 1\n10115 Berlin", ""),
    }
    campaign.refresh_from_db()
    assert campaign.status == choices.CampaignStatus.SENDING
    assert campaign.launched_at is not None
    tokens = set(Delivery.objects.values_list("token", flat=True))
    assert len(tokens) == 7
    assert {len(token) for token in tokens} == {43}
    assert len(callbacks) == 1


def test_launch_queues_the_sending_task_after_commit(
    org: Any, audience: dict[str, Any], monkeypatch: Any, django_capture_on_commit_callbacks: Any
) -> None:
    # Isolates the launch from the outbox sender (another topic's work): the task runs eagerly
    # in tests, so the stub it calls is replaced to record the call.
    sent: list[int] = []

    def fake_send(*, campaign_id: int) -> dict[str, int]:
        sent.append(campaign_id)
        return {"sent": 0}

    monkeypatch.setattr("kam.outreach.services.delivery.campaign_send", fake_send)
    campaign = _campaign(org)
    with django_capture_on_commit_callbacks(execute=True):
        services.campaign_launch(user=org.owner, campaign=campaign)
    assert sent == [campaign.pk]


def test_a_second_launch_is_refused_and_writes_nothing(
    org: Any, audience: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    campaign = _campaign(org)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.campaign_launch(user=org.owner, campaign=campaign)
        with pytest.raises(services.CampaignStateError):
            services.campaign_launch(user=org.owner, campaign=campaign)
    assert Delivery.objects.filter(campaign=campaign).count() == 7
    assert len(callbacks) == 1


def test_the_unique_constraint_backs_the_claim(org: Any, audience: dict[str, Any]) -> None:
    from django.db import IntegrityError, transaction

    campaign = _campaign(org)
    services.campaign_launch(user=org.owner, campaign=campaign)
    first = Delivery.objects.filter(campaign=campaign).first()
    assert first is not None
    with pytest.raises(IntegrityError), transaction.atomic():
        Delivery.objects.create(
            campaign=campaign, contact=first.contact, account=first.account, token="again"
        )


def test_launch_costs_a_bounded_number_of_queries_per_chunk(
    org: Any, audience: dict[str, Any]
) -> None:
    services.campaign_launch(user=org.owner, campaign=_campaign(org))  # warm the caches
    one = _campaign(org, name="Whole")
    with CaptureQueriesContext(connection) as whole:
        services.campaign_launch(user=org.owner, campaign=one, chunk_size=1000)
    two = _campaign(org, name="Chunked")
    with CaptureQueriesContext(connection) as chunked:
        services.campaign_launch(user=org.owner, campaign=two, chunk_size=2)
    # 7 contacts: four chunks against one; each chunk reads contacts, consents and postal
    # addresses and writes its rows in one INSERT: 4 queries a chunk, whatever its size.
    assert len(chunked) - len(whole) == 3 * 4
    assert len(whole) == 12
    inserts = [q for q in chunked.captured_queries if q["sql"].startswith("INSERT")]
    assert len(inserts) == 4 + 1  # the rows, and the audit entry of the launch


def test_an_audience_query_narrows_the_launch(org: Any, audience: dict[str, Any]) -> None:
    campaign = _campaign(org, audience_query="q=Mail")
    assert services.campaign_launch(user=org.owner, campaign=campaign) == {
        "queued": 1,
        "suppressed": 0,
    }
    assert list(campaign.deliveries.values_list("contact__last_name", flat=True)) == ["Mail"]


def test_only_the_owner_or_the_head_launches(org: Any, audience: dict[str, Any]) -> None:
    from kam.core.errors import NotFoundError, PermissionDeniedError

    campaign = _campaign(org)
    with pytest.raises(NotFoundError):
        services.campaign_launch(user=org.other, campaign=campaign)
    with pytest.raises(PermissionDeniedError):
        services.campaign_launch(user=org.auditor, campaign=campaign)
    assert Delivery.objects.count() == 0
    assert services.campaign_launch(user=org.sales_head, campaign=campaign)["queued"] == 3


# --- Scheduling ---------------------------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_a_scheduled_campaign_is_launched_once_when_due(
    org: Any, audience: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    later = NOW + datetime.timedelta(hours=1)
    campaign = _campaign(org, scheduled_at=later)
    assert campaign.status == choices.CampaignStatus.SCHEDULED
    with django_capture_on_commit_callbacks(execute=False):
        assert launch_due_campaigns_task() == []
        with time_machine.travel(later, tick=False):
            assert launch_due_campaigns_task() == [campaign.pk]
            assert launch_due_campaigns_task() == []
    assert Delivery.objects.filter(campaign=campaign).count() == 7
    campaign.refresh_from_db()
    assert campaign.status == choices.CampaignStatus.SENDING
    assert campaign.launched_at == later


@time_machine.travel(NOW, tick=False)
def test_a_schedule_in_the_past_is_a_field_error(org: Any) -> None:
    with pytest.raises(services.CampaignError) as error:
        _campaign(org, scheduled_at=NOW - datetime.timedelta(minutes=1))
    assert error.value.fields == {"scheduled_at": ["Choose a time in the future."]}


@time_machine.travel(NOW, tick=False)
def test_cancelling_a_scheduled_campaign_keeps_it_from_launching(
    org: Any, audience: dict[str, Any]
) -> None:
    campaign = _campaign(org, scheduled_at=NOW + datetime.timedelta(minutes=5))
    services.campaign_cancel(user=org.owner, campaign=campaign)
    with time_machine.travel(NOW + datetime.timedelta(hours=1), tick=False):
        assert launch_due_campaigns_task() == []
    campaign.refresh_from_db()
    assert campaign.status == choices.CampaignStatus.CANCELLED
    assert Delivery.objects.count() == 0


def test_cancelling_a_sending_campaign_fails_what_is_still_queued(
    org: Any, audience: dict[str, Any]
) -> None:
    campaign = _campaign(org)
    services.campaign_launch(user=org.owner, campaign=campaign)
    Delivery.objects.filter(campaign=campaign, channel="email").update(
        status=DS.SENT, sent_at=timezone.now()
    )
    services.campaign_cancel(user=org.owner, campaign=campaign)
    statuses = dict(
        Delivery.objects.filter(campaign=campaign).values_list("contact__last_name", "status")
    )
    assert (statuses["Mail"], statuses["Chat"], statuses["Post"]) == (DS.SENT, DS.FAILED, DS.FAILED)
    assert Delivery.objects.get(contact=audience["chat"]).reason == "The campaign was cancelled."
    with pytest.raises(services.CampaignStateError):
        services.campaign_cancel(user=org.owner, campaign=campaign)


def test_an_empty_audience_launches_nothing_but_is_launched(org: Any) -> None:
    campaign = _campaign(org, audience_query="q=Nobody")
    assert services.campaign_launch(user=org.owner, campaign=campaign) == {
        "queued": 0,
        "suppressed": 0,
    }
    assert Campaign.objects.get(pk=campaign.pk).status == choices.CampaignStatus.SENDING


def test_consent_withdrawn_after_creation_is_respected_at_launch(
    org: Any, audience: dict[str, Any]
) -> None:
    campaign = _campaign(org, channels=[Channel.EMAIL])
    consent(audience["mail"], Channel.EMAIL, granted=False)
    services.campaign_launch(user=org.owner, campaign=campaign)
    assert _rows(campaign)["Mail"] == (DS.SUPPRESSED, "", "", "No consent on E-mail.")


def test_factory_campaigns_are_drafts(org: Any) -> None:
    assert CampaignFactory(owner=org.owner).status == choices.CampaignStatus.DRAFT


@time_machine.travel(NOW, tick=False)
def test_a_campaign_whose_owner_left_does_not_hold_back_the_others(
    org: Any, audience: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    due = NOW + datetime.timedelta(minutes=1)
    orphan = services.campaign_create(
        user=org.peer,
        data={
            "name": "Orphan",
            "kind": "newsletter",
            "subject": "S",
            "body": "B",
            "channels": ["email"],
            "scheduled_at": due,
        },
    )
    org.peer.is_active = False
    org.peer.save()
    campaign = _campaign(org, scheduled_at=due + datetime.timedelta(seconds=1))
    later = due + datetime.timedelta(minutes=1)
    with time_machine.travel(later, tick=False), django_capture_on_commit_callbacks(execute=False):
        assert launch_due_campaigns_task() == [campaign.pk]
    orphan.refresh_from_db()
    assert orphan.status == choices.CampaignStatus.SCHEDULED


def test_a_marketing_campaign_reaches_every_consented_contact_but_marketing_sees_no_rows(
    org: Any, django_capture_on_commit_callbacks: Any
) -> None:
    reachable_contact(AccountFactory(owner=org.owner), last_name="Owners")
    reachable_contact(AccountFactory(owner=org.other), last_name="Others")
    ContactFactory(
        account=AccountFactory(owner=org.kam), last_name="Unconsented", emails=["u@x.io"]
    )
    campaign = CampaignFactory(owner=org.marketing)
    with django_capture_on_commit_callbacks(execute=False):
        counts = services.campaign_launch(user=org.marketing, campaign=campaign)

    assert counts == {"queued": 2, "suppressed": 1}
    assert list(campaign_recipients(user=org.marketing, campaign=campaign)) == []
    seen_by_owner = campaign_recipients(user=org.owner, campaign=campaign)
    assert [d.contact.last_name for d in seen_by_owner] == ["Owners"]
