"""Fetch one record of the sales app and authorise it: missing and invisible both answer 404."""

from __future__ import annotations

from typing import Any

from kam.core.access import Action, get_for
from kam.sales.models import Deal, Need, Objection


def access_deal(*, user: Any, deal_id: Any, action: Action = "view") -> Deal:
    queryset = Deal.objects.select_related("account", "pipeline", "stage", "owner")
    deal: Deal = get_for(user, queryset, deal_id, action)
    return deal


def access_need(*, user: Any, need_id: Any, action: Action = "view") -> Need:
    need: Need = get_for(user, Need.objects.select_related("deal"), need_id, action)
    return need


def access_objection(*, user: Any, objection_id: Any, action: Action = "view") -> Objection:
    objection: Objection = get_for(
        user, Objection.objects.select_related("deal"), objection_id, action
    )
    return objection
