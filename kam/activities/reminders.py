"""Reminders and overdue-task notices: to the user's notifications and by e-mail, exactly once.

A beat task runs `notices_send()` every minute. Each notice is claimed by a conditional UPDATE
(`... SET reminded_at = now WHERE reminded_at IS NULL`) in its own short transaction, together
with the in-app notification: whoever's UPDATE changed the row owns the notice, so two runs at
once (two beat ticks, a retried task, two workers) never notify twice. The e-mail goes out after
the claim committed; if sending fails the in-app notification is still there (at most once by
e-mail, exactly once in the UI).
"""

from __future__ import annotations

import logging
import zoneinfo
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from kam.activities import choices
from kam.activities.models import Activity
from kam.users.services import notification_create

logger = logging.getLogger(__name__)
BATCH = 500


@dataclass(frozen=True)
class Notice:
    recipient_email: str
    subject: str
    body: str


def user_zone(user: Any) -> tzinfo:
    """The user's time zone, or the site's when he has none (or an unknown one)."""
    name = getattr(user, "timezone", "") or settings.TIME_ZONE
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def format_for(user: Any, moment: datetime) -> str:
    """`moment` as the user reads it: his time zone, his language's format, the zone's name."""
    zone = user_zone(user)
    local = timezone.localtime(moment, zone)
    return f"{formats.date_format(local, 'DATETIME_FORMAT')} ({zone})"


def _recipient(activity: Activity) -> Any:
    return activity.assignee or activity.owner


def _message(activity: Activity, *, overdue: bool) -> tuple[str, str]:
    recipient = _recipient(activity)
    if overdue:
        assert activity.due_at is not None
        title = _("Overdue task: %(subject)s") % {"subject": activity.subject}
        line = _("This task was due %(when)s.") % {"when": format_for(recipient, activity.due_at)}
    elif activity.is_task and activity.due_at is not None:
        title = _("Reminder: %(subject)s") % {"subject": activity.subject}
        line = _("Task due %(when)s.") % {"when": format_for(recipient, activity.due_at)}
    else:
        title = _("Reminder: %(subject)s") % {"subject": activity.subject}
        line = _("%(kind)s at %(when)s.") % {
            "kind": activity.get_kind_display(),
            "when": format_for(recipient, activity.occurred_at),
        }
    account = _("Account: %(name)s") % {"name": activity.account.name}
    return title, f"{line}\n{account}"


def _claim(pk: int, *, now: datetime, overdue: bool) -> Notice | None:
    """Claim one notice and write its in-app notification (one transaction); None if another
    run claimed it first, it no longer needs one or its recipient left."""
    with transaction.atomic():
        rows = Activity.objects.filter(pk=pk, status=choices.Status.PLANNED)
        if overdue:
            claimed = rows.filter(
                overdue_notified_at__isnull=True, due_at__lt=now, kind=choices.Kind.TASK
            ).update(overdue_notified_at=now)
        else:
            claimed = rows.filter(reminded_at__isnull=True, remind_at__lte=now).update(
                reminded_at=now
            )
        if not claimed:
            return None
        activity = Activity.objects.select_related("account", "owner", "assignee").get(pk=pk)
        recipient = _recipient(activity)
        if not recipient.is_active:
            return None
        with translation.override(recipient.language or settings.LANGUAGE_CODE):
            title, body = _message(activity, overdue=overdue)
            url = reverse("activities:activity_detail", args=[activity.pk])
        notification_create(recipient=recipient, title=title, body=body, url=url)
        link = f"{settings.KAM_BASE_URL}{url}"
        return Notice(recipient.email, title, f"{body}\n\n{link}\n")


def _send(notice: Notice) -> bool:
    if not notice.recipient_email:
        return False
    try:
        send_mail(notice.subject, notice.body, None, [notice.recipient_email])
    except Exception:  # a mail server down must not stop the other notices
        logger.exception("could not e-mail a reminder to %s", notice.recipient_email)
        return False
    return True


def _due(*, now: datetime) -> tuple[list[int], list[int]]:
    reminders = Activity.objects.filter(
        remind_at__isnull=False,
        reminded_at__isnull=True,
        remind_at__lte=now,
        status=choices.Status.PLANNED,
    )
    overdue = Activity.objects.filter(
        kind=choices.Kind.TASK,
        status=choices.Status.PLANNED,
        overdue_notified_at__isnull=True,
        due_at__lt=now,
    )
    return (
        list(reminders.order_by("remind_at").values_list("pk", flat=True)[:BATCH]),
        list(overdue.order_by("due_at").values_list("pk", flat=True)[:BATCH]),
    )


def notices_send(*, now: datetime | None = None) -> dict[str, int]:
    """Send every reminder that is due and announce every task that became overdue.

    Safe to run twice and concurrently: each notice is claimed once. Returns how many of each
    this run sent (in the UI) and how many e-mails went out.
    """
    now = now or timezone.now()
    reminder_ids, overdue_ids = _due(now=now)
    sent = {"reminders": 0, "overdue": 0, "emails": 0}
    for key, ids, overdue in (("reminders", reminder_ids, False), ("overdue", overdue_ids, True)):
        for pk in ids:
            notice = _claim(pk, now=now, overdue=overdue)
            if notice is None:
                continue
            sent[key] += 1
            sent["emails"] += int(_send(notice))
    return sent
