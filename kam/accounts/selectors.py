"""Reads of the customer databank, always scoped to what the user may see."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet

from kam.accounts.models import Account, AccountTeamMember, Contact, SavedFilter


def account_list(*, user: Any) -> QuerySet[Account]:
    return (
        Account.objects.visible_to(user)
        .select_related("owner", "parent")
        .prefetch_related("tags")
        .order_by("name", "pk")
    )


def account_detail(*, user: Any, account_id: Any) -> Account:
    from kam.core.access import get_for

    queryset = Account.objects.select_related("owner", "parent", "referred_by").prefetch_related(
        "tags",
        "addresses",
        Prefetch("memberships", queryset=AccountTeamMember.objects.select_related("user")),
    )
    account: Account = get_for(user, queryset, account_id)
    return account


def group_of(*, user: Any, account: Account) -> dict[str, Any]:
    """The account's group: the top parent, the chain to it, and the visible subsidiaries of
    this account with their own counts (one query per level of depth, not per account)."""
    chain: list[Account] = []
    node = account.parent
    seen = {account.pk}
    while node is not None and node.pk not in seen:
        chain.append(node)
        seen.add(node.pk)
        node = node.parent
    subsidiaries = (
        Account.objects.visible_to(user)
        .filter(parent=account)
        .annotate(contact_count=Count("contacts", filter=Q(contacts__deleted_at__isnull=True)))
        .order_by("name")
    )
    return {"ancestors": list(reversed(chain)), "subsidiaries": list(subsidiaries)}


def group_rollup(*, user: Any, account: Account, max_depth: int = 6) -> dict[str, int]:
    """Counts over the whole group below `account` (the accounts `user` may see)."""
    ids = [account.pk]
    frontier = [account.pk]
    for _ in range(max_depth):
        frontier = list(
            Account.objects.visible_to(user)
            .filter(parent_id__in=frontier)
            .values_list("pk", flat=True)
        )
        if not frontier:
            break
        ids.extend(frontier)
    contacts = Contact.objects.filter(account_id__in=ids).count()
    return {"accounts": len(ids), "contacts": contacts}


def contact_list(*, user: Any) -> QuerySet[Contact]:
    return (
        Contact.objects.visible_to(user)
        .select_related("account", "owner")
        .order_by("last_name", "first_name", "pk")
    )


def contacts_of(*, user: Any, account: Account) -> QuerySet[Contact]:
    return (
        Contact.objects.visible_to(user)
        .filter(account=account)
        .prefetch_related("consents")
        .order_by("last_name", "first_name")
    )


def saved_filters(*, user: Any, list_name: str) -> QuerySet[SavedFilter]:
    return (
        SavedFilter.objects.filter(list_name=list_name)
        .filter(Q(owner=user) | Q(is_shared=True))
        .select_related("owner")
    )
