"""Reads of events, guests and leads, always scoped to what the user may see.

Guests' names and companies are shown to everyone who may see the event (the staff at the door
must recognise them); their e-mail addresses and phone numbers only to users who may also see
the contact (his account). See docs/outreach-events.md.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from kam.accounts.duplicates import find_account_duplicates
from kam.accounts.models import Account, Contact
from kam.accounts.search import search as search_accounts
from kam.core import access
from kam.outreach.choices import CampaignStatus, DeliveryStatus, GuestStatus
from kam.outreach.models import Delivery, Event, EventGuest, EventLead
from kam.sales.choices import Outcome

# A delivery in one of these states reached the mail server (or the post, the fax): the
# invitation counts as sent. Bounced and failed ones did not reach the guest.
SENT_STATUSES = (
    DeliveryStatus.SENT,
    DeliveryStatus.DELIVERED,
    DeliveryStatus.OPENED,
    DeliveryStatus.CLICKED,
    DeliveryStatus.UNSUBSCRIBED,
)
CHECKIN_LIMIT = 20
CHECKIN_MIN_LENGTH = 2
DUPLICATE_MIN_SCORE = 60


def event_list(*, user: Any) -> QuerySet[Event]:
    """The live events `user` may see, with their guest counts, soonest-starting last."""
    return (
        Event.objects.visible_to(user)
        .select_related("owner")
        .annotate(
            registered_count=Count(
                "guests",
                filter=Q(guests__status__in=(GuestStatus.REGISTERED, GuestStatus.ATTENDED)),
            ),
            attended_count=Count("guests", filter=Q(guests__status=GuestStatus.ATTENDED)),
        )
        .order_by("-starts_at", "-pk")
    )


def event_detail(*, user: Any, event_id: Any) -> Event:
    queryset = Event.objects.select_related("owner").prefetch_related("staff")
    event: Event = access.get_for(user, queryset, event_id)
    return event


def visible_contact_ids(*, user: Any, contact_ids: list[int]) -> set[int]:
    """Which of these contacts `user` may see (one query)."""
    rows = Contact.objects.filter(pk__in=contact_ids).filter(access.visible_q(user, Contact))
    return set(rows.values_list("pk", flat=True))


@dataclass(frozen=True)
class GuestRow:
    """A guest as a page shows him: contact details only when the user may see the contact."""

    guest: EventGuest
    name: str
    company: str
    emails: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    sees_contact: bool = False


def guest_rows(*, user: Any, guests: list[EventGuest]) -> list[GuestRow]:
    """Shape guests for a page (they come with `contact` and `account` selected)."""
    visible = visible_contact_ids(user=user, contact_ids=[g.contact_id for g in guests])
    rows = []
    for guest in guests:
        sees = guest.contact_id in visible
        rows.append(
            GuestRow(
                guest=guest,
                name=str(guest.contact) or guest.contact.last_name,
                company=guest.account.name,
                emails=[str(e) for e in guest.contact.emails or []] if sees else [],
                phones=[str(p) for p in guest.contact.phones or []] if sees else [],
                sees_contact=sees,
            )
        )
    return rows


def guests_of(*, event: Event, status: str | None = None) -> QuerySet[EventGuest]:
    """The event's guests (the caller may see the event), by name."""
    queryset = EventGuest.objects.filter(event=event).select_related(
        "contact", "account", "checked_in_by"
    )
    if status:
        queryset = queryset.filter(status=status)
    return queryset.order_by("contact__last_name", "contact__first_name", "pk")


def leads_of(*, event: Event) -> QuerySet[EventLead]:
    return EventLead.objects.filter(event=event).select_related(
        "account", "contact", "deal", "captured_by"
    )


def guest_search(*, user: Any, event: Event, query: str) -> list[EventGuest]:
    """Guests of the event matching `query`: by name or company for everyone who may see the
    event, by e-mail or phone only among the contacts `user` may see. One query on the event's
    guests (the (event, status) index bounds it to this event)."""
    text = query.strip()[:100]
    if len(text) < CHECKIN_MIN_LENGTH:
        return []
    by_name = Q()
    for word in text.split()[:4]:
        by_name &= (
            Q(contact__first_name__icontains=word)
            | Q(contact__last_name__icontains=word)
            | Q(account__name__icontains=word)
        )
    digits = "".join(ch for ch in text if ch.isdigit())
    by_address = Q(contact__emails__icontains=text) if "@" in text or "." in text else Q(pk__in=[])
    if len(digits) >= 4:
        by_address |= Q(contact__phones__icontains=digits[-9:])
    visible_contacts = Contact.all_objects.filter(access.visible_q(user, Contact)).values("pk")
    rows = (
        guests_of(event=event)
        .filter(by_name | (by_address & Q(contact__in=visible_contacts)))
        .order_by("contact__last_name", "contact__first_name", "pk")
    )
    return list(rows[:CHECKIN_LIMIT])


