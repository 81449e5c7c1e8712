"""Leads captured at the stand, and the event report's exact figures."""

from __future__ import annotations

from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.urls import reverse

from kam.accounts.choices import Source
from kam.accounts.models import Account, Contact
from kam.accounts.tests.factories import AccountFactory, ContactFactory
from kam.core.errors import ApplicationError, NotFoundError, PermissionDeniedError
from kam.outreach.choices import DeliveryStatus, GuestStatus
from kam.outreach.models import EventGuest, EventLead
from kam.outreach.selectors.events import event_report
from kam.outreach.services.events import (
    EventError,
    LeadInput,
    PossibleDuplicatesError,
    lead_capture,
    new_token,
)
from kam.outreach.tests.event_factories import make_campaign, make_delivery, make_event
from kam.sales.models import Deal
from kam.sales.tests.factories import DealFactory, stage


def _lead(**extra):
    values = {
        "company_name": "Brightwave Optics",
        "contact_first_name": "Lena",
        "contact_last_name": "Vogel",
        "email": "lena.vogel@brightwave.example",
        "phone": "+49 30 9876543",
        "notes": "Wants a demo of the X200",
        **extra,
    }
    return LeadInput(**values)


def test_a_lead_makes_an_account_a_contact_and_a_deal_from_the_event(org):
    event = make_event(org.owner, name="Spring Fair", staff=(org.peer,))

    lead = lead_capture(
        user=org.peer,
        event=event,
        lead=_lead(create_deal=True, deal_amount=Decimal("25000.00"), deal_currency="USD"),
    )

    account = Account.objects.get(name="Brightwave Optics")
    assert (account.source, account.owner) == (Source.EXHIBITION, org.peer)
    contact = Contact.objects.get(account=account)
    assert (contact.first_name, contact.last_name) == ("Lena", "Vogel")
    assert contact.emails == ["lena.vogel@brightwave.example"]
    assert contact.phones == ["+49309876543"]
    deal = Deal.objects.get(account=account)
    assert (deal.source, deal.amount, deal.currency) == (
        Source.EXHIBITION,
        Decimal("25000.00"),
        "USD",
    )
    assert deal.title == "Spring Fair: Brightwave Optics"
    assert list(deal.contacts.all()) == [contact]
    assert (lead.event, lead.account, lead.contact, lead.deal) == (event, account, contact, deal)
    assert (lead.captured_by, lead.notes) == (org.peer, "Wants a demo of the X200")
    assert LogEntry.objects.get_for_object(lead).get().actor == org.peer


def test_without_a_deal_only_the_account_and_contact_are_made(org):
    event = make_event(org.owner)

    lead = lead_capture(user=org.owner, event=event, lead=_lead())

    assert lead.deal is None
    assert Deal.objects.count() == 0


def test_an_existing_account_is_picked_instead_of_made(org):
    event = make_event(org.owner)
    account = AccountFactory(name="Nordwerk GmbH", owner=org.owner)

    lead = lead_capture(user=org.owner, event=event, lead=_lead(account=account, company_name=""))

    assert lead.account == account
    assert Account.objects.count() == 1
    assert Contact.objects.get().account == account


def test_a_company_like_an_existing_account_is_a_warning_until_confirmed(org):
    event = make_event(org.owner)
    existing = AccountFactory(name="Brightwave Optics", owner=org.owner, name_key="")
    from kam.accounts.duplicates import refresh_match_keys

    refresh_match_keys(account=existing)

    with pytest.raises(PossibleDuplicatesError) as warning:
        lead_capture(user=org.owner, event=event, lead=_lead())

    assert [d["id"] for d in warning.value.extra["duplicates"]] == [existing.pk]
    assert (Account.objects.count(), EventLead.objects.count()) == (1, 0)
    lead_capture(user=org.owner, event=event, lead=_lead(ignore_duplicates=True))
    assert (Account.objects.count(), EventLead.objects.count()) == (2, 1)


def test_a_bad_lead_writes_nothing(org):
    event = make_event(org.owner)

    with pytest.raises(ApplicationError) as error:
        lead_capture(user=org.owner, event=event, lead=_lead(phone="not a phone", create_deal=True))

    assert list(error.value.fields) == ["phones"]
    assert (Account.objects.count(), Contact.objects.count(), Deal.objects.count()) == (0, 0, 0)
    with pytest.raises(EventError):
        lead_capture(user=org.owner, event=event, lead=_lead(company_name=" "))


