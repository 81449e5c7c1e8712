"""Reads of the orders app, always scoped to what the user may see (`kam.core.access`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import BooleanField, Count, ExpressionWrapper, Prefetch, Q, QuerySet, Sum
from django.utils import timezone

from kam.accounts.models import Account
from kam.catalog.selectors import agreement_for
from kam.core import access
from kam.core.registry import TimelineCursor
from kam.core.roles import Role
from kam.orders import choices
from kam.orders.models import (
    AccountOrderStats,
    Approval,
    Delivery,
    DeliveryLine,
    DiscountLimit,
    Order,
    OrderLine,
    OrderTask,
)

ZERO = Decimal("0")
PANEL_ORDERS = 10
# The keys the order events are registered under in the core timeline (wiring.py).
TIMELINE_ORDERED = "orders.ordered"
TIMELINE_DELIVERED = "orders.delivered"
TIMELINE_CANCELLED = "orders.cancelled"
# Used when no DiscountLimit row exists for a role (a flushed database): no manual discount.
DEFAULT_DISCOUNT_LIMITS: dict[str, Decimal] = {
    Role.ACCOUNT_MANAGER: Decimal("10"),
    Role.KEY_ACCOUNT_MANAGER: Decimal("15"),
    Role.SALES_HEAD: Decimal("100"),
    Role.ADMIN: Decimal("100"),
}


# --- Credit and discount rules ----------------------------------------------------------------


@dataclass(frozen=True)
class CreditLimit:
    amount: Decimal
    currency: str
    source: str  # "agreement": the key-account agreement's; "account": Account.credit_limit


def credit_limit_for(account: Account, on: date) -> CreditLimit | None:
    """The credit limit that applies to `account` on day `on`, or None when it has none.

    The one place the limit is looked up: the approved key-account agreement in force on `on`
    (the account's own, else its group's, `catalog.selectors.agreement_for`) takes precedence
    when it sets a limit; otherwise the account's own limit.
    """
    agreement = agreement_for(account=account, on=on)
    if agreement is not None and agreement.credit_limit is not None:
        return CreditLimit(
            amount=agreement.credit_limit, currency=agreement.currency, source="agreement"
        )
    if account.credit_limit is None:
        return None
    return CreditLimit(amount=account.credit_limit, currency=account.currency, source="account")


def credit_exposure(
    *, account: Account, currency: str, exclude_order_id: int | None = None
) -> Decimal:
    """Gross total (net + VAT) of the account's confirmed, in-fulfilment, shipped and delivered
    (not closed) orders in `currency`."""
    rows = Order.objects.filter(
        account=account, currency=currency, status__in=choices.EXPOSURE_STATUSES
    )
    if exclude_order_id is not None:
        rows = rows.exclude(pk=exclude_order_id)
    sums = rows.aggregate(net=Sum("total_net"), tax=Sum("total_tax"))
    return (sums["net"] or ZERO) + (sums["tax"] or ZERO)


def discount_limit_for(role: str) -> Decimal:
    """The largest manual discount (percent) `role` may give without approval."""
    row = DiscountLimit.objects.filter(role=role).first()
    if row is not None:
        return row.max_percent
    return DEFAULT_DISCOUNT_LIMITS.get(role, ZERO)


def approvals_for(order: Order) -> QuerySet[Approval]:
    return Approval.objects.filter(
        content_type=ContentType.objects.get_for_model(Order), object_id=order.pk
    ).select_related("requester", "decider")


# --- Orders -----------------------------------------------------------------------------------


def overdue_q(today: date | None = None) -> Q:
    """Open orders with a line past its promised date and not delivered in full."""
    day = today or timezone.localdate()
    return Q(status__in=choices.OPEN_STATUSES, open_promised_date__lt=day)


def with_flags(queryset: QuerySet[Order], today: date | None = None) -> QuerySet[Order]:
    """Annotate `is_overdue` (`overdue_q`), computed from the row itself (no sub-query)."""
    return queryset.annotate(
        is_overdue=ExpressionWrapper(overdue_q(today), output_field=BooleanField())
    )


def order_list(*, user: Any) -> QuerySet[Order]:
    return with_flags(
        Order.objects.visible_to(user)
        .select_related("account", "owner")
        .order_by("-created_at", "-pk")
    )


def order_detail(*, user: Any, order_id: Any, action: access.Action = "view") -> Order:
    queryset = with_flags(
        Order.objects.select_related(
            "account", "owner", "deal", "created_by", "quote"
        ).prefetch_related(
            Prefetch("lines", queryset=OrderLine.objects.select_related("product")),
            Prefetch(
                "deliveries",
                queryset=Delivery.objects.prefetch_related(
                    Prefetch("lines", queryset=DeliveryLine.objects.select_related("line__product"))
                ),
            ),
            Prefetch("tasks", queryset=OrderTask.objects.select_related("department")),
        )
    )
    order: Order = access.get_for(user, queryset, order_id, action)
    return order


def account_orders(*, user: Any, account: Account) -> dict[str, Any]:
    """The account panel: open orders (newest first, capped), counts, repeat figures."""
    visible = Order.objects.visible_to(user).filter(account=account)
    open_orders = list(
        with_flags(visible.filter(status__in=choices.OPEN_STATUSES))
        .select_related("owner")
        .order_by("-created_at", "-pk")[:PANEL_ORDERS]
    )
    counts = visible.aggregate(
        total=Count("pk"),
        open=Count("pk", filter=Q(status__in=choices.OPEN_STATUSES)),
        on_time=Count("pk", filter=Q(is_on_time=True)),
        late=Count("pk", filter=Q(is_on_time=False)),
    )
    stats = AccountOrderStats.objects.filter(account_id=account.pk).first()
    return {"open_orders": open_orders, "counts": counts, "stats": stats}


def deal_orders(*, user: Any, deal: Any) -> list[Order]:
    return list(
        with_flags(Order.objects.visible_to(user).filter(deal=deal))
        .select_related("owner")
        .order_by("-created_at", "-pk")[:PANEL_ORDERS]
    )


def order_events(
    *, user: Any, account: Account, field: str, key: str, before: TimelineCursor | None, limit: int
) -> list[Order]:
    """Orders of `account` visible to `user` with `field` (created_at, delivered_at,
    cancelled_at) set, newest first, after the cursor: one page of a timeline source."""
    rows = Order.objects.visible_to(user).filter(account=account, **{f"{field}__isnull": False})
    if before is not None:
        rows = rows.filter(before.older(key, field))
    return list(rows.select_related("owner").order_by(f"-{field}", "-pk")[:limit])


# --- Approvals and tasks ----------------------------------------------------------------------


def approval_list(*, user: Any) -> QuerySet[Approval]:
    return (
        Approval.objects.visible_to(user)
        .select_related("requester", "decider", "content_type")
        .order_by("-created_at", "-pk")
    )


def orders_by_id(ids: list[int]) -> dict[int, Order]:
    """The orders approvals are about, in one query (for lists of approvals)."""
    return {
        order.pk: order for order in Order.all_objects.filter(pk__in=ids).select_related("account")
    }


def task_list(*, user: Any) -> QuerySet[OrderTask]:
    return (
        OrderTask.objects.visible_to(user)
        .filter(order__deleted_at__isnull=True, contract__deleted_at__isnull=True)
        .select_related("order", "contract", "account", "department", "closed_by")
        .order_by("status", "due_date", "pk")
    )


def contract_tasks(*, user: Any, contract: Any) -> list[OrderTask]:
    """The internal tasks of a contract that `user` may see (open first, then by due date)."""
    return list(
        OrderTask.objects.visible_to(user)
        .filter(contract=contract)
        .select_related("department", "closed_by")
        .order_by("status", "due_date", "pk")
    )
