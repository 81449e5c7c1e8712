"""/api/v1/contracts/ (CRUD, transition, history) and /api/v1/obligations/ (CRUD, complete)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
import time_machine

from kam.accounts.models import Account
from kam.accounts.tests.factories import AccountFactory
from kam.contracts import services
from kam.contracts.models import Contract, Obligation
from kam.contracts.tests.factories import ContractFactory, ObligationFactory, contract_data

pytestmark = pytest.mark.django_db
TODAY = "2026-11-15 12:00:00+00:00"
MATRIX = [
    ("owner", 200),
    ("lead", 200),
    ("peer", 404),
    ("other", 404),
    ("kam", 404),
    ("sales_head", 200),
    ("auditor", 200),
    ("admin", 200),
    ("service", 404),
    ("staff", 404),
    ("marketing", 404),
]


@pytest.fixture
def account(org: Any) -> Account:
    return AccountFactory(owner=org.owner, name="Acme")


@pytest.fixture
def contract(org: Any, account: Account) -> Contract:
    return services.contract_create(
        user=org.owner,
        data=contract_data(account, title="Secret supply", value=Decimal("98765.43")),
    )


def _payload(account: Any, **extra: Any) -> dict[str, Any]:
    return {
        "kind": "framework",
        "title": "Framework 2027",
        "account": account,
        "start_date": "2027-01-01",
        "end_date": "2027-12-31",
        "value": "250000.00",
        "currency": "eur",
        **extra,
    }


@pytest.mark.parametrize(("role", "status"), MATRIX)
def test_contract_detail_access_matrix(
    api_as: Any, org: Any, contract: Contract, role: str, status: int
) -> None:
    response = api_as(getattr(org, role)).get(f"/api/v1/contracts/{contract.pk}/")

    assert response.status_code == status
    if status == 404:
        assert response.json()["code"] == "not_found"
        assert "Secret supply" not in response.content.decode()
        assert "98765" not in response.content.decode()
    else:
        body = response.json()
        assert (body["title"], body["value"], body["currency"]) == (
            "Secret supply",
            "98765.43",
            "EUR",
        )
        assert body["allowed_statuses"] == ["negotiation", "terminated"]
        assert response["ETag"] == f'"{contract.version}"'


def test_anonymous_gets_401_and_nothing_changes(api: Any, contract: Contract) -> None:
    assert api.get("/api/v1/contracts/").status_code == 401
    assert api.get("/api/v1/obligations/").status_code == 401
    response = api.post(f"/api/v1/contracts/{contract.pk}/transition/", {"status": "negotiation"})
    assert response.status_code == 401
    contract.refresh_from_db()
    assert contract.status == "draft"


def test_the_value_is_hidden_from_roles_without_confidential_access(api_as: Any, org: Any) -> None:
    theirs = AccountFactory(owner=org.marketing, name="Marketing's")
    contract = ContractFactory(account=theirs, value=Decimal("55555.00"))
    client = api_as(org.marketing)

    detail = client.get(f"/api/v1/contracts/{contract.pk}/").json()
    listed = client.get("/api/v1/contracts/").json()["results"]
    refused = client.patch(
        f"/api/v1/contracts/{contract.pk}/", {"value": "1.00", "version": 1}, format="json"
    )

    assert "value" not in detail
    assert "currency" not in detail
    assert "value" not in listed[0]
    assert "55555" not in str(listed)
    assert refused.status_code == 400
    assert refused.json()["fields"] == {"value": ["You do not have permission to set this field."]}
    contract.refresh_from_db()
    assert contract.value == Decimal("55555.00")


def test_create_suggests_the_number_and_answers_the_contract(
    api_as: Any, org: Any, account: Account
) -> None:
    response = api_as(org.owner).post("/api/v1/contracts/", _payload(account.pk), format="json")

    assert response.status_code == 201
    body = response.json()
    assert (body["number"], body["status"], body["currency"], body["owner"]) == (
        "C-2027-0001",
        "draft",
        "EUR",
        org.owner.pk,
    )
    assert response["ETag"] == '"1"'


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"end_date": "2026-12-31"}, "end_date"),
        ({"value": "-5.00"}, "value"),
        ({"kind": "lease"}, "kind"),
        ({"start_date": "someday"}, "start_date"),
        ({"title": ""}, "title"),
        ({"is_auto_renewal": True}, "renewal_term_months"),
        ({"other_accounts": ["x"]}, "other_accounts"),
    ],
)
def test_create_validation_errors_name_the_field(
    api_as: Any, org: Any, account: Account, extra: dict[str, Any], field: str
) -> None:
    response = api_as(org.owner).post(
        "/api/v1/contracts/", _payload(account.pk, **extra), format="json"
    )

    assert response.status_code == 400
    assert field in response.json()["fields"]
    assert Contract.all_objects.count() == 0


@pytest.mark.parametrize("whose", ["unknown", "peer's"])
def test_an_account_one_cannot_see_answers_the_404_shape(api_as: Any, org: Any, whose: str) -> None:
    target = 987654321 if whose == "unknown" else AccountFactory(owner=org.peer).pk

    response = api_as(org.owner).post("/api/v1/contracts/", _payload(target), format="json")

    assert response.status_code == 404
    assert response.json() == {
        "code": "not_found",
        "detail": "The account does not exist or is not yours to change.",
        "fields": {},
    }
    assert Contract.all_objects.count() == 0


def test_transition_moves_or_answers_the_reason(api_as: Any, org: Any, contract: Contract) -> None:
    client = api_as(org.owner)
    url = f"/api/v1/contracts/{contract.pk}/transition/"

    forbidden = client.post(url, {"status": "active"}, format="json")
    unknown = client.post(url, {"status": "archived"}, format="json")
    moved = client.post(url, {"status": "negotiation", "reason": "Sent the draft"}, format="json")
    history = client.get(f"/api/v1/contracts/{contract.pk}/history/").json()

    assert forbidden.status_code == 400
    assert forbidden.json() == {
        "code": "transition_refused",
        "detail": "A draft contract cannot become active; it can become: negotiation, terminated.",
        "fields": {},
        "allowed": ["negotiation", "terminated"],
    }
    assert unknown.status_code == 400
    assert unknown.json()["fields"] == {"status": ["Unknown status archived."]}
    assert moved.status_code == 200
    assert moved.json()["status"] == "negotiation"
    assert [(h["from_status"], h["to_status"], h["reason"]) for h in history] == [
        ("draft", "negotiation", "Sent the draft"),
        ("", "draft", ""),
    ]


@pytest.mark.parametrize(("role", "status"), [("peer", 404), ("auditor", 403), ("lead", 200)])
def test_transition_access(
    api_as: Any, org: Any, contract: Contract, role: str, status: int
) -> None:
    response = api_as(getattr(org, role)).post(
        f"/api/v1/contracts/{contract.pk}/transition/", {"status": "negotiation"}, format="json"
    )

    assert response.status_code == status
    contract.refresh_from_db()
    assert contract.status == ("negotiation" if status == 200 else "draft")


def test_update_needs_the_version_and_refuses_a_stale_one(
    api_as: Any, org: Any, contract: Contract
) -> None:
    client = api_as(org.owner)
    url = f"/api/v1/contracts/{contract.pk}/"

    missing = client.patch(url, {"title": "New"}, format="json")
    saved = client.patch(url, {"title": "New", "version": 1}, format="json")
    stale = client.patch(url, {"title": "Newer", "version": 1}, format="json")

    assert missing.status_code == 428
    assert (saved.status_code, saved.json()["title"], saved["ETag"]) == (200, "New", '"2"')
    assert stale.status_code == 409
    assert stale.json()["current"]["title"] == "New"


def test_delete_moves_to_the_trash_for_those_who_may(
    api_as: Any, org: Any, contract: Contract
) -> None:
    assert api_as(org.peer).delete(f"/api/v1/contracts/{contract.pk}/").status_code == 404
    assert api_as(org.owner).delete(f"/api/v1/contracts/{contract.pk}/").status_code == 204
    assert Contract.objects.filter(pk=contract.pk).exists() is False
    assert Contract.all_objects.get(pk=contract.pk).deleted_by == org.owner


def test_list_filters_and_constant_queries(
    api_as: Any, org: Any, account: Account, django_assert_max_num_queries: Any
) -> None:
    for n in range(25):
        ContractFactory(account=account, title=f"Bulk {n}", end_date=datetime.date(2027, 6, 30))
    ContractFactory(
        account=account,
        title="Renewing",
        status="active",
        end_date=datetime.date(2026, 12, 31),
        notice_date=datetime.date(2026, 11, 1),
        kind="nda",
    )
    ContractFactory(title="Not mine", end_date=datetime.date(2026, 12, 31))
    client = api_as(org.owner)

    with django_assert_max_num_queries(8):
        everything = client.get("/api/v1/contracts/?page_size=50").json()
    with time_machine.travel(TODAY, tick=False):
        due = client.get("/api/v1/contracts/?renewal_due=true").json()["results"]
    ending = client.get("/api/v1/contracts/?ending_before=2027-01-01").json()["results"]
    ndas = client.get("/api/v1/contracts/?kind=nda&status=active").json()["results"]

    assert everything["count"] == 26
    assert [c["title"] for c in due] == ["Renewing"]
    assert [c["title"] for c in ending] == ["Renewing"]
    assert [c["title"] for c in ndas] == ["Renewing"]
    assert client.get("/api/v1/contracts/?status=archived").status_code == 400


# --- Obligations -----------------------------------------------------------------------------


def test_obligations_are_created_on_visible_contracts_only(
    api_as: Any, org: Any, contract: Contract
) -> None:
    payload = {
        "contract": contract.pk,
        "side": "ours",
        "description": "Deliver the first batch",
        "due_date": "2026-03-01",
        "department": org.logistics.pk,
    }

    created = api_as(org.owner).post("/api/v1/obligations/", payload, format="json")
    foreign = api_as(org.peer).post("/api/v1/obligations/", payload, format="json")
    bad = api_as(org.owner).post(
        "/api/v1/obligations/", {**payload, "side": "both", "due_date": "soon"}, format="json"
    )

    assert created.status_code == 201
    assert created.json()["contract_number"] == contract.number
    assert (created.json()["department"], created.json()["status"]) == (org.logistics.pk, "open")
    assert foreign.status_code == 404
    assert "Secret supply" not in foreign.content.decode()
    assert bad.status_code == 400
    assert sorted(bad.json()["fields"]) == ["due_date", "side"]
    assert Obligation.objects.count() == 1


@pytest.mark.parametrize(
    ("role", "status"),
    [("owner", 200), ("staff", 200), ("service", 200), ("outsider", 404), ("peer", 404)],
)
def test_department_staff_see_their_obligations_without_the_contract_or_its_value(
    api_as: Any, org: Any, contract: Contract, role: str, status: int
) -> None:
    obligation = ObligationFactory(
        contract=contract, department=org.logistics, description="Ship it"
    )
    client = api_as(getattr(org, role))

    response = client.get(f"/api/v1/obligations/{obligation.pk}/")

    assert response.status_code == status
    assert "98765" not in response.content.decode()
    if status == 200:
        assert response.json()["description"] == "Ship it"
        assert "value" not in response.json()


def test_department_staff_complete_but_do_not_edit(
    api_as: Any, org: Any, contract: Contract
) -> None:
    obligation = ObligationFactory(contract=contract, department=org.logistics)
    client = api_as(org.staff)
    url = f"/api/v1/obligations/{obligation.pk}/"

    edited = client.patch(url, {"description": "Changed", "version": 1}, format="json")
    contract_page = client.get(f"/api/v1/contracts/{contract.pk}/")
    completed = client.post(f"{url}complete/", {"note": "Shipped"}, format="json")
    again = client.post(f"{url}complete/", {}, format="json")

    assert edited.status_code == 404
    assert contract_page.status_code == 404
    assert completed.status_code == 200
    assert (completed.json()["status"], completed.json()["closed_by"]) == ("done", org.staff.pk)
    assert again.status_code == 400
    assert again.json()["detail"] == "The obligation is already done."
    obligation.refresh_from_db()
    assert obligation.description != "Changed"


def test_auditors_read_obligations_but_cannot_complete_them(
    api_as: Any, org: Any, contract: Contract
) -> None:
    obligation = ObligationFactory(contract=contract)
    client = api_as(org.auditor)

    assert client.get(f"/api/v1/obligations/{obligation.pk}/").status_code == 200
    assert client.post(f"/api/v1/obligations/{obligation.pk}/complete/").status_code == 403
    obligation.refresh_from_db()
    assert obligation.status == "open"


def test_obligation_list_is_constant_in_queries(
    api_as: Any, org: Any, contract: Contract, django_assert_max_num_queries: Any
) -> None:
    for _n in range(20):
        ObligationFactory(contract=contract, department=org.logistics)
    ObligationFactory(department=org.logistics, contract=ContractFactory())

    with django_assert_max_num_queries(5):
        mine = api_as(org.owner).get("/api/v1/obligations/?page_size=50").json()
    theirs = api_as(org.staff).get(f"/api/v1/obligations/?contract={contract.pk}").json()

    assert (mine["count"], theirs["count"]) == (20, 20)
