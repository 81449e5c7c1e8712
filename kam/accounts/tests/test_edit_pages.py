"""Creating and editing accounts in the UI, bulk actions and saved views of the list."""

from __future__ import annotations

from typing import Any

import pytest
from auditlog.models import LogEntry

from kam.accounts.models import Account, SavedFilter
from kam.accounts.tests.factories import AccountFactory

pytestmark = pytest.mark.django_db

FORM = {
    "name": "Initech",
    "legal_name": "",
    "country": "DE",
    "tax_number": "",
    "kind": "prospect",
    "registration_number": "",
    "industry": "Software",
    "size_band": "",
    "website": "initech.de",
    "emails": "sales@initech.de, bad-address",
    "phones": "",
    "tier": "standard",
    "status": "lead",
    "source": "exhibition",
    "notes": "",
}


def test_create_page_keeps_input_and_names_the_bad_field(client: Any, org: Any) -> None:
    client.force_login(org.owner)

    response = client.post("/accounts/new/", FORM)

    page = response.content.decode()
    assert response.status_code == 200
    assert "bad-address is not a valid e-mail address" in page
    assert 'value="Initech"' in page
    assert Account.objects.count() == 0


def test_create_page_saves_and_opens_the_account(client: Any, org: Any) -> None:
    client.force_login(org.owner)

    response = client.post("/accounts/new/", {**FORM, "emails": "sales@initech.de"})

    account = Account.objects.get()
    assert response["Location"] == f"/accounts/{account.pk}/"
    assert (account.owner, account.website, account.source) == (
        org.owner,
        "https://initech.de",
        "exhibition",
    )


def test_edit_page_conflict_shows_newer_values_and_second_save_applies(
    client: Any, org: Any
) -> None:
    account = AccountFactory(owner=org.owner, name="Old")
    Account.objects.filter(pk=account.pk).update(name="Newer", version=2)
    client.force_login(org.owner)

    first = client.post(
        f"/accounts/{account.pk}/edit/", {**FORM, "name": "Mine", "version": 1, "emails": ""}
    )
    second = client.post(
        f"/accounts/{account.pk}/edit/", {**FORM, "name": "Mine", "version": 2, "emails": ""}
    )

    assert "changed by someone else" in first.content.decode()
    assert "Newer" in first.content.decode()
    assert second.status_code == 302
    assert Account.objects.get(pk=account.pk).name == "Mine"


def test_edit_page_is_404_for_another_manager(client: Any, org: Any) -> None:
    account = AccountFactory(owner=org.owner)
    client.force_login(org.other)

    assert client.get(f"/accounts/{account.pk}/edit/").status_code == 404


def test_bulk_tag_and_tier_touch_only_changeable_accounts_and_are_audited(
    client: Any, org: Any
) -> None:
    mine = [AccountFactory(owner=org.owner) for _ in range(3)]
    foreign = AccountFactory(owner=org.other)
    ids = ",".join(str(a.pk) for a in [*mine, foreign])
    client.force_login(org.owner)

    client.post("/accounts/bulk/", {"action": "tag", "value": "expo-2026", "ids": ids})
    client.post("/accounts/bulk/", {"action": "tier", "value": "key", "ids": ids})

    assert Account.objects.filter(tags__name="expo-2026").count() == 3
    assert set(Account.objects.filter(tier="key").values_list("pk", flat=True)) == {
        a.pk for a in mine
    }
    assert foreign.tags.count() == 0
    updates = LogEntry.objects.filter(
        object_pk__in=[str(a.pk) for a in mine], action=LogEntry.Action.UPDATE
    )
    assert sorted(e.changes_dict["tier"][1] for e in updates if "tier" in e.changes_dict) == [
        "key",
        "key",
        "key",
    ]


def test_bulk_reassign_is_for_head_of_sales(client: Any, org: Any) -> None:
    account = AccountFactory(owner=org.owner)
    client.force_login(org.owner)
    client.post(
        "/accounts/bulk/", {"action": "reassign", "owner": org.peer.pk, "ids": str(account.pk)}
    )
    assert Account.objects.get(pk=account.pk).owner == org.owner

    client.force_login(org.sales_head)
    client.post(
        "/accounts/bulk/", {"action": "reassign", "owner": org.peer.pk, "ids": str(account.pk)}
    )
    assert Account.objects.get(pk=account.pk).owner == org.peer


def test_saved_views_are_private_unless_shared(client: Any, org: Any) -> None:
    client.force_login(org.owner)
    client.post("/accounts/views/", {"name": "My keys", "query": "tier=key"})
    client.post("/accounts/views/", {"name": "Team DE", "query": "country=DE", "is_shared": "on"})

    client.force_login(org.other)
    seen = [v.name for v in client.get("/accounts/").context["saved_filters"]]

    assert seen == ["Team DE"]
    assert SavedFilter.objects.filter(owner=org.owner).count() == 2
    mine = SavedFilter.objects.get(name="My keys")
    assert client.post(f"/accounts/views/{mine.pk}/delete/").status_code == 404


def test_list_export_follows_filters_visibility_and_confidentiality(client: Any, org: Any) -> None:
    AccountFactory(owner=org.owner, name="Key Firm", tier="key", credit_limit=900)
    AccountFactory(owner=org.owner, name="Plain Firm", tier="standard")
    AccountFactory(owner=org.other, name="Foreign Key Firm", tier="key")
    client.force_login(org.owner)

    response = client.get("/accounts/export/", {"tier": "key", "format": "csv"})
    text = b"".join(response.streaming_content).decode("utf-8-sig")

    assert response["Content-Disposition"] == 'attachment; filename="kam-accounts.csv"'
    assert "Key Firm" in text
    assert "Plain Firm" not in text
    assert "Foreign" not in text
    assert "900" in text
    assert client.get("/accounts/export/", {"format": "exe"}).status_code == 404
    assert client.get("/secrets/export/").status_code == 404
