"""What the accounts app plugs into core: audit, navigation, search, the account timeline."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from kam.core import audit, registry


def _search(user: Any, query: str, limit: int) -> list[registry.SearchHit]:
    """The palette's accounts and contacts: the full-text search of `kam.accounts.search`."""
    from kam.accounts.search import search

    labels = {"account": _("Account"), "contact": _("Contact")}
    return [
        registry.SearchHit(
            kind=str(labels[hit.kind]),
            title=hit.title,
            subtitle=hit.subtitle,
            url=hit.url,
            score=hit.score,
        )
        for hit in search(user, query, limit)
    ]


def _audit_timeline(
    user: Any, account: Any, before: registry.TimelineCursor | None, limit: int
) -> list[registry.TimelineEntry]:
    """The account page's history: the audit trail of the account and its contacts."""
    from kam.accounts.selectors import account_audit_timeline

    return account_audit_timeline(user=user, account=account, before=before, limit=limit)


def connect() -> None:
    from kam.accounts.models import (
        Account,
        AccountAddress,
        AccountTeamMember,
        Contact,
        ContactConsent,
        CustomField,
    )

    audit.register(Account, exclude=("name_key", "domain"), m2m=("team_members", "tags"))
    audit.register(AccountAddress)
    audit.register(AccountTeamMember)
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
    registry.register_timeline("accounts.audit", _audit_timeline)  # selectors.AUDIT_TIMELINE
