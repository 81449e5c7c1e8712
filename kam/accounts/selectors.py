"""Reads of the customer databank, always scoped to what the user may see."""

from __future__ import annotations

from typing import Any

from auditlog.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Count, Model, Prefetch, Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kam.accounts.duplicates import Candidate, find_contact_duplicates
from kam.accounts.models import (
    Account,
    AccountAddress,
    AccountTeamMember,
    Contact,
    ContactConsent,
    CustomField,
    SavedFilter,
)
from kam.core import access
from kam.core.registry import TimelineCursor, TimelineEntry

# The key the audit trail is registered under in the core timeline (wiring.py).
AUDIT_TIMELINE = "accounts.audit"


def account_list(*, user: Any) -> QuerySet[Account]:
    return (
        Account.objects.visible_to(user)
        .select_related("owner", "parent")
        .prefetch_related("tags")
        .order_by("name", "pk")
    )


def account_detail(*, user: Any, account_id: Any) -> Account:
    queryset = Account.objects.select_related("owner", "parent", "referred_by").prefetch_related(
        "tags",
        "addresses",
        Prefetch("memberships", queryset=AccountTeamMember.objects.select_related("user")),
    )
    account: Account = access.get_for(user, queryset, account_id)
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
    for _depth in range(max_depth):
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


def contact_detail(*, user: Any, contact_id: Any) -> Contact:
    queryset = Contact.objects.select_related("account", "owner").prefetch_related("consents")
    contact: Contact = access.get_for(user, queryset, contact_id)
    return contact


def contact_duplicates(*, user: Any, data: dict[str, Any], limit: int = 5) -> list[Candidate]:
    """Contacts `user` may see that look like the one being typed, best first."""
    return find_contact_duplicates(data, user=user, limit=limit)


def team_candidates(*, account: Account) -> QuerySet[Any]:
    """Active users who could join the account team (not its owner, not already on it)."""
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .exclude(pk=account.owner_id)
        .exclude(account_memberships__account=account)
        .order_by("first_name", "last_name", "username")
    )


def changeable_accounts(*, user: Any, query: str, limit: int = 20) -> list[Account]:
    """Accounts `user` may add contacts to whose name starts with or contains `query`."""
    query = query.strip()
    if not query:
        return []
    return list(
        Account.objects.visible_to(user, "change")
        .filter(name__icontains=query)
        .order_by("name", "pk")[:limit]
    )


# --- The account timeline: its audit trail ----------------------------------------------------

AUDIT_ICONS = {
    "account": "building",
    "contact": "person",
    "accountaddress": "geo-alt",
    "accountteammember": "people",
    "contactconsent": "shield-check",
}
AUDIT_VERBS = {
    LogEntry.Action.CREATE: gettext_lazy("created"),
    LogEntry.Action.UPDATE: gettext_lazy("changed"),
    LogEntry.Action.DELETE: gettext_lazy("deleted"),
    LogEntry.Action.ACCESS: gettext_lazy("viewed"),
}


def account_audit_timeline(
    *, user: Any, account: Account, before: TimelineCursor | None = None, limit: int = 20
) -> list[TimelineEntry]:
    """The audit entries of the account and of what hangs off it (contacts, their consents,
    addresses, team), newest first, strictly older than `before`: one query on the audit
    indexes whatever the history's size. Confidential changes are masked for those who may
    not see them; an account `user` may not see has no entries."""
    models = (Account, Contact, AccountAddress, AccountTeamMember, ContactConsent)
    types = ContentType.objects.get_for_models(*models)
    accounts = Account.all_objects.filter(pk=account.pk).filter(access.visible_q(user, Account))
    account_ids = accounts.values("pk")
    owned_by = {
        Account: account_ids,
        Contact: Contact.all_objects.filter(account_id__in=account_ids).values("pk"),
        AccountAddress: AccountAddress.objects.filter(account_id__in=account_ids).values("pk"),
        AccountTeamMember: AccountTeamMember.objects.filter(account_id__in=account_ids).values(
            "pk"
        ),
        ContactConsent: ContactConsent.objects.filter(contact__account_id__in=account_ids).values(
            "pk"
        ),
    }
    about = Q(pk__in=[])
    for model, ids in owned_by.items():
        about |= Q(content_type=types[model], object_id__in=ids)
    entries = LogEntry.objects.filter(about).select_related("actor")
    if before is not None:
        entries = entries.filter(before.older(AUDIT_TIMELINE, "timestamp"))
    by_type = {types[model].pk: model for model in models}
    hidden = set(access.hidden_fields(user, Account))
    return [
        _timeline_entry(entry, by_type[entry.content_type_id], hidden)
        for entry in entries.order_by("-timestamp", "-pk")[:limit]
    ]


