"""/api/v1/accounts/ and /api/v1/contacts/: the access matrix, versions, confidential fields."""

from __future__ import annotations

from typing import Any

import pytest

from kam.accounts.models import Account
from kam.accounts.tests.factories import AccountFactory, ContactFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def account(org: Any) -> Account:
    return AccountFactory(owner=org.owner, name="Acme", credit_limit=5000, payment_terms_days=30)


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("owner", 200),
        ("lead", 200),
        ("peer", 404),
        ("other", 404),
        ("sales_head", 200),
        ("auditor", 200),
        ("admin", 200),
        ("service", 404),
    ],
)
def test_detail_access_matrix(
    api_as: Any, org: Any, account: Account, role: str, status: int
) -> None:
    response = api_as(getattr(org, role)).get(f"/api/v1/accounts/{account.pk}/")

    assert response.status_code == status
    if status == 404:
        assert "Acme" not in response.content.decode()


def test_anonymous_gets_401(api: Any, account: Account) -> None:
    assert api.get("/api/v1/accounts/").status_code == 401


@pytest.mark.parametrize(
    ("role", "status", "name"),
    [
        ("owner", 200, "Acme 2"),
        ("lead", 200, "Acme 2"),
        ("other", 404, "Acme"),
        ("auditor", 403, "Acme"),
        ("sales_head", 200, "Acme 2"),
    ],
)
def test_update_access_matrix(
    api_as: Any, org: Any, account: Account, role: str, status: int, name: str
) -> None:
    response = api_as(getattr(org, role)).patch(
        f"/api/v1/accounts/{account.pk}/", {"name": "Acme 2", "version": 1}
    )

    assert response.status_code == status
    assert Account.objects.get(pk=account.pk).name == name


def test_create_validates_and_answers_field_errors(api_as: Any, org: Any) -> None:
    client = api_as(org.owner)

    bad = client.post(
        "/api/v1/accounts/", {"name": "X", "emails": ["nope"], "country": "ZZ"}, format="json"
    )
    good = client.post(
        "/api/v1/accounts/",
        {"name": "Globex GmbH", "country": "DE", "website": "globex.de"},
        format="json",
    )

    assert bad.status_code == 400
    assert "country" in bad.json()["fields"]
    assert good.status_code == 201
    assert (good.json()["domain"], good.json()["owner"], good.json()["version"]) == (
        "globex.de",
        org.owner.pk,
        1,
    )


def test_stale_update_answers_409(api_as: Any, org: Any, account: Account) -> None:
    client = api_as(org.owner)
    client.patch(f"/api/v1/accounts/{account.pk}/", {"notes": "first", "version": 1})

    response = client.patch(f"/api/v1/accounts/{account.pk}/", {"notes": "second", "version": 1})

    assert response.status_code == 409
    assert response.json()["current"]["notes"] == "first"


def test_confidential_fields_only_for_roles_with_permission(
    api_as: Any, org: Any, account: Account
) -> None:
    account.team_members.add(org.marketing)

    owner_view = api_as(org.owner).get(f"/api/v1/accounts/{account.pk}/").json()
    marketing_view = api_as(org.marketing).get(f"/api/v1/accounts/{account.pk}/").json()

    assert (owner_view["credit_limit"], owner_view["payment_terms_days"]) == ("5000.00", 30)
    assert "credit_limit" not in marketing_view
    assert "payment_terms_days" not in marketing_view


def test_list_filters_and_costs_constant_queries(
    api_as: Any, org: Any, django_assert_max_num_queries: Any
) -> None:
    for n in range(25):
        AccountFactory(owner=org.owner, tier="key" if n % 5 == 0 else "standard", country="DE")
    AccountFactory(owner=org.other, tier="key")
    client = api_as(org.owner)

    with django_assert_max_num_queries(6):
        response = client.get("/api/v1/accounts/", {"tier": "key"})

    assert response.json()["count"] == 5


def test_delete_goes_to_trash(api_as: Any, org: Any, account: Account) -> None:
    client = api_as(org.owner)

    assert client.delete(f"/api/v1/accounts/{account.pk}/").status_code == 204
    assert client.get(f"/api/v1/accounts/{account.pk}/").status_code == 404
    assert Account.all_objects.get(pk=account.pk).deleted_by == org.owner


def test_contacts_list_only_visible_accounts_people(
    api_as: Any, org: Any, account: Account
) -> None:
    mine = ContactFactory(account=account, last_name="Mine")
    ContactFactory(account=AccountFactory(owner=org.other), last_name="Theirs")

    response = api_as(org.owner).get("/api/v1/contacts/")

    assert [c["id"] for c in response.json()["results"]] == [mine.pk]


def test_contact_create_on_an_invisible_account_is_404(api_as: Any, org: Any) -> None:
    foreign = AccountFactory(owner=org.other)

    response = api_as(org.owner).post(
        "/api/v1/contacts/", {"account": foreign.pk, "last_name": "X"}, format="json"
    )

    assert response.status_code == 404
    assert foreign.contacts.count() == 0


def test_consent_endpoint(api_as: Any, org: Any, account: Account) -> None:
    contact = ContactFactory(account=account)

    response = api_as(org.owner).post(
        f"/api/v1/contacts/{contact.pk}/consent/",
        {"channel": "email", "is_granted": True, "how": "form"},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["consents"][0]["channel"] == "email"