def walk_in_candidates(*, user: Any, event: Event, query: str) -> list[Contact]:
    """Contacts `user` may see who match `query` (the accounts' full-text index) and are not
    guests of the event yet: the people one can add as walk-ins."""
    hits = [
        hit for hit in search_accounts(user, query, limit=CHECKIN_LIMIT) if hit.kind == "contact"
    ]
    if not hits:
        return []
    ids = [hit.id for hit in hits]
    taken = set(
        EventGuest.objects.filter(event=event, contact__in=ids).values_list("contact", flat=True)
    )
    contacts = Contact.objects.select_related("account").in_bulk([i for i in ids if i not in taken])
    return [contacts[i] for i in ids if i in contacts]


def lead_duplicates(*, user: Any, company_name: str, email: str = "") -> list[dict[str, Any]]:
    """Accounts `user` may see that look like the company typed at the stand, best first."""
    data = {"name": company_name, "emails": [email] if email else []}
    return [
        {"id": candidate.id, "name": candidate.record.name, "score": candidate.score}
        for candidate in find_account_duplicates(data, user=user, limit=5)
        if candidate.score >= DUPLICATE_MIN_SCORE
    ]


# --- The event report ------------------------------------------------------------------------


@dataclass(frozen=True)
class EventReport:
    """The event's figures. Money is per currency: revenue in the deals' currencies, the budget
    and the cost per lead in the event's."""

    invited: int
    registered: int
    declined: int
    attended: int
    walk_ins: int
    leads: int
    deals: int
    won_deals: int
    revenue: dict[str, Decimal]
    budget: Decimal
    currency: str
    cost_per_lead: Decimal | None


def _guest_counts(event: Event) -> dict[str, int]:
    attended = Q(status=GuestStatus.ATTENDED)
    answered_yes = Q(status=GuestStatus.REGISTERED) | (attended & Q(responded_at__isnull=False))
    walked_in = attended & Q(responded_at__isnull=True) & Q(delivery__isnull=True)
    return EventGuest.objects.filter(event=event).aggregate(
        registered=Count("pk", filter=answered_yes),
        declined=Count("pk", filter=Q(status=GuestStatus.DECLINED)),
        attended=Count("pk", filter=attended),
        walk_ins=Count("pk", filter=walked_in),
    )


def _invited(event: Event) -> int:
    return Delivery.objects.filter(
        campaign__event=event,
        campaign__deleted_at__isnull=True,
        status__in=SENT_STATUSES,
    ).count()


def _deal_figures(event: Event) -> tuple[int, int, dict[str, Decimal]]:
    rows = (
        EventLead.objects.filter(event=event, deal__isnull=False, deal__deleted_at__isnull=True)
        .values_list("deal_id", "deal__status", "deal__amount", "deal__currency")
        .distinct()
    )
    revenue: dict[str, Decimal] = defaultdict(lambda: Decimal("0.00"))
    deals = won = 0
    for _deal_id, status, amount, currency in rows:
        deals += 1
        if status == Outcome.WON:
            won += 1
            revenue[currency] += amount
    return deals, won, dict(sorted(revenue.items()))


def event_report(*, event: Event) -> EventReport:
    """Invited (sent invitations), registered, declined, attended, leads, deals and the revenue
    of the won ones, cost per lead = budget / leads. Four queries whatever the event's size."""
    counts = _guest_counts(event)
    leads = EventLead.objects.filter(event=event).count()
    deals, won, revenue = _deal_figures(event)
    cost = (event.budget / leads).quantize(Decimal("0.01")) if leads else None
    return EventReport(
        invited=_invited(event),
        registered=counts["registered"],
        declined=counts["declined"],
        attended=counts["attended"],
        walk_ins=counts["walk_ins"],
        leads=leads,
        deals=deals,
        won_deals=won,
        revenue=revenue,
        budget=event.budget,
        currency=event.currency,
        cost_per_lead=cost,
    )


def invitation_campaigns(*, event: Event) -> list[Any]:
    """The event's live invitation campaigns (any kind pointing at the event), newest first."""
    return list(
        event.campaigns.filter(deleted_at__isnull=True)
        .exclude(status=CampaignStatus.CANCELLED)
        .order_by("-created_at", "-pk")[:20]
    )


# --- The account page ------------------------------------------------------------------------


def account_events(*, user: Any, account: Account) -> list[EventGuest]:
    """The events the account's people attended or registered for, that `user` may see."""
    visible_events = Event.objects.visible_to(user).values("pk")
    return list(
        EventGuest.objects.filter(
            account=account,
            event__in=visible_events,
            status__in=(GuestStatus.ATTENDED, GuestStatus.REGISTERED),
        )
        .select_related("event", "contact")
        .order_by("-event__starts_at", "pk")[:20]
    )


def is_upcoming(event: Event) -> bool:
    return event.ends_at >= timezone.now()
