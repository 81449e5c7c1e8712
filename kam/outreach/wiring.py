"""What the outreach app plugs into core: audit, navigation, panels, timeline sources, search.

Each topic (mail, calls, campaigns, events) keeps its own registrations in its own function.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kam.core import access, registry


def connect() -> None:
    _mail()
    _calls()
    _campaigns()
    _events()


# --- mail -------------------------------------------------------------------------------------


def _mail() -> None:
    pass


# --- calls ------------------------------------------------------------------------------------


def _calls() -> None:
    pass


# --- campaigns --------------------------------------------------------------------------------


def _campaign_responses(
    user: Any, account: Any, before: registry.TimelineCursor | None, limit: int, *, clicks: bool
) -> list[registry.TimelineEntry]:
    from kam.outreach.selectors import campaigns as selectors

    select = selectors.clicks_for_account if clicks else selectors.replies_for_account
    title = _("Clicked a link in “%(campaign)s”") if clicks else _("Replied to “%(campaign)s”")
    entries = []
    for delivery in select(user=user, account=account, before=before, limit=limit):
        when = delivery.clicked_at if clicks else delivery.replied_at
        entries.append(
            registry.TimelineEntry(
                when=when,  # type: ignore[arg-type]  # the selector keeps rows that have it
                kind="campaign_click" if clicks else "campaign_reply",
                title=title % {"campaign": delivery.campaign.name},
                url=reverse("outreach:campaign_detail", args=[delivery.campaign_id]),
                actor=str(delivery.contact),
                icon="cursor" if clicks else "reply",
                pk=delivery.pk,
            )
        )
    return entries


def _campaign_replies(
    user: Any, account: Any, before: registry.TimelineCursor | None, limit: int
) -> list[registry.TimelineEntry]:
    return _campaign_responses(user, account, before, limit, clicks=False)


def _campaign_clicks(
    user: Any, account: Any, before: registry.TimelineCursor | None, limit: int
) -> list[registry.TimelineEntry]:
    return _campaign_responses(user, account, before, limit, clicks=True)


def _campaigns() -> None:
    from kam.core import audit
    from kam.outreach.models import Campaign
    from kam.outreach.selectors.campaigns import CLICKS_TIMELINE, REPLIES_TIMELINE

    audit.register(Campaign)
    registry.register_timeline(REPLIES_TIMELINE, _campaign_replies)
    registry.register_timeline(CLICKS_TIMELINE, _campaign_clicks)
    registry.register_nav(
        registry.NavItem(
            "campaigns",
            gettext_lazy("Campaigns"),
            "outreach:campaign_list",
            "megaphone",
            order=45,
            visible=access.is_active_user,
        )
    )


# --- events -----------------------------------------------------------------------------------


def _events() -> None:
    pass
