"""Enumerations of the orders app."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class OrderStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    CONFIRMED = "confirmed", _("Confirmed")
    IN_FULFILMENT = "in_fulfilment", _("In fulfilment")
    SHIPPED = "shipped", _("Shipped")
    DELIVERED = "delivered", _("Delivered")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


# Not yet delivered, closed or cancelled: may still be cancelled, may be overdue.
OPEN_STATUSES = frozenset(
    {
        OrderStatus.RECEIVED,
        OrderStatus.CONFIRMED,
        OrderStatus.IN_FULFILMENT,
        OrderStatus.SHIPPED,
    }
)
# Orders that take goods out on credit: they count in the account's credit exposure.
EXPOSURE_STATUSES = frozenset(
    {
        OrderStatus.CONFIRMED,
        OrderStatus.IN_FULFILMENT,
        OrderStatus.SHIPPED,
        OrderStatus.DELIVERED,
    }
)
# Statuses in which goods may be delivered (partially or wholly).
DELIVERABLE_STATUSES = frozenset(
    {OrderStatus.CONFIRMED, OrderStatus.IN_FULFILMENT, OrderStatus.SHIPPED}
)
# The moves a user makes by hand; `delivered` is reached by recording deliveries.
TRANSITIONS: dict[str, frozenset[str]] = {
    OrderStatus.RECEIVED: frozenset({OrderStatus.CONFIRMED, OrderStatus.CANCELLED}),
    OrderStatus.CONFIRMED: frozenset({OrderStatus.IN_FULFILMENT, OrderStatus.CANCELLED}),
    OrderStatus.IN_FULFILMENT: frozenset({OrderStatus.SHIPPED, OrderStatus.CANCELLED}),
    OrderStatus.SHIPPED: frozenset({OrderStatus.CANCELLED}),
    OrderStatus.DELIVERED: frozenset({OrderStatus.CLOSED}),
    OrderStatus.CLOSED: frozenset(),
    OrderStatus.CANCELLED: frozenset(),
}


class ApprovalReason(models.TextChoices):
    CREDIT_LIMIT = "credit_limit", _("Credit limit exceeded")
    DISCOUNT = "discount", _("Discount above the role's limit")


class ApprovalStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class Decision(models.TextChoices):
    APPROVE = "approve", _("Approve")
    REJECT = "reject", _("Reject")


class TaskStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")


# The departments an order's internal tasks go to (users.Department.Kind values).
TASK_DEPARTMENT_KINDS = ("logistics", "finance", "production", "legal")


class QuoteStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SENT = "sent", _("Sent")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")
    EXPIRED = "expired", _("Expired")


# Days a new quote stays valid unless the user gives a date.
QUOTE_VALID_DAYS = 30
