"""Reads of contracts and obligations, always scoped to what the user may see."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import Count, Min, Q, QuerySet
from django.utils import timezone

from kam.contracts import choices
from kam.contracts.models import Contract, ContractStatusChange, Obligation
from kam.core import access
from kam.core.registry import TimelineCursor

CONTRACTS_TIMELINE = "contracts.status_changes"
OBLIGATIONS_TIMELINE = "contracts.obligations"
# The status changes worth a line on the account's timeline.
TIMELINE_STATUSES = (
    choices.ContractStatus.SIGNED,
    choices.ContractStatus.EXPIRED,
    choices.ContractStatus.RENEWED,
)


GROUP_DEPTH = 12


def account_group_root(account: Any) -> int:
    """The id of the top account of `account`'s group (itself when it has no parent)."""
    from kam.accounts.models import Account

    root, parent_id = account.pk, account.parent_id
    for _depth in range(GROUP_DEPTH):
        if parent_id is None:
            break
        root = parent_id
        parent_id = (
            Account.all_objects.filter(pk=parent_id).values_list("parent", flat=True).first()
        )
    return int(root)


def contract_list(*, user: Any) -> QuerySet[Contract]:
    """The contracts `user` may see, with what a list row shows."""
    return (
        Contract.objects.visible_to(user)
        .select_related("account", "owner")
        .order_by("-start_date", "-pk")
    )


def contract_detail(*, user: Any, contract_id: Any) -> Contract:
    queryset = Contract.objects.select_related(
        "account", "owner", "our_signatory", "deal", "agreement", "predecessor"
    ).prefetch_related("other_accounts", "client_signatories")
    contract: Contract = access.get_for(user, queryset, contract_id)
    return contract


def contract_successor(*, contract: Contract) -> Contract | None:
    """The live contract that renewed `contract`, if any."""
    return Contract.objects.filter(predecessor=contract).first()


def status_history(*, contract: Contract) -> list[ContractStatusChange]:
    return list(contract.status_changes.select_related("changed_by").order_by("-changed_at", "-pk"))


def obligations_of(*, contract: Contract) -> list[Obligation]:
    """Every live obligation of a contract (the caller may see the contract)."""
    return list(
        contract.obligations.select_related("department", "contact", "assignee", "closed_by")
        .order_by("status", "due_date", "pk")
        .all()
    )


def obligation_list(*, user: Any) -> QuerySet[Obligation]:
    return (
        Obligation.objects.visible_to(user)
        .filter(contract__deleted_at__isnull=True)
        .select_related(
            "contract", "contract__account", "department", "contact", "assignee", "closed_by"
        )
        .order_by("due_date", "pk")
    )


def my_obligations(*, user: Any, include_closed: bool = False) -> QuerySet[Obligation]:
    """The obligations one answers for: his own, his department's, his contracts' own side."""
    mine = Q(assignee=user) | Q(contract__owner=user, side=choices.Side.OURS)
    if getattr(user, "department_id", None):
        mine |= Q(department=user.department_id)
    queryset = obligation_list(user=user).filter(mine)
    if not include_closed:
        queryset = queryset.filter(status=choices.ObligationStatus.OPEN)
    return queryset


def account_contracts(*, user: Any, account: Any) -> dict[str, Any]:
    """The account page's panel: contracts in force, the next renewal, open obligations."""
    contracts = contract_list(user=user).filter(account=account)
    in_force = list(contracts.filter(status__in=choices.IN_FORCE).order_by("end_date", "pk")[:10])
    counts = contracts.aggregate(
        total=Count("pk"),
        next_end=Min("end_date", filter=Q(status__in=choices.IN_FORCE, end_date__isnull=False)),
    )
    next_renewal = next(
        (c for c in in_force if c.end_date is not None and c.end_date == counts["next_end"]),
        None,
    )
    obligations = obligation_list(user=user).filter(
        contract__account=account, status=choices.ObligationStatus.OPEN
    )
    return {
        "contracts": in_force,
        "total": counts["total"],
        "next_renewal": next_renewal,
        "open_obligations": list(obligations[:10]),
        "open_obligations_count": obligations.count(),
        "today": timezone.localdate(),
    }


def deal_contracts(*, user: Any, deal: Any) -> list[Contract]:
    return list(contract_list(user=user).filter(deal=deal)[:20])


def status_changes_for_account(
    *, user: Any, account: Any, before: TimelineCursor | None, limit: int
) -> list[ContractStatusChange]:
    queryset = (
        ContractStatusChange.objects.filter(
            contract__account=account, contract__deleted_at__isnull=True
        )
        .filter(Q(to_status__in=TIMELINE_STATUSES) | Q(event=choices.ChangeEvent.RENEWAL))
        .filter(access.visible_q(user, ContractStatusChange))
    )
    if before is not None:
        queryset = queryset.filter(before.older(CONTRACTS_TIMELINE, "changed_at"))
    return list(
        queryset.select_related("contract", "changed_by").order_by("-changed_at", "-pk")[:limit]
    )


def obligations_done_for_account(
    *, user: Any, account: Any, before: TimelineCursor | None, limit: int
) -> list[Obligation]:
    queryset = Obligation.objects.visible_to(user).filter(
        contract__account=account,
        contract__deleted_at__isnull=True,
        status=choices.ObligationStatus.DONE,
        closed_at__isnull=False,
    )
    if before is not None:
        queryset = queryset.filter(before.older(OBLIGATIONS_TIMELINE, "closed_at"))
    return list(
        queryset.select_related("contract", "closed_by").order_by("-closed_at", "-pk")[:limit]
    )


def renewal_due(queryset: QuerySet[Contract], *, today: date | None = None) -> QuerySet[Contract]:
    """Contracts in force whose renewal notice date has come."""
    today = today or timezone.localdate()
    return queryset.filter(status__in=choices.IN_FORCE, notice_date__lte=today)
