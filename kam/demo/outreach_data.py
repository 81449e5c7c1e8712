"""Demo outreach: past campaigns with every recipient status, one waiting to go out, and an
exhibition with its invitations, answers, check-ins and the leads met at the stand.

Call after the customer base, the sales demo and the catalog exist:

    from kam.demo.outreach_data import add_outreach
    add_outreach(result, seed=1)

Campaigns and their recipients go in with bulk inserts, as the outbox would have left them (only
contacts with consent on the channel and not marked "do not contact" received anything; the others
are recorded as not sent, with the reason). The leads at the fair are created through the accounts
and sales services, as a salesman at the stand would create them.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from kam.accounts.choices import Channel, Source
from kam.accounts.models import Account, Contact, ContactConsent, SavedFilter
from kam.accounts.services import account_create, contact_create
from kam.catalog.models import Product
from kam.core.bulk import insert_rows
from kam.demo.generator import DemoResult
from kam.outreach import consent
from kam.outreach.choices import CampaignKind, CampaignStatus, DeliveryStatus, EventKind
from kam.outreach.choices import GuestStatus as Guest
from kam.outreach.models import Campaign, Delivery, Event, EventGuest, EventLead
from kam.sales.models import Deal, StageChange
from kam.sales.services import deal_create
from kam.users.models import User

AUDIENCE_SIZE = 400  # contacts addressed by each past campaign
# How the sent messages of a past campaign ended, in shares of the sent ones.
OUTCOMES: list[tuple[str, float]] = [
    (DeliveryStatus.SENT, 0.35),
    (DeliveryStatus.OPENED, 0.30),
    (DeliveryStatus.CLICKED, 0.20),
    (DeliveryStatus.BOUNCED, 0.06),
    (DeliveryStatus.UNSUBSCRIBED, 0.04),
    (DeliveryStatus.FAILED, 0.05),
]
FAIL_REASONS: dict[str, str] = {
    DeliveryStatus.BOUNCED: "550 5.1.1 The e-mail account that you tried to reach does not exist",
    DeliveryStatus.FAILED: "421 4.7.0 Try again later (gave up after 5 attempts)",
}
LEADS = [
    ("Nordlicht Maschinenbau GmbH", "Jana", "Weber", "jana.weber@nordlicht.example", 48000),
    ("Baltic Packaging OÜ", "Mart", "Tamm", "mart.tamm@balticpack.example", 22000),
    ("Volga Agro Holding", "Irina", "Sokolova", "i.sokolova@volga-agro.example", 65000),
    ("Tatra Logistics s.r.o.", "Peter", "Novak", "p.novak@tatra-log.example", 0),
    ("Danube Foods Kft.", "Eszter", "Kovacs", "eszter.kovacs@danubefoods.example", 31000),
]


def _pk(contact: Contact) -> int:
    return contact.pk


def _token() -> str:
    return secrets.token_urlsafe(32)


@transaction.atomic
def add_outreach(result: DemoResult, *, seed: int) -> dict[str, int]:
    """Add the demo campaigns and the exhibition; count the new rows into `result`."""
    rng = random.Random(seed * 2_750_159 + 11)
    now = timezone.now().replace(microsecond=0)
    users = {u.username: u for u in User.objects.filter(username__in=["marketing", "kam", "am"])}
    contacts = list(Contact.objects.select_related("account").order_by("id")[: AUDIENCE_SIZE * 4])
    tables: dict[str, int] = {}

    def insert(model: type[models.Model], rows: Iterable[Mapping[str, Any]]) -> None:
        table = model._meta.db_table
        tables[table] = tables.get(table, 0) + insert_rows(model, rows, now=now)

    audience = SavedFilter.objects.create(
        owner=users["marketing"],
        list_name="contacts",
        name="Buyers with e-mail consent",
        query="consent=email",
        is_shared=True,
    )
    product = Product.objects.order_by("-launch_date", "id").first()
    event = _exhibition(now=now, owner=users["kam"], staff=[users["am"], users["marketing"]])
    past = [
        (CampaignKind.NEW_PRODUCT, f"Launch: {product.name}" if product else "New products", 90),
        (CampaignKind.PROMOTION, "Spring promotion: 10% on the core line", 45),
        (CampaignKind.NEWSLETTER, "Quarterly newsletter", 20),
        (CampaignKind.INVITATION, f"Invitation: {event.name}", 40),
    ]
    for kind, name, days_ago in past:
        campaign = _campaign(
            kind=kind,
            name=name,
            owner=users["marketing"],
            launched=now - timedelta(days=days_ago),
            audience=audience,
            product=product if kind == CampaignKind.NEW_PRODUCT else None,
            event=event if kind == CampaignKind.INVITATION else None,
        )
        chunk = sorted(rng.sample(contacts, min(len(contacts), AUDIENCE_SIZE)), key=_pk)
        insert(Delivery, _deliveries(rng, campaign, chunk, sent_at=campaign.launched_at))
        # Who unsubscribed withdrew his e-mail consent there and then.
        ContactConsent.objects.filter(
            channel=Channel.EMAIL,
            contact__deliveries__campaign=campaign,
            contact__deliveries__status=DeliveryStatus.UNSUBSCRIBED,
        ).update(is_granted=False, how=f"Unsubscribed from {campaign.name}"[:200])
    Campaign.objects.create(
        name="Autumn price list",
        kind=CampaignKind.PROMOTION,
        status=CampaignStatus.SCHEDULED,
        subject="Our prices from 1 October, {{ contact.first_name }}",
        body="Dear {{ contact.first_name }},\n\nour new price list is attached.\n\n"
        "Unsubscribe: {{ unsubscribe_url }}",
        channels=[Channel.EMAIL],
        audience_filter=audience,
        audience_query=audience.query,
        scheduled_at=now + timedelta(days=5),
        throttle_per_minute=600,
        owner=users["marketing"],
    )
    invitation = Campaign.objects.get(event=event)
    insert(EventGuest, _guests(rng, event, invitation))
    # Rows the services write for the leads (accounts, contacts, deals and their first stage).
    written = (Account, Contact, Deal, StageChange, EventLead)
    before = {model: model._base_manager.count() for model in written}
    _leads(event=event, staff=users["am"], at=event.starts_at)
    for model in written:
        tables[model._meta.db_table] = model._base_manager.count() - before[model]
    counted = {
        **tables,
        Campaign._meta.db_table: Campaign.objects.count(),
        Event._meta.db_table: Event.objects.count(),
    }
    for table, count in counted.items():
        result.tables[table] = result.tables.get(table, 0) + count
        result.rows += count
    return counted


def _exhibition(*, now: datetime, owner: User, staff: list[User]) -> Event:
    starts = (now - timedelta(days=21)).replace(hour=9, minute=0, second=0)
    event = Event.objects.create(
        name="Industrial Packaging Fair",
        kind=EventKind.EXHIBITION,
        starts_at=starts,
        ends_at=starts + timedelta(days=2, hours=9),
        place="Hall 4, stand B12",
        description="Our stand with the new line; meetings with key accounts by appointment.",
        budget=Decimal("18000.00"),
        currency="EUR",
        owner=owner,
    )
    event.staff.set(staff)
    upcoming = now + timedelta(days=35)
    Event.objects.create(
        name="Product launch webinar",
        kind=EventKind.WEBINAR,
        starts_at=upcoming,
        ends_at=upcoming + timedelta(hours=1),
        place="Online",
        budget=Decimal("1500.00"),
        owner=owner,
    )
    return event


def _campaign(
    *,
    kind: str,
    name: str,
    owner: User,
    launched: datetime,
    audience: SavedFilter,
    product: Product | None,
    event: Event | None,
) -> Campaign:
    body = "Dear {{ contact.first_name }},\n\n"
    if event is not None:
        body += "we would be glad to meet you at our stand. Please answer: {{ rsvp_url }}\n\n"
    else:
        body += "we have news for {{ account.name }}.\n\n"
    return Campaign.objects.create(
        name=name,
        kind=kind,
        status=CampaignStatus.COMPLETED,
        subject=name,
        body=body + "Unsubscribe: {{ unsubscribe_url }}",
        channels=[Channel.EMAIL, Channel.POST]
        if kind == CampaignKind.NEWSLETTER
        else [Channel.EMAIL],
        audience_filter=audience,
        audience_query=audience.query,
        product=product,
        event=event,
        throttle_per_minute=1200,
        owner=owner,
        launched_at=launched,
        completed_at=launched + timedelta(hours=1),
    )


def _deliveries(
    rng: random.Random, campaign: Campaign, contacts: list[Contact], *, sent_at: datetime | None
) -> Iterable[dict[str, Any]]:
    """The recipients as the outbox left them: suppressed where the consent rule says so."""
    assert sent_at is not None
    granted = consent.granted_channels(c.pk for c in contacts)
    postal = consent.postal_addresses({c.account_id for c in contacts})
    statuses = [status for status, _ in OUTCOMES]
    weights = [share for _, share in OUTCOMES]
    for contact in contacts:
        choice = consent.choose(
            contact, campaign.channels, granted.get(contact.pk, set()), postal=postal
        )
        row: dict[str, Any] = {
            "campaign_id": campaign.pk,
            "contact_id": contact.pk,
            "account_id": contact.account_id,
            "token": _token(),
            "created_at": sent_at,
        }
        if not choice.channel:
            yield {**row, "status": DeliveryStatus.SUPPRESSED, "reason": choice.reason}
            continue
        status: str = DeliveryStatus.SENT
        if choice.channel == Channel.EMAIL:
            status = rng.choices(statuses, weights)[0]
        at = sent_at + timedelta(minutes=rng.randint(0, 50))
        yield {
            **row,
            "channel": choice.channel,
            "address": choice.address,
            "status": status,
            "reason": FAIL_REASONS.get(status, ""),
            "attempts": 5 if status == DeliveryStatus.FAILED else 1,
            "message_id": f"{row['token'][:20]}@kam.demo" if choice.channel == "email" else "",
            "sent_at": None if status == DeliveryStatus.FAILED else at,
            "failed_at": at if status == DeliveryStatus.FAILED else None,
            "opened_at": at + timedelta(hours=3)
            if status in (DeliveryStatus.OPENED, DeliveryStatus.CLICKED)
            else None,
            "clicked_at": at + timedelta(hours=3, minutes=2)
            if status == DeliveryStatus.CLICKED
            else None,
            "unsubscribed_at": at + timedelta(days=1)
            if status == DeliveryStatus.UNSUBSCRIBED
            else None,
            # Some of those who clicked also wrote back.
            "replied_at": at + timedelta(days=1, hours=2)
            if status == DeliveryStatus.CLICKED and rng.random() < 0.3
            else None,
        }


def _guests(rng: random.Random, event: Event, invitation: Campaign) -> Iterable[dict[str, Any]]:
    """Invited recipients who answered: some registered (most came), some declined."""
    reached = invitation.deliveries.exclude(
        status__in=[DeliveryStatus.SUPPRESSED, DeliveryStatus.FAILED, DeliveryStatus.BOUNCED]
    ).values_list("pk", "contact_id", "account_id", "sent_at")
    for delivery_id, contact_id, account_id, sent_at in reached:
        answer = rng.random()
        if answer > 0.45:
            continue  # never answered
        registered = answer < 0.35
        attended = registered and rng.random() < 0.75
        responded = (sent_at or event.starts_at) + timedelta(days=rng.randint(1, 10))
        yield {
            "event_id": event.pk,
            "contact_id": contact_id,
            "account_id": account_id,
            "delivery_id": delivery_id,
            "token": _token(),
            "status": Guest.ATTENDED
            if attended
            else Guest.REGISTERED
            if registered
            else Guest.DECLINED,
            "responded_at": responded,
            "checked_in_at": event.starts_at + timedelta(hours=rng.randint(1, 30))
            if attended
            else None,
            "checked_in_by_id": event.owner_id if attended else None,
        }


def _leads(*, event: Event, staff: User, at: datetime) -> None:
    """New companies met at the stand, entered as the salesman there would (services)."""
    for company, first, last, email, amount in LEADS:
        account = account_create(
            user=staff, data={"name": company, "source": Source.EXHIBITION, "status": "prospect"}
        )
        contact = contact_create(
            user=staff,
            data={"account": account, "first_name": first, "last_name": last, "emails": [email]},
        )
        deal = None
        if amount:
            deal = deal_create(
                user=staff,
                data={
                    "account": account,
                    "title": f"First order after {event.name}",
                    "amount": Decimal(amount),
                    "currency": "EUR",
                    "source": Source.EXHIBITION,
                    "contacts": [contact],
                    "next_step": "Send the offer discussed at the stand",
                    "next_step_date": (at + timedelta(days=30)).date(),
                },
            )
        EventLead.objects.create(
            event=event,
            account=account,
            contact=contact,
            deal=deal,
            captured_by=staff,
            notes="Met at the stand on the first day.",
            created_at=at,
        )