@pytest.mark.parametrize(
    ("who", "error"), [("other", NotFoundError), ("auditor", PermissionDeniedError)]
)
def test_capturing_a_lead_needs_the_right_to_change_the_event(org, who, error):
    event = make_event(org.owner)

    with pytest.raises(error):
        lead_capture(user=getattr(org, who), event=event, lead=_lead())
    assert Account.objects.count() == 0


def test_an_account_one_may_not_change_cannot_be_picked(org):
    event = make_event(org.owner)
    foreign = AccountFactory(owner=org.kam)

    with pytest.raises(NotFoundError):
        lead_capture(user=org.owner, event=event, lead=_lead(account=foreign))
    assert Contact.objects.count() == 0


def test_the_lead_form_shows_duplicates_then_creates_on_confirmation(client, org):
    event = make_event(org.owner)
    existing = AccountFactory(name="Brightwave Optics", owner=org.owner)
    from kam.accounts.duplicates import refresh_match_keys

    refresh_match_keys(account=existing)
    client.force_login(org.owner)
    url = reverse("outreach:lead_capture", args=[event.pk])
    data = {"company_name": "Brightwave Optics", "contact_last_name": "Vogel"}

    first = client.post(url, data)
    html = first.content.decode()
    assert 'id="lead-duplicates"' in html
    assert 'name="ignore_duplicates" value="on"' in html
    second = client.post(url, {**data, "ignore_duplicates": "on"})

    assert second.status_code == 302
    assert EventLead.objects.get().account.name == "Brightwave Optics"
    assert Account.objects.count() == 2


def test_the_lead_form_says_what_is_missing(client, org):
    event = make_event(org.owner)
    client.force_login(org.owner)

    response = client.post(
        reverse("outreach:lead_capture", args=[event.pk]),
        {"contact_last_name": "", "deal_currency": "EURO"},
    )

    form = response.context["form"]
    assert set(form.errors) == {"contact_last_name", "company_name", "deal_currency"}
    assert EventLead.objects.count() == 0


# --- The report ------------------------------------------------------------------------------


def _guest(event, status, *, responded=True, delivery=None):
    from django.utils import timezone

    contact = ContactFactory(account=AccountFactory(owner=event.owner))
    return EventGuest.objects.create(
        event=event,
        contact=contact,
        account=contact.account,
        status=status,
        token=new_token(),
        delivery=delivery,
        responded_at=timezone.now() if responded else None,
    )


def test_the_report_counts_exactly(org, django_assert_max_num_queries):
    event = make_event(org.owner, budget=Decimal("10000.00"), currency="EUR")
    campaign = make_campaign(event, org.owner)
    statuses = [
        DeliveryStatus.SENT,
        DeliveryStatus.DELIVERED,
        DeliveryStatus.OPENED,
        DeliveryStatus.CLICKED,
        DeliveryStatus.BOUNCED,
        DeliveryStatus.FAILED,
        DeliveryStatus.QUEUED,
        DeliveryStatus.SUPPRESSED,
    ]
    for status in statuses:
        make_delivery(campaign, ContactFactory(account=AccountFactory(owner=org.owner)), status)
    _guest(event, GuestStatus.REGISTERED)
    _guest(event, GuestStatus.REGISTERED)
    _guest(event, GuestStatus.DECLINED)
    _guest(event, GuestStatus.ATTENDED)  # registered, then came
    _guest(event, GuestStatus.ATTENDED, responded=False)  # walked in
    _guest(event, GuestStatus.INVITED, responded=False)
    won = stage("Won")
    deals = [
        DealFactory(amount=Decimal("5000.00"), currency="EUR", stage=won, status="won"),
        DealFactory(amount=Decimal("2500.50"), currency="EUR", stage=won, status="won"),
        DealFactory(amount=Decimal("700.00"), currency="USD", stage=won, status="won"),
        DealFactory(amount=Decimal("9999.00"), currency="EUR"),  # still open
    ]
    for deal in deals:
        EventLead.objects.create(event=event, account=deal.account, deal=deal)
    EventLead.objects.create(event=event, account=AccountFactory())  # a lead without a deal

    with django_assert_max_num_queries(4):
        report = event_report(event=event)

    assert (report.invited, report.registered, report.declined) == (4, 3, 1)
    assert (report.attended, report.walk_ins) == (2, 1)
    assert (report.leads, report.deals, report.won_deals) == (5, 4, 3)
    assert report.revenue == {"EUR": Decimal("7500.50"), "USD": Decimal("700.00")}
    assert report.cost_per_lead == Decimal("2000.00")


def test_an_event_without_leads_has_no_cost_per_lead(org):
    report = event_report(event=make_event(org.owner))

    assert (report.invited, report.leads, report.cost_per_lead, report.revenue) == (0, 0, None, {})
