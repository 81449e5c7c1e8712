"""Tags, addresses and the account team through /api/v1/accounts/: input, access, audit."""

from __future__ import annotations

from typing import Any

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType

from kam.accounts.models import Account, AccountAddress, AccountTeamMember
from kam.accounts.tests.factories import AccountFactory
from kam.users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def account(org: Any) -> Account:
    return AccountFactory(owner=org.owner, name="Acme")


def _entries(model: type, pk: int) -> Any:
    return LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(model), object_pk=str(pk)
    )


# --- tags ---------------------------------------------------------------------------------------


def test_patch_replaces_tags_and_audits(api_as: Any, org: Any, account: Account) -> None:
    client = api_as(org.owner)
    url = f"/api/v1/accounts/{account.pk}/"

    first = client.patch(url, {"tags": ["vip", " retail "], "version": 1}, format="json")
    second = client.patch(
        url, {"tags": ["retail"], "version": first.json()["version"]}, format="json"
    )

    assert first.status_code == 200
    assert sorted(first.json()["tags"]) == ["retail", "vip"]
    assert second.status_code == 200
    assert second.json()["tags"] == ["retail"]
    assert list(account.tags.values_list("name", flat=True)) == ["retail"]
    tag_entries = [e for e in _entries(Account, account.pk) if "tags" in (e.changes or {})]
    operations = sorted(
        (e.changes["tags"]["operation"], *sorted(e.changes["tags"]["objects"])) for e in tag_entries
    )
    assert operations == [("add", "retail", "vip"), ("delete", "vip")]
    assert all(e.actor_id == org.owner.pk for e in tag_entries)


def test_patch_without_tags_keeps_them(api_as: Any, org: Any, account: Account) -> None:
    client = api_as(org.owner)
    client.patch(f"/api/v1/accounts/{account.pk}/", {"tags": ["vip"], "version": 1}, format="json")

    response = client.patch(
        f"/api/v1/accounts/{account.pk}/", {"name": "Acme 2", "version": 2}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["tags"] == ["vip"]


def test_empty_tag_list_removes_all(api_as: Any, org: Any, account: Account) -> None:
    client = api_as(org.owner)
    client.patch(f"/api/v1/accounts/{account.pk}/", {"tags": ["vip"], "version": 1}, format="json")

    response = client.patch(
        f"/api/v1/accounts/{account.pk}/", {"tags": [], "version": 2}, format="json"
    )

    assert response.json()["tags"] == []


def test_create_with_tags(api_as: Any, org: Any) -> None:
    response = api_as(org.owner).post(
        "/api/v1/accounts/", {"name": "Globex", "tags": ["new", "new", "fair"]}, format="json"
    )

    assert response.status_code == 201
    assert sorted(response.json()["tags"]) == ["fair", "new"]


def test_stale_version_writes_no_tags(api_as: Any, org: Any, account: Account) -> None:
    response = api_as(org.owner).patch(
        f"/api/v1/accounts/{account.pk}/", {"tags": ["vip"], "version": 7}, format="json"
    )

    assert response.status_code == 409
    assert not account.tags.exists()


def test_tags_need_a_version(api_as: Any, org: Any, account: Account) -> None:
    response = api_as(org.owner).patch(
        f"/api/v1/accounts/{account.pk}/", {"tags": ["vip"]}, format="json"
    )

    assert response.status_code == 428


@pytest.mark.parametrize(
    "tags",
    [
        ["x" * 10_000],
        "vip",
        [""],
        ["   "],
        [{"name": "vip"}],
        [f"tag{i}" for i in range(101)],
        None,
    ],
)
def test_bad_tags_answer_400(api_as: Any, org: Any, account: Account, tags: Any) -> None:
    response = api_as(org.owner).patch(
        f"/api/v1/accounts/{account.pk}/", {"tags": tags, "version": 1}, format="json"
    )

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_error"
    assert "tags" in body["fields"]
    assert not account.tags.exists()
    assert Account.objects.get(pk=account.pk).version == 1


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("owner", 200),
        ("lead", 200),
        ("sales_head", 200),
        ("admin", 200),
        ("peer", 404),
        ("other", 404),
        ("service", 404),
        ("auditor", 403),
    ],
)
def test_tags_access_matrix(
    api_as: Any, org: Any, account: Account, role: str, status: int
) -> None:
    response = api_as(getattr(org, role)).patch(
        f"/api/v1/accounts/{account.pk}/", {"tags": ["vip"], "version": 1}, format="json"
    )

    assert response.status_code == status
    assert account.tags.exists() == (status == 200)


