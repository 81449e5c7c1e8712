"""Fetch one contract or obligation and authorise it: missing and invisible both answer 404."""

from __future__ import annotations

from typing import Any

from kam.contracts.models import Contract, Obligation
from kam.core.access import Action, get_for


def access_contract(*, user: Any, contract_id: Any, action: Action = "view") -> Contract:
    queryset = Contract.objects.select_related("account", "owner")
    contract: Contract = get_for(user, queryset, contract_id, action)
    return contract


def access_obligation(*, user: Any, obligation_id: Any, action: Action = "view") -> Obligation:
    queryset = Obligation.objects.filter(contract__deleted_at__isnull=True).select_related(
        "contract", "contract__account", "department", "contact", "assignee"
    )
    obligation: Obligation = get_for(user, queryset, obligation_id, action)
    return obligation
