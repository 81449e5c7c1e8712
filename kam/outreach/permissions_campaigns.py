"""Fetch one campaign and authorise it: missing and invisible both answer 404."""

from __future__ import annotations

from typing import Any

from kam.core.access import Action, get_for
from kam.outreach.models import Campaign


def access_campaign(*, user: Any, campaign_id: Any, action: Action = "view") -> Campaign:
    queryset = Campaign.objects.select_related(
        "owner", "product", "promotion", "event", "audience_filter"
    )
    campaign: Campaign = get_for(user, queryset, campaign_id, action)
    return campaign