# --- addresses ----------------------------------------------------------------------------------

ADDRESS = {
    "street": "Hauptstr. 1",
    "city": "Berlin",
    "postal_code": "10115",
    "region": "",
    "country": "de",
    "updated_at": None,
}


def test_put_address_creates_then_updates_and_audits(
    api_as: Any, org: Any, account: Account
) -> None:
    client = api_as(org.owner)
    url = f"/api/v1/accounts/{account.pk}/addresses/legal/"

    created = client.put(url, ADDRESS, format="json")
    updated = client.put(
        url,
        {**ADDRESS, "city": "Potsdam", "updated_at": created.json()["updated_at"]},
        format="json",
    )

    assert created.status_code == 200
    assert created.json()["country"] == "DE"
    assert updated.status_code == 200
    address = AccountAddress.objects.get(account=account, kind="legal")
    assert address.city == "Potsdam"
    entries = _entries(AccountAddress, address.pk)
    assert entries.count() == 2
    assert all(e.actor_id == org.owner.pk for e in entries)
    detail = client.get(f"/api/v1/accounts/{account.pk}/").json()
    assert [a["kind"] for a in detail["addresses"]] == ["legal"]


def test_other_kinds_stay_unchanged(api_as: Any, org: Any, account: Account) -> None:
    client = api_as(org.owner)
    client.put(f"/api/v1/accounts/{account.pk}/addresses/legal/", ADDRESS, format="json")

    client.put(
        f"/api/v1/accounts/{account.pk}/addresses/delivery/",
        {**ADDRESS, "city": "Hamburg"},
        format="json",
    )

    cities = dict(AccountAddress.objects.filter(account=account).values_list("kind", "city"))
    assert cities == {"legal": "Berlin", "delivery": "Hamburg"}


def test_blank_address_removes_it(api_as: Any, org: Any, account: Account) -> None:
    client = api_as(org.owner)
    url = f"/api/v1/accounts/{account.pk}/addresses/postal/"
    stamp = client.put(url, ADDRESS, format="json").json()["updated_at"]

    response = client.put(url, {"street": "", "updated_at": stamp}, format="json")

    assert response.status_code == 204
    assert not AccountAddress.objects.filter(account=account).exists()


def test_stale_address_answers_409_with_current(api_as: Any, org: Any, account: Account) -> None:
    client = api_as(org.owner)
    url = f"/api/v1/accounts/{account.pk}/addresses/legal/"
    client.put(url, ADDRESS, format="json")

    response = client.put(url, {**ADDRESS, "city": "Bonn", "updated_at": None}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    assert response.json()["current"]["city"] == "Berlin"
    assert AccountAddress.objects.get(account=account).city == "Berlin"


@pytest.mark.parametrize(
    ("kind", "body", "field"),
    [
        ("home", ADDRESS, "kind"),
        ("legal", {**ADDRESS, "country": "ZZ"}, "country"),
        ("legal", {**ADDRESS, "country": "Germany"}, "country"),
        ("legal", {**ADDRESS, "city": "x" * 101}, "city"),
        ("legal", {**ADDRESS, "street": {"a": 1}}, "street"),
        ("legal", {k: v for k, v in ADDRESS.items() if k != "updated_at"}, "updated_at"),
        ("legal", {**ADDRESS, "updated_at": "yesterday"}, "updated_at"),
    ],
)
def test_bad_address_answers_400(
    api_as: Any, org: Any, account: Account, kind: str, body: dict[str, Any], field: str
) -> None:
    response = api_as(org.owner).put(
        f"/api/v1/accounts/{account.pk}/addresses/{kind}/", body, format="json"
    )

    assert response.status_code == 400
    assert field in response.json()["fields"]
    assert not AccountAddress.objects.filter(account=account).exists()


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("owner", 200),
        ("lead", 200),
        ("sales_head", 200),
        ("peer", 404),
        ("other", 404),
        ("service", 404),
        ("auditor", 403),
    ],
)
def test_address_access_matrix(
    api_as: Any, org: Any, account: Account, role: str, status: int
) -> None:
    response = api_as(getattr(org, role)).put(
        f"/api/v1/accounts/{account.pk}/addresses/legal/", ADDRESS, format="json"
    )

    assert response.status_code == status
    assert AccountAddress.objects.filter(account=account).exists() == (status == 200)


