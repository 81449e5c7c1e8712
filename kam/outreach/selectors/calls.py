"""Reads of calls and consents: the caller card, telephony lines, consents by contact access."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from kam.accounts.models import Account, Contact, ContactConsent
from kam.core import access
from kam.orders.choices import OPEN_STATUSES
from kam.orders.models import Order
from kam.outreach.choices import CALL_LIVE_STATES, CallDirection
from kam.outreach.models import Call, TelephonyLine
from kam.sales.choices import Outcome
from kam.sales.models import Deal

# A call still "ringing" after this long lost its end event: no card for it any more.
LIVE_WINDOW = timedelta(minutes=30)
MAX_CARDS = 3
# Open deals and orders shown per caller; the account page has the rest.
ITEMS_PER_CARD = 5


@dataclass
class CallerCard:
    """What the person called sees of an incoming call: the contact and account only when
    he may see the account; the number always."""

    call: Call
    contact: Contact | None = None
    account: Account | None = None
    deals: list[Deal] = field(default_factory=list)
    orders: list[Order] = field(default_factory=list)

    @property
    def number(self) -> str:
        return self.call.from_number


def live_calls(*, user: Any) -> list[Call]:
    """The user's incoming calls that ring or are in progress and that he has not dismissed,
    newest first (one query)."""
    return list(
        Call.objects.filter(
            user=user,
            direction=CallDirection.INBOUND,
            state__in=CALL_LIVE_STATES,
            dismissed_at__isnull=True,
            started_at__gte=timezone.now() - LIVE_WINDOW,
        )
        .select_related("contact", "account")
        .order_by("-started_at", "-id")[:MAX_CARDS]
    )


def live_signature(calls: list[Call]) -> str:
    """Changes when a card would: a call comes, moves on or goes."""
    return "-".join(f"{call.pk}.{call.state}" for call in calls)


def caller_cards(*, user: Any, calls: list[Call]) -> list[CallerCard]:
    """What `user` may see of each caller. Three queries (four for a team lead), whatever the
    calls, deals and orders."""
    if not calls:
        return []
    wanted = {call.account_id for call in calls if call.account_id}
    visible = _visible_ids(Account.objects.filter(pk__in=wanted), user) if wanted else set()
    deals = _by_account(_open_deals(user, visible), "account_id") if visible else {}
    orders = _by_account(_open_orders(user, visible), "account_id") if visible else {}
    return [_card(call, visible, deals, orders) for call in calls]


def _card(
    call: Call, visible: set[int], deals: dict[int, list[Any]], orders: dict[int, list[Any]]
) -> CallerCard:
    if call.account_id not in visible:
        return CallerCard(call=call)
    contact = call.contact if call.contact and call.contact.deleted_at is None else None
    return CallerCard(
        call=call,
        contact=contact,
        account=call.account,
        deals=deals.get(call.account_id, [])[:ITEMS_PER_CARD],
        orders=orders.get(call.account_id, [])[:ITEMS_PER_CARD],
    )


def _visible_ids(queryset: QuerySet[Any], user: Any) -> set[int]:
    return set(access.scope(queryset, user).values_list("pk", flat=True))


def _open_deals(user: Any, account_ids: set[int]) -> QuerySet[Deal]:
    deals = Deal.objects.filter(account_id__in=account_ids, status=Outcome.OPEN)
    return (
        access.scope(deals, user)
        .only("pk", "title", "account_id", "amount", "currency")
        .order_by("-updated_at", "-pk")[: ITEMS_PER_CARD * MAX_CARDS * 4]
    )


def _open_orders(user: Any, account_ids: set[int]) -> QuerySet[Order]:
    orders = Order.objects.filter(account_id__in=account_ids, status__in=OPEN_STATUSES)
    return (
        access.scope(orders, user)
        .only("pk", "number", "account_id", "status", "total_net", "currency")
        .order_by("-created_at", "-pk")[: ITEMS_PER_CARD * MAX_CARDS * 4]
    )


def _by_account(rows: QuerySet[Any], key: str) -> dict[int, list[Any]]:
    grouped: dict[int, list[Any]] = defaultdict(list)
    for row in rows:
        grouped[getattr(row, key)].append(row)
    return grouped


def line_list(*, user: Any) -> QuerySet[TelephonyLine]:
    """Telephony lines: an admin, head of sales or auditor sees all; a user his own."""
    return access.scope(TelephonyLine.objects.select_related("user"), user)


def consent_list(*, user: Any) -> QuerySet[ContactConsent]:
    """Consents of the contacts `user` may see (a contact's access is its account's)."""
    contacts = access.scope(Contact.objects.all(), user).values("pk")
    return (
        ContactConsent.objects.filter(contact__in=contacts)
        .select_related("contact")
        .order_by("contact_id", "channel")
    )


def call_list(*, user: Any) -> QuerySet[Call]:
    """Calls `user` may see: those to or from him, and those about accounts he may see."""
    return access.scope(
        Call.objects.select_related("contact", "account", "user").order_by("-started_at", "-id"),
        user,
    )


def visible_account_ids(*, user: Any, calls: list[Call]) -> set[int]:
    """Which of the calls' accounts `user` may see (a call to him about someone else's account
    shows him the number only). One query."""
    wanted = {call.account_id for call in calls if call.account_id}
    return _visible_ids(Account.all_objects.filter(pk__in=wanted), user) if wanted else set()
