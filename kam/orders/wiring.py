"""What the orders app plugs into core: audit, navigation, the account and deal pages' panels,
the account timeline (ordered, delivered, cancelled), the order search."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kam.core import access, registry
from kam.core import audit as core_audit
from kam.core.roles import DEPARTMENT_SCOPED, Role

SEARCH_MIN_LENGTH = 3


def _sees_orders(user: Any) -> bool:
    return access.is_active_user(user) and getattr(user, "role", None) not in DEPARTMENT_SCOPED


def _decides(user: Any) -> bool:
    return access.is_active_user(user) and (
        user.is_superuser or getattr(user, "role", None) in (Role.SALES_HEAD, Role.ADMIN)
    )


def _has_tasks(user: Any) -> bool:
    return access.is_active_user(user)


def _source(field: str, key: str, kind: str, title: Any, icon: str) -> registry.TimelineSource:
    def source(
        user: Any, account: Any, before: registry.TimelineCursor | None, limit: int
    ) -> list[registry.TimelineEntry]:
        from kam.orders.selectors import order_events

        rows = order_events(
            user=user, account=account, field=field, key=key, before=before, limit=limit
        )
        return [
            registry.TimelineEntry(
                when=getattr(order, field),
                kind=kind,
                title=str(title) % {"number": order.number},
                url=reverse("orders:order_detail", args=[order.pk]),
                actor=str(order.owner),
                detail=order.cancel_reason if field == "cancelled_at" else "",
                icon=icon,
                pk=order.pk,
            )
            for order in rows
        ]

    return source


QUOTE_EXISTS = "quote_exists"


def quote_exists(deal: Any) -> str | None:
    """The deal has a quote that is not rejected or expired (stage requirement "quote_exists")."""
    from kam.orders.quotes_selectors import deal_has_quote

    if deal_has_quote(deal):
        return None
    return _("Make a quote for the deal first.")


def _search(user: Any, query: str, limit: int) -> list[registry.SearchHit]:
    from kam.orders.models import Order

    if len(query) < SEARCH_MIN_LENGTH:
        return []
    orders = (
        Order.objects.visible_to(user)
        .filter(number__icontains=query)
        .select_related("account")
        .order_by("-created_at", "-pk")[:limit]
    )
    return [
        registry.SearchHit(
            kind=_("Order"),
            title=order.number,
            subtitle=f"{order.account.name} · {order.get_status_display()}",
            url=reverse("orders:order_detail", args=[order.pk]),
            score=0.8,
        )
        for order in orders
    ]


def _refresh_order_stats(account_id: int) -> None:
    from kam.accounts.models import Account
    from kam.orders.services import account_stats_refresh

    account_stats_refresh(account=Account.all_objects.get(pk=account_id))


def connect() -> None:
    from kam.orders import selectors
    from kam.orders.models import (
        Approval,
        BonusSettlement,
        Delivery,
        DiscountLimit,
        Order,
        OrderLine,
        OrderTask,
    )

    core_audit.register(Order)
    registry.register_account_merge_hook("orders.account_stats", _refresh_order_stats)
    core_audit.register(OrderLine, exclude=("overdue_notified_at",))
    core_audit.register(Delivery)
    core_audit.register(Approval)
    core_audit.register(OrderTask, exclude=("escalated_at",))
    core_audit.register(DiscountLimit)
    core_audit.register(BonusSettlement, exclude=("notified_at",))
    registry.register_nav(
        registry.NavItem(
            "orders",
            gettext_lazy("Orders"),
            "orders:order_list",
            "box-seam",
            order=30,
            visible=_sees_orders,
        )
    )
    registry.register_nav(
        registry.NavItem(
            "approvals",
            gettext_lazy("Approvals"),
            "orders:approval_list",
            "check2-square",
            order=31,
            visible=_decides,
        )
    )
    registry.register_nav(
        registry.NavItem(
            "order_tasks",
            gettext_lazy("Department tasks"),
            "orders:task_list",
            "list-task",
            order=32,
            visible=_has_tasks,
        )
    )
    registry.register_panel(
        registry.Panel(
            key="orders.account_orders",
            title=gettext_lazy("Orders"),
            model="accounts.account",
            url_name="orders:account_orders_panel",
            order=30,
            visible=_sees_orders,
        )
    )
    registry.register_panel(
        registry.Panel(
            key="orders.deal_orders",
            title=gettext_lazy("Orders"),
            model="sales.deal",
            url_name="orders:deal_orders_panel",
            order=30,
            visible=_sees_orders,
        )
    )
    registry.register_panel(
        registry.Panel(
            key="orders.account_bonus",
            title=gettext_lazy("Volume bonus"),
            model="accounts.account",
            url_name="orders:account_bonus_panel",
            order=31,
            visible=_sees_orders,
        )
    )
    registry.register_panel(
        registry.Panel(
            key="orders.contract_tasks",
            title=gettext_lazy("Internal tasks"),
            model="contracts.contract",
            url_name="orders:contract_tasks_panel",
            order=40,
            visible=_sees_orders,
        )
    )
    for field, key, kind, title, icon in (
        (
            "created_at",
            selectors.TIMELINE_ORDERED,
            "order_received",
            gettext_lazy("Order %(number)s received"),
            "box-seam",
        ),
        (
            "delivered_at",
            selectors.TIMELINE_DELIVERED,
            "order_delivered",
            gettext_lazy("Order %(number)s delivered"),
            "truck",
        ),
        (
            "cancelled_at",
            selectors.TIMELINE_CANCELLED,
            "order_cancelled",
            gettext_lazy("Order %(number)s cancelled"),
            "x-octagon",
        ),
    ):
        registry.register_timeline(key, _source(field, key, kind, title, icon))
    registry.register_search("orders", _search)
    _connect_quotes()


def _connect_quotes() -> None:
    from kam.orders.models import Quote, QuoteLine

    core_audit.register(Quote)
    core_audit.register(QuoteLine)
    registry.register_stage_check(
        registry.StageCheck(QUOTE_EXISTS, gettext_lazy("A quote was made"), quote_exists)
    )
    registry.register_nav(
        registry.NavItem(
            "quotes",
            gettext_lazy("Quotes"),
            "orders:quote_list",
            "file-earmark-text",
            order=29,
            visible=_sees_orders,
        )
    )