# --- account team -------------------------------------------------------------------------------


def test_team_add_list_change_role_remove(api_as: Any, org: Any, account: Account) -> None:
    client = api_as(org.owner)
    url = f"/api/v1/accounts/{account.pk}/team/"

    added = client.post(url, {"user": org.kam.pk, "role": "technical"}, format="json")
    again = client.post(url, {"user": org.kam.pk, "role": "sponsor"}, format="json")
    listed = client.get(url)
    removed = client.delete(f"{url}{org.kam.pk}/")
    gone = client.delete(f"{url}{org.kam.pk}/")

    assert added.status_code == 201
    assert added.json()["username"] == "kam"
    assert again.status_code == 200  # already on the team: his role changes, no second row
    assert listed.status_code == 200
    assert [(m["user"], m["role"]) for m in listed.json()] == [(org.kam.pk, "sponsor")]
    assert removed.status_code == 204
    assert gone.status_code == 404
    assert not AccountTeamMember.objects.filter(account=account).exists()
    assert _entries(Account, account.pk).filter(actor=org.owner).exists()


def test_team_member_sees_the_account(api_as: Any, org: Any, account: Account) -> None:
    api_as(org.owner).post(
        f"/api/v1/accounts/{account.pk}/team/", {"user": org.other.pk}, format="json"
    )

    assert api_as(org.other).get(f"/api/v1/accounts/{account.pk}/").status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"user": 999_999}, "user"),
        ({"user": "kam"}, "user"),
        ({}, "user"),
        ({"user": None}, "user"),
        ({"user": "OWNER"}, "user"),
        ({"user": "PEER", "role": "x" * 101}, "role"),
        ({"user": "PEER", "role": ["a"]}, "role"),
    ],
)
def test_bad_team_input_answers_400(
    api_as: Any, org: Any, account: Account, body: dict[str, Any], field: str
) -> None:
    body = {
        k: (org.owner.pk if v == "OWNER" else org.peer.pk if v == "PEER" else v)
        for k, v in body.items()
    }
    response = api_as(org.owner).post(f"/api/v1/accounts/{account.pk}/team/", body, format="json")

    assert response.status_code == 400
    assert field in response.json()["fields"]
    assert not AccountTeamMember.objects.filter(account=account).exists()


def test_inactive_user_cannot_join(api_as: Any, org: Any, account: Account) -> None:
    gone = UserFactory(username="gone", is_active=False)

    response = api_as(org.owner).post(
        f"/api/v1/accounts/{account.pk}/team/", {"user": gone.pk}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_account"
    assert "user" in response.json()["fields"]


@pytest.mark.parametrize(
    ("role", "read", "write"),
    [
        ("owner", 200, 201),
        ("lead", 200, 201),
        ("sales_head", 200, 201),
        ("admin", 200, 201),
        ("peer", 404, 404),
        ("other", 404, 404),
        ("service", 404, 404),
        ("auditor", 200, 403),
    ],
)
def test_team_access_matrix(
    api_as: Any, org: Any, account: Account, role: str, read: int, write: int
) -> None:
    client = api_as(getattr(org, role))
    url = f"/api/v1/accounts/{account.pk}/team/"

    listed = client.get(url)
    added = client.post(url, {"user": org.kam.pk}, format="json")

    assert listed.status_code == read
    assert added.status_code == write
    if read == 404:
        assert "Acme" not in listed.content.decode()


@pytest.mark.parametrize(("role", "status"), [("peer", 404), ("auditor", 403), ("lead", 204)])
def test_team_remove_access(
    api_as: Any, org: Any, account: Account, role: str, status: int
) -> None:
    AccountTeamMember.objects.create(account=account, user=org.kam)

    response = api_as(getattr(org, role)).delete(
        f"/api/v1/accounts/{account.pk}/team/{org.kam.pk}/"
    )

    assert response.status_code == status
    assert AccountTeamMember.objects.filter(account=account).exists() == (status != 204)


def test_team_list_costs_constant_queries(
    api_as: Any, org: Any, account: Account, django_assert_max_num_queries: Any
) -> None:
    for _ in range(15):
        AccountTeamMember.objects.create(account=account, user=UserFactory())
    client = api_as(org.owner)

    with django_assert_max_num_queries(8):
        response = client.get(f"/api/v1/accounts/{account.pk}/team/")

    assert len(response.json()) == 15
