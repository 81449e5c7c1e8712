"""Overdue order lines and overdue department tasks, each announced once.

A beat task runs `alerts_send()`. Like `kam.activities.reminders`, each alert is claimed by a
conditional UPDATE (`... SET overdue_notified_at = now WHERE overdue_notified_at IS NULL`) in its
own short transaction together with the in-app notification: whoever's UPDATE changed the row owns
the alert, so two runs at once never notify twice.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from kam.orders.choices import OPEN_STATUSES, TaskStatus
from kam.orders.models import OrderLine, OrderTask
from kam.users.services import notification_create

BATCH = 500


def _due_lines(today: date) -> list[int]:
    rows = OrderLine.objects.filter(
        completed_on__isnull=True,
        overdue_notified_at__isnull=True,
        promised_date__lt=today,
        order__status__in=OPEN_STATUSES,
        order__deleted_at__isnull=True,
    )
    return list(rows.order_by("promised_date", "pk").values_list("pk", flat=True)[:BATCH])


def _due_tasks(today: date) -> list[int]:
    rows = OrderTask.objects.filter(
        status=TaskStatus.OPEN,
        escalated_at__isnull=True,
        due_date__lt=today,
        order__deleted_at__isnull=True,
        contract__deleted_at__isnull=True,
    )
    return list(rows.order_by("due_date", "pk").values_list("pk", flat=True)[:BATCH])


def _notify(recipient: Any, title: str, body: str, url: str) -> bool:
    if recipient is None or not recipient.is_active:
        return False
    notification_create(recipient=recipient, title=title, body=body, url=url)
    return True


def _day(value: date) -> str:
    return str(formats.date_format(value, "SHORT_DATE_FORMAT"))


def _claim_line(pk: int, *, now: datetime, today: date) -> bool:
    with transaction.atomic():
        claimed = OrderLine.objects.filter(
            pk=pk,
            overdue_notified_at__isnull=True,
            completed_on__isnull=True,
            promised_date__lt=today,
        ).update(overdue_notified_at=now)
        if not claimed:
            return False
        line = OrderLine.objects.select_related("order__owner", "order__account", "product").get(
            pk=pk
        )
        owner = line.order.owner
        assert line.promised_date is not None
        with translation.override(owner.language or settings.LANGUAGE_CODE):
            title = _("Order %(number)s is late: %(product)s") % {
                "number": line.order.number,
                "product": line.product.name,
            }
            body = _(
                "%(missing)s of %(quantity)s still to deliver; promised for %(day)s.\n"
                "Account: %(account)s"
            ) % {
                "missing": line.remaining_quantity,
                "quantity": line.quantity,
                "day": _day(line.promised_date),
                "account": line.order.account.name,
            }
        url = reverse("orders:order_detail", args=[line.order_id])
        return _notify(owner, title, body, url)


def _claim_task(pk: int, *, now: datetime, today: date) -> bool:
    with transaction.atomic():
        claimed = OrderTask.objects.filter(
            pk=pk, escalated_at__isnull=True, status=TaskStatus.OPEN, due_date__lt=today
        ).update(escalated_at=now)
        if not claimed:
            return False
        task = OrderTask.objects.select_related(
            "account__owner", "order", "contract", "department"
        ).get(pk=pk)
        if task.account is None:  # a task from before accounts were kept: nobody to tell
            return False
        owner = task.account.owner
        with translation.override(owner.language or settings.LANGUAGE_CODE):
            title = _("Overdue %(department)s task on %(number)s: %(title)s") % {
                "department": task.department.name,
                "number": task.order.number if task.order else str(task.contract),
                "title": task.title,
            }
            body = _("It was due %(day)s.") % {"day": _day(task.due_date)}
        url = (
            reverse("orders:order_detail", args=[task.order_id])
            if task.order_id
            else reverse("contracts:contract_detail", args=[task.contract_id])
        )
        return _notify(owner, title, body, url)


def alerts_send(*, now: datetime | None = None) -> dict[str, int]:
    """Tell order owners about lines past their promised date and account owners about
    overdue department tasks. Safe to run twice and concurrently: each is claimed once."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    sent = {"late_lines": 0, "escalated_tasks": 0}
    for pk in _due_lines(today):
        sent["late_lines"] += int(_claim_line(pk, now=now, today=today))
    for pk in _due_tasks(today):
        sent["escalated_tasks"] += int(_claim_task(pk, now=now, today=today))
    return sent
