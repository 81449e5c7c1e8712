"""Fetch one record of the orders app and authorise it: missing and invisible both answer 404."""

from __future__ import annotations

from typing import Any

from kam.core.access import Action, get_for
from kam.orders.models import Approval, Order, OrderTask, Quote


def access_order(*, user: Any, order_id: Any, action: Action = "view") -> Order:
    order: Order = get_for(
        user, Order.objects.select_related("account", "owner", "created_by"), order_id, action
    )
    return order


def access_approval(*, user: Any, approval_id: Any, action: Action = "view") -> Approval:
    approval: Approval = get_for(
        user, Approval.objects.select_related("requester", "decider"), approval_id, action
    )
    return approval


def access_order_task(*, user: Any, task_id: Any, action: Action = "view") -> OrderTask:
    task: OrderTask = get_for(
        user, OrderTask.objects.select_related("order", "department"), task_id, action
    )
    return task


def access_quote(*, user: Any, quote_id: Any, action: Action = "view") -> Quote:
    quote: Quote = get_for(
        user, Quote.objects.select_related("account", "owner", "created_by"), quote_id, action
    )
    return quote
