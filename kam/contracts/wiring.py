"""What the contracts app plugs into core: audit, the account timeline, record panels (account
and deal pages), search and navigation."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kam.core import access, registry

SEARCH_MIN_LENGTH = 2
_STATUS_TITLES = {
    "signed": (gettext_lazy("Contract %(number)s signed"), "pen"),
    "expired": (gettext_lazy("Contract %(number)s expired"), "hourglass-bottom"),
    "renewed": (gettext_lazy("Contract %(number)s renewed"), "arrow-repeat"),
}


def _status_timeline(
    user: Any, account: Any, before: registry.TimelineCursor | None, limit: int
) -> list[registry.TimelineEntry]:
    from kam.contracts.choices import ChangeEvent
    from kam.contracts.selectors import status_changes_for_account

    entries = []
    for change in status_changes_for_account(
        user=user, account=account, before=before, limit=limit
    ):
        key = "renewed" if change.event == ChangeEvent.RENEWAL else change.to_status
        title, icon = _STATUS_TITLES[key]
        entries.append(
            registry.TimelineEntry(
                when=change.changed_at,
                kind="contract_status",
                title=str(title) % {"number": change.contract.number},
                url=reverse("contracts:contract_detail", args=[change.contract_id]),
                actor=str(change.changed_by or ""),
                detail=change.reason,
                icon=icon,
                pk=change.pk,
            )
        )
    return entries


def _obligation_timeline(
    user: Any, account: Any, before: registry.TimelineCursor | None, limit: int
) -> list[registry.TimelineEntry]:
    from kam.contracts.selectors import obligations_done_for_account

    return [
        registry.TimelineEntry(
            when=obligation.closed_at,  # type: ignore[arg-type]  # done rows carry it
            kind="obligation_done",
            title=_("Obligation done: %(what)s") % {"what": obligation.description[:120]},
            url=reverse("contracts:contract_detail", args=[obligation.contract_id]),
            actor=str(obligation.closed_by or ""),
            detail=obligation.closing_note,
            icon="check2-circle",
            pk=obligation.pk,
        )
        for obligation in obligations_done_for_account(
            user=user, account=account, before=before, limit=limit
        )
    ]


def _search(user: Any, query: str, limit: int) -> list[registry.SearchHit]:
    from django.db.models import Q

    from kam.contracts.models import Contract

    if len(query) < SEARCH_MIN_LENGTH:
        return []
    contracts = (
        Contract.objects.visible_to(user)
        .filter(Q(number__icontains=query) | Q(title__icontains=query))
        .select_related("account")
        .order_by("-start_date", "-pk")[:limit]
    )
    lowered = query.lower()
    return [
        registry.SearchHit(
            kind=str(_("Contract")),
            title=f"{contract.number} {contract.title}",
            subtitle=f"{contract.account.name} · {contract.get_status_display()}",
            url=reverse("contracts:contract_detail", args=[contract.pk]),
            score=0.9 if contract.number.lower().startswith(lowered) else 0.5,
        )
        for contract in contracts
    ]


def _signed_in(user: Any) -> bool:
    return access.is_active_user(user)


def connect() -> None:
    from kam.contracts.exporting import EXPORTER
    from kam.contracts.models import Contract, Obligation
    from kam.contracts.selectors import CONTRACTS_TIMELINE, OBLIGATIONS_TIMELINE
    from kam.core import audit

    audit.register(
        Contract,
        exclude=("renewal_notified_at", "notice_date"),
        m2m=("other_accounts", "client_signatories"),
    )
    audit.register(Obligation, exclude=("overdue_notified_at",))
    registry.register_timeline(CONTRACTS_TIMELINE, _status_timeline)
    registry.register_timeline(OBLIGATIONS_TIMELINE, _obligation_timeline)
    registry.register_search("contracts", _search)
    registry.register_exporter(EXPORTER)
    registry.register_panel(
        registry.Panel(
            key="contracts.account",
            title=gettext_lazy("Contracts"),
            model="accounts.account",
            url_name="contracts:account_panel",
            order=25,
            visible=_signed_in,
        )
    )
    registry.register_panel(
        registry.Panel(
            key="contracts.deal",
            title=gettext_lazy("Contracts"),
            model="sales.deal",
            url_name="contracts:deal_panel",
            order=25,
            visible=_signed_in,
        )
    )
    registry.register_nav(
        registry.NavItem(
            "contracts",
            gettext_lazy("Contracts"),
            "contracts:contract_list",
            "file-earmark-text",
            order=25,
        )
    )
    registry.register_nav(
        registry.NavItem(
            "obligations",
            gettext_lazy("My obligations"),
            "contracts:my_obligations",
            "list-check",
            order=26,
        )
    )
