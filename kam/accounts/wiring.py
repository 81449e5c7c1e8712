"""What the accounts app plugs into core: audit, navigation, search."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kam.core import audit, registry


def _search(user: Any, query: str, limit: int) -> list[registry.SearchHit]:
    from kam.accounts.models import Account, Contact

    accounts = (
        Account.objects.visible_to(user)
        .filter(Q(name__icontains=query) | Q(legal_name__icontains=query) | Q(tax_number=query))
        .order_by("name")[:limit]
    )
    contacts = (
        Contact.objects.visible_to(user)
        .filter(Q(last_name__icontains=query) | Q(first_name__icontains=query))
        .select_related("account")
        .order_by("last_name")[:limit]
    )
    lowered = query.lower()
    hits = [
        registry.SearchHit(
            kind=str(_("Account")),
            title=a.name,
            subtitle=a.get_tier_display(),
            url=reverse("accounts:account_detail", args=[a.pk]),
            score=1.0 if a.name.lower().startswith(lowered) else 0.7,
        )
        for a in accounts
    ]
    hits.extend(
        registry.SearchHit(
            kind=str(_("Contact")),
            title=str(c),
            subtitle=f"{c.job_title} · {c.account}".strip(" ·"),
            url=reverse("accounts:account_detail", args=[c.account_id]) + f"#contact-{c.pk}",
            score=0.9 if c.last_name.lower().startswith(lowered) else 0.6,
        )
        for c in contacts
    )
    return hits


def connect() -> None:
    from kam.accounts.models import Account, AccountAddress, Contact, ContactConsent, CustomField

    audit.register(Account, exclude=("name_key", "domain"), m2m=("team_members", "tags"))
    audit.register(AccountAddress)
    audit.register(Contact)
    audit.register(ContactConsent)
    audit.register(CustomField)
    registry.register_nav(
        registry.NavItem("accounts", _("Accounts"), "accounts:account_list", "buildings", order=10)
    )
    registry.register_nav(
        registry.NavItem(
            "contacts", _("Contacts"), "accounts:contact_list", "person-lines-fill", order=11
        )
    )
    registry.register_search("accounts", _search)
