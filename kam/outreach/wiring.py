"""What the outreach app plugs into core: audit, navigation, panels, timeline sources, search.

Each topic (mail, calls, campaigns, events) keeps its own registrations in its own function.
"""

from __future__ import annotations

from datetime import datetime
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
    user: Any, account: Any, before: registry.TimelineCursor | None, limit: int
) -> list[registry.TimelineEntry]:
    from kam.outreach.selectors.campaigns import responses_for_account

    entries = []
    for delivery in responses_for_account(user=user, account=account, before=before, limit=limit):
        when: datetime = delivery.responded_at  # type: ignore[attr-defined]  # annotated
        replied = delivery.replied_at is not None and delivery.replied_at == when
        title = _("Replied to “%(campaign)s”") if replied else _("Clicked a link in “%(campaign)s”")
        entries.append(
            registry.TimelineEntry(
                when=when,
                kind="campaign_reply" if replied else "campaign_click",
                title=title % {"campaign": delivery.campaign.name},
                url=reverse("outreach:campaign_detail", args=[delivery.campaign_id]),
                actor=str(delivery.contact),
                icon="reply" if replied else "cursor",
                pk=delivery.pk,
            )
        )
    return entries


def _campaigns() -> None:
    from kam.core import audit
    from kam.outreach.models import Campaign
    from kam.outreach.selectors.campaigns import RESPONSES_TIMELINE

    audit.register(Campaign)
    registry.register_timeline(RESPONSES_TIMELINE, _campaign_responses)
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