def _timeline_entry(entry: LogEntry, model: type[Model], hidden: set[str]) -> TimelineEntry:
    changes = entry.changes if isinstance(entry.changes, dict) else {}
    masked = model is Account and bool(hidden & set(changes))
    shown = {k: v for k, v in changes.items() if not (model is Account and k in hidden)}
    lines = _change_lines(model, shown, entry.action)
    if masked:
        lines.append(str(_("confidential fields changed")))
    title = _("%(kind)s “%(name)s” %(verb)s") % {
        "kind": str(model._meta.verbose_name).capitalize(),
        "name": entry.object_repr,
        "verb": AUDIT_VERBS.get(entry.action, _("changed")),
    }
    url = ""
    if model is Contact and entry.object_id:
        url = reverse("accounts:contact_detail", args=[entry.object_id])
    actor = entry.actor
    return TimelineEntry(
        when=entry.timestamp,
        kind="audit",
        title=title,
        url=url,
        actor=str(actor) if actor is not None else (entry.actor_email or str(_("system"))),
        detail="; ".join(lines),
        icon=AUDIT_ICONS.get(model._meta.model_name or "", "clock-history"),
        pk=entry.pk,
    )


BOOKKEEPING = frozenset(["id", "created_at", "updated_at", "version", "deleted_at", "deleted_by"])


def _change_lines(model: type[Model], changes: dict[str, Any], action: int) -> list[str]:
    """`label: old → new` per field; a creation lists only the values it was given."""
    lines = []
    for name, value in changes.items():
        if action == LogEntry.Action.CREATE and (
            name in BOOKKEEPING or name == "account" or _is_empty_creation(value)
        ):
            continue
        lines.append(_change_line(model, name, value, action))
    return lines


def _is_empty_creation(value: Any) -> bool:
    new = value[1] if isinstance(value, list | tuple) and len(value) == 2 else value
    return _shown(new) == "—" or new == "False"


def _change_line(model: type[Model], name: str, value: Any, action: int) -> str:
    try:
        field = model._meta.get_field(name)
        label = str(getattr(field, "verbose_name", name))
        is_link = bool(getattr(field, "many_to_one", False))
    except FieldDoesNotExist:
        label, is_link = name.replace("_", " "), False
    if isinstance(value, dict) and value.get("type") == "m2m":
        sign = "+" if value.get("operation") == "add" else "−"
        return f"{label}: {sign}{', '.join(str(o) for o in value.get('objects', []))}"
    if isinstance(value, list | tuple) and len(value) == 2:
        # The audit keeps a link's id: say which record, not a bare number.
        old, new = (_shown(v, is_link=is_link) for v in value)
        return f"{label}: {new}" if action == LogEntry.Action.CREATE else f"{label}: {old} → {new}"
    return f"{label}: {_shown(value)}"


def _shown(value: Any, *, is_link: bool = False) -> str:
    text = str(value) if value is not None else ""
    if text in ("", "None", "[]", "{}"):
        return "—"
    return f"#{text}" if is_link else text[:200]


def custom_fields(*, applies_to: str) -> list[CustomField]:
    return list(CustomField.objects.filter(applies_to=applies_to).order_by("label", "pk"))
