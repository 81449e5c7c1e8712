"""What the activities app plugs into core: audit, the account timeline, record panels, nav."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from kam.core import registry

ICONS = {
    "call": "telephone",
    "meeting": "people",
    "email": "envelope",
    "chat": "chat-dots",
    "fax": "printer",
    "letter": "mailbox",
    "note": "journal",
    "presentation": "easel",
    "task": "check2-square",
}


def _timeline(
    user: Any, account: Any, before: registry.TimelineCursor | None, limit: int
) -> list[registry.TimelineEntry]:
    """The account's activities for its timeline: one query on the timeline index."""
    from kam.activities.selectors import account_timeline

    return [
        registry.TimelineEntry(
            when=activity.occurred_at,
            kind=str(activity.get_kind_display()),
            title=activity.subject,
            url=reverse("activities:activity_detail", args=[activity.pk]),
            actor=str(activity.owner),
            detail=Truncator(activity.outcome or activity.body).chars(200),
            icon=ICONS.get(activity.kind, "clock-history"),
            pk=activity.pk,
        )
        for activity in account_timeline(
            user=user, account_id=account.pk, before=before, limit=limit
        )
    ]


def _leads_or_sees_all(user: Any) -> bool:
    from kam.core import access

    return access.sees_all(user) or bool(access.led_member_ids(user))


def _refresh_contact_stats(account_id: int) -> None:
    from kam.activities.services import contact_stats_refresh

    contact_stats_refresh(account_id=account_id)


def connect() -> None:
    from kam.activities.models import Activity, CadenceRule
    from kam.activities.selectors import ACTIVITIES_TIMELINE
    from kam.core import audit

    audit.register(
        Activity, exclude=("reminded_at", "overdue_notified_at"), m2m=("contacts", "participants")
    )
    audit.register(CadenceRule)
    registry.register_account_merge_hook("activities.contact_stats", _refresh_contact_stats)
    registry.register_timeline(ACTIVITIES_TIMELINE, _timeline)
    registry.register_panel(
        registry.Panel(
            key="activities.account",
            title=_("Activities and tasks"),
            model="accounts.account",
            url_name="activities:account_panel",
            order=20,
        )
    )
    registry.register_panel(
        registry.Panel(
            key="activities.deal",
            title=_("Activities and tasks"),
            model="sales.deal",
            url_name="activities:deal_panel",
            order=20,
            quick_log=True,
        )
    )
    registry.register_nav(
        registry.NavItem("agenda", _("My agenda"), "activities:agenda", "calendar-day", order=5)
    )
    registry.register_nav(
        registry.NavItem("tasks", _("Tasks"), "activities:task_list", "check2-square", order=6)
    )
    registry.register_nav(
        registry.NavItem(
            "cadence", _("Contact cadence"), "activities:cadence", "hourglass-split", order=12
        )
    )
