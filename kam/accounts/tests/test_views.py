"""The account list and the 360 account page: access and a constant number of queries."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from kam.accounts.tests.factories import AccountFactory, ContactFactory

pytestmark = pytest.mark.django_db


def test_account_list_costs_constant_queries(
    client: Any, org: Any, django_assert_max_num_queries: Any
) -> None:
    for n in range(40):
        AccountFactory(owner=org.owner, name=f"Firm {n:02d}")
    client.force_login(org.owner)

    with django_assert_max_num_queries(12):
        response = client.get("/accounts/")

    assert response.status_code == 200
    assert len(response.context["page"].object_list) == 40


def test_account_page_costs_constant_queries(
    client: Any, org: Any, django_assert_max_num_queries: Any
) -> None:
    group = AccountFactory(owner=org.owner, name="Group")
    account = AccountFactory(owner=org.owner, parent=group, name="Sub")
    for _n in range(10):
        AccountFactory(owner=org.owner, parent=account)
        ContactFactory(account=account)
    client.force_login(org.owner)

    with django_assert_max_num_queries(25):
        response = client.get(f"/accounts/{account.pk}/")

    page = response.content.decode()
    assert response.status_code == 200
    assert "Group" in page
    assert response.context["rollup"] == {"accounts": 11, "contacts": 10}


def test_account_page_is_404_for_others_and_hides_confidential(client: Any, org: Any) -> None:
    # A value no id, date or count on the page can contain by chance.
    account = AccountFactory(owner=org.owner, credit_limit=Decimal("918273.64"))
    account.team_members.add(org.marketing)

    client.force_login(org.other)
    assert client.get(f"/accounts/{account.pk}/").status_code == 404
    client.force_login(org.marketing)
    page = client.get(f"/accounts/{account.pk}/").content.decode()
    assert "918273" not in page
    assert "918,273" not in page
    client.force_login(org.owner)
    assert "918273" in client.get(f"/accounts/{account.pk}/").content.decode()


def test_account_list_filters_by_tier(client: Any, org: Any) -> None:
    AccountFactory(owner=org.owner, name="Key One", tier="key")
    AccountFactory(owner=org.owner, name="Plain", tier="standard")
    client.force_login(org.owner)

    response = client.get("/accounts/", {"tier": "key"})

    assert [a.name for a in response.context["page"].object_list] == ["Key One"]
