"""The contract pages: list, detail, create and edit (optimistic locking), status buttons,
obligations in place (htmx), "My obligations", the account and deal panels, the timeline and
search sources."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from kam.accounts.models import Account
from kam.accounts.tests.factories import AccountFactory
from kam.contracts import services
from kam.contracts.models import Contract, Obligation
from kam.contracts.tests.factories import ContractFactory, ObligationFactory, contract_data
from kam.core import registry
from kam.core.errors import ApplicationError
from kam.sales.tests.factories import DealFactory

pytestmark = pytest.mark.django_db
SECRET = "98765.43"
MATRIX = [
    ("owner", 200),
    ("lead", 200),
    ("peer", 404),
    ("kam", 404),
    ("sales_head", 200),
    ("auditor", 200),
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
        data=contract_data(account, title="Secret supply", value=Decimal(SECRET), number="K-1"),
    )


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_anonymous_is_sent_to_sign_in(contract: Contract) -> None:
    for url in ("/contracts/", f"/contracts/{contract.pk}/", "/obligations/"):
        response = Client().get(url)
        assert response.status_code == 302
        assert "/login" in response["Location"]


def test_the_list_shows_what_one_may_see_at_a_constant_cost(
    org: Any, account: Account, contract: Contract
) -> None:
    client = _client(org.owner)
    ContractFactory(title="Someone else's")
    few = _queries(client, "/contracts/")
    for n in range(20):
        ContractFactory(account=account, title=f"Bulk {n}")

    many = _queries(client, "/contracts/")
    page = client.get("/contracts/?status=draft&q=secret").content.decode()

    assert many == few
    assert "Secret supply" in page
    assert SECRET in page
    assert "Bulk 3" not in page
    assert "Someone else" not in client.get("/contracts/").content.decode()


@pytest.mark.parametrize(("role", "status"), MATRIX)
def test_contract_page_access_matrix(org: Any, contract: Contract, role: str, status: int) -> None:
    response = _client(getattr(org, role)).get(f"/contracts/{contract.pk}/")

    assert response.status_code == status
    page = response.content.decode()
    if status == 404:
        assert "Secret supply" not in page
        assert SECRET not in page
    else:
        assert "Secret supply" in page
        assert SECRET in page


def test_roles_without_confidential_access_never_see_the_value(org: Any) -> None:
    theirs = AccountFactory(owner=org.marketing, name="Marketing's")
    contract = ContractFactory(account=theirs, title="Promo deal", value=Decimal("55555.00"))
    client = _client(org.marketing)

    pages = [
        client.get(url).content.decode()
        for url in (
            "/contracts/",
            f"/contracts/{contract.pk}/",
            f"/accounts/{theirs.pk}/contracts-panel/",
            f"/contracts/{contract.pk}/edit/",
        )
    ]

    assert all("55555" not in page for page in pages)
    assert "Promo deal" in pages[1]
    assert 'name="value"' not in pages[3]


def test_create_page_suggests_a_number_and_saves(org: Any, account: Account) -> None:
    client = _client(org.owner)

    form = client.get(f"/contracts/new/?account={account.pk}").content.decode()
    response = client.post(
        "/contracts/new/",
        {
            "number": "",
            "kind": "supply",
            "title": "Pallets 2027",
            "account": account.pk,
            "start_date": "2027-01-01",
            "end_date": "2027-12-31",
            "value": "1000.00",
            "currency": "EUR",
        },
    )

    contract = Contract.objects.get(title="Pallets 2027")
    assert 'value="C-' in form
    assert response.status_code == 302
    assert response["Location"] == f"/contracts/{contract.pk}/"
    assert contract.number == "C-2027-0001"


def test_create_page_keeps_what_was_typed_and_says_what_is_wrong(
    org: Any, account: Account
) -> None:
    response = _client(org.owner).post(
        "/contracts/new/",
        {
            "kind": "supply",
            "title": "Backwards",
            "account": account.pk,
            "start_date": "2027-01-01",
            "end_date": "2026-01-01",
            "value": "-3",
            "currency": "EUR",
        },
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert 'value="Backwards"' in page
    assert "Ensure this value is greater than or equal to 0." in page
    assert Contract.all_objects.count() == 0


def test_a_stale_edit_shows_the_conflict_and_keeps_the_typed_values(
    org: Any, contract: Contract, account: Account
) -> None:
    services.contract_update(
        user=org.lead, contract=contract, expected_version=1, data={"title": "Lead's title"}
    )
    client = _client(org.owner)

    response = client.post(
        f"/contracts/{contract.pk}/edit/",
        {
            "number": "K-1",
            "kind": "supply",
            "title": "Owner's title",
            "account": account.pk,
            "start_date": "2026-01-01",
            "value": SECRET,
            "currency": "EUR",
            "version": 1,
        },
    )

    page = response.content.decode()
    assert "Someone else saved this contract" in page
    assert 'value="Owner&#x27;s title"' in page
    contract.refresh_from_db()
    assert contract.title == "Lead's title"


def test_edit_page_is_refused_to_those_who_cannot_change(org: Any, contract: Contract) -> None:
    assert _client(org.peer).get(f"/contracts/{contract.pk}/edit/").status_code == 404
    assert _client(org.auditor).get(f"/contracts/{contract.pk}/edit/").status_code == 403


def test_status_buttons_move_or_show_the_refusal(org: Any, contract: Contract) -> None:
    client = _client(org.owner)

    page = client.get(f"/contracts/{contract.pk}/").content.decode()
    moved = client.post(
        f"/contracts/{contract.pk}/transition/", {"status": "negotiation"}, follow=True
    )
    refused = client.post(
        f"/contracts/{contract.pk}/transition/", {"status": "terminated"}, follow=True
    )

    assert 'value="negotiation"' in page
    assert 'value="active"' not in page
    assert "The contract is now negotiation." in moved.content.decode()
    assert "Say why the contract is terminated." in refused.content.decode()
    contract.refresh_from_db()
    assert contract.status == "negotiation"


def test_peers_cannot_move_a_contract(org: Any, contract: Contract) -> None:
    response = _client(org.peer).post(
        f"/contracts/{contract.pk}/transition/", {"status": "negotiation"}
    )

    assert response.status_code == 404
    contract.refresh_from_db()
    assert contract.status == "draft"


def test_obligations_are_added_and_closed_in_place(org: Any, contract: Contract) -> None:
    client = _client(org.owner)
    headers = {"HTTP_HX_REQUEST": "true"}

    added = client.post(
        f"/contracts/{contract.pk}/obligations/",
        {
            "side": "ours",
            "description": "Deliver 40 pallets",
            "due_date": "2026-03-01",
            "department": org.logistics.pk,
        },
        **headers,
    )
    invalid = client.post(
        f"/contracts/{contract.pk}/obligations/",
        {
            "side": "ours",
            "description": "Two owners",
            "department": org.logistics.pk,
            "assignee": org.peer.pk,
        },
        **headers,
    )
    obligation = Obligation.objects.get()
    closed = client.post(
        f"/obligations/{obligation.pk}/close/", {"status": "done", "note": "Delivered"}, **headers
    )

    assert 'id="contract-obligations"' in added.content.decode()
    assert "Deliver 40 pallets" in added.content.decode()
    assert "Name one responsible: a department, a contact or a user." in invalid.content.decode()
    assert "Delivered" in closed.content.decode()
    obligation.refresh_from_db()
    assert (obligation.status, obligation.closed_by) == ("done", org.owner)


def test_my_obligations_lists_the_departments_work_and_closes_it(
    org: Any, contract: Contract
) -> None:
    theirs = ObligationFactory(contract=contract, department=org.logistics, description="Ship it")
    ObligationFactory(contract=contract, description="Not theirs")
    client = _client(org.staff)

    page = client.get("/obligations/").content.decode()
    row = client.post(
        f"/obligations/{theirs.pk}/close/",
        {"status": "done", "next": "mine"},
        HTTP_HX_REQUEST="true",
    ).content.decode()

    assert "Ship it" in page
    assert "Not theirs" not in page
    assert SECRET not in page
    assert f'id="obligation-{theirs.pk}"' in row
    assert "Reopen" in row
    assert (
        _client(org.outsider)
        .post(f"/obligations/{theirs.pk}/close/", {"status": "open"})
        .status_code
        == 404
    )


def test_my_obligations_costs_the_same_whatever_the_rows(org: Any, contract: Contract) -> None:
    client = _client(org.staff)
    ObligationFactory(contract=contract, department=org.logistics)
    few = _queries(client, "/obligations/")
    for _n in range(15):
        ObligationFactory(contract=ContractFactory(), department=org.logistics)

    assert _queries(client, "/obligations/") == few


@time_machine.travel("2026-11-15 12:00:00+00:00", tick=False)
def test_the_account_panel_shows_contracts_in_force_renewal_and_open_obligations(
    org: Any, account: Account
) -> None:
    soon = ContractFactory(
        account=account, number="K-10", status="active", end_date=datetime.date(2027, 1, 31)
    )
    ContractFactory(
        account=account, number="K-11", status="active", end_date=datetime.date(2027, 6, 30)
    )
    ContractFactory(account=account, number="K-12", status="expired")
    ObligationFactory(
        contract=soon, description="Quarterly report", due_date=datetime.date(2026, 11, 1)
    )
    client = _client(org.owner)

    page = client.get(f"/accounts/{account.pk}/contracts-panel/").content.decode()
    denied = _client(org.peer).get(f"/accounts/{account.pk}/contracts-panel/")

    assert "K-10" in page
    assert "K-11" in page
    assert "K-12" not in page
    assert "3 contracts in all" in page
    assert f'href="/contracts/{soon.pk}/">K-10</a> ends' in page
    assert "1 open obligation" in page
    assert "Quarterly report" in page
    assert denied.status_code == 404


def test_the_deal_panel_lists_its_contracts_and_offers_one(org: Any, account: Account) -> None:
    deal = DealFactory(account=account, owner=org.owner)
    ContractFactory(account=account, deal=deal, number="K-20")

    page = _client(org.owner).get(f"/deals/{deal.pk}/contracts-panel/").content.decode()

    assert "K-20" in page
    assert f"/contracts/new/?account={account.pk}&amp;deal={deal.pk}" in page
    assert _client(org.peer).get(f"/deals/{deal.pk}/contracts-panel/").status_code == 404


def test_the_timeline_shows_signed_renewed_expired_and_obligations_done(
    org: Any, account: Account
) -> None:
    contract = ContractFactory(account=account, number="K-30", status="approval")
    services.contract_transition(
        user=org.owner, contract=contract, status="signed", signed_on=datetime.date(2026, 1, 1)
    )
    obligation = ObligationFactory(contract=contract, description="Send samples")
    services.obligation_close(user=org.owner, obligation=obligation)

    titles = [entry.title for entry in registry.timeline(org.owner, account)]
    hidden = [entry.title for entry in registry.timeline(org.peer, account)]

    assert "Contract K-30 signed" in titles
    assert "Obligation done: Send samples" in titles
    assert hidden == []


def test_search_finds_contracts_by_number(org: Any, contract: Contract) -> None:
    hits = registry.search(org.owner, "K-1")

    assert [hit.url for hit in hits if hit.kind == "Contract"] == [f"/contracts/{contract.pk}/"]
    assert [hit for hit in registry.search(org.peer, "K-1") if hit.kind == "Contract"] == []


def test_the_export_hides_the_value_from_roles_without_confidential_access(org: Any) -> None:
    mine = AccountFactory(owner=org.marketing, name="Marketing's")
    ContractFactory(account=mine, number="K-40", title="=HYPERLINK()", value=Decimal("55555.00"))
    ContractFactory(account=AccountFactory(owner=org.owner), number="K-41", value=Decimal("1.00"))

    hidden = b"".join(
        _client(org.marketing).get("/contracts/download/?format=csv").streaming_content
    )
    shown = b"".join(
        _client(org.sales_head).get("/contracts/download/?format=csv&q=K-4").streaming_content
    )

    hidden_rows = hidden.decode("utf-8-sig").splitlines()
    assert hidden_rows[0].startswith(
        "ID,Number,Type,Title,Account,Status,Start,End,Signed on,Renews"
    )
    assert "55555" not in hidden.decode()
    assert len(hidden_rows) == 2
    assert ",'=HYPERLINK()," in hidden_rows[1]
    assert "Value,Currency" in shown.decode().splitlines()[0]
    assert "55555.00,EUR" in shown.decode()
    assert _client(org.owner).get("/contracts/download/?format=pdf").status_code == 404


def test_the_registered_exporter_filters_like_the_list(org: Any, account: Account) -> None:
    ContractFactory(account=account, number="K-50", status="active")
    ContractFactory(account=account, number="K-51", status="draft")
    ContractFactory(number="K-52", status="active")  # someone else's
    exporter = registry.exporters()["contracts"]
    out = io.BytesIO()

    count = exporter.export(org.owner, "csv", {"status": "active"}, out)

    rows = out.getvalue().decode("utf-8-sig").splitlines()
    assert count == 1
    assert [row.split(",")[1] for row in rows[1:]] == ["K-50"]
    with pytest.raises(ApplicationError, match="Unknown filter stage"):
        exporter.export(org.owner, "csv", {"stage": "1"}, io.BytesIO())


def test_the_contract_page_costs_the_same_whatever_its_obligations(
    org: Any, contract: Contract
) -> None:
    client = _client(org.owner)
    ObligationFactory(contract=contract, department=org.logistics)
    few = _queries(client, f"/contracts/{contract.pk}/")
    for _n in range(15):
        ObligationFactory(contract=contract, department=org.logistics, assignee=None)
    for _n in range(5):
        services.contract_update(
            user=org.owner,
            contract=contract,
            expected_version=Contract.objects.get(pk=contract.pk).version,
            data={"notes": f"Note {_n}"},
        )

    assert _queries(client, f"/contracts/{contract.pk}/") == few


def test_obligations_are_not_added_or_closed_by_those_who_may_not(
    org: Any, contract: Contract
) -> None:
    obligation = ObligationFactory(contract=contract)
    data = {"side": "ours", "description": "Sneaky"}

    assert _client(org.peer).post(f"/contracts/{contract.pk}/obligations/", data).status_code == 404
    assert (
        _client(org.auditor).post(f"/contracts/{contract.pk}/obligations/", data).status_code == 403
    )
    assert (
        _client(org.peer)
        .post(f"/obligations/{obligation.pk}/close/", {"status": "done"})
        .status_code
        == 404
    )
    assert (
        _client(org.auditor)
        .post(f"/obligations/{obligation.pk}/close/", {"status": "done"})
        .status_code
        == 403
    )
    obligation.refresh_from_db()
    assert obligation.status == "open"
    assert Obligation.objects.count() == 1


def test_the_account_panel_costs_the_same_whatever_the_contracts(
    org: Any, account: Account
) -> None:
    client = _client(org.owner)
    ObligationFactory(contract=ContractFactory(account=account, status="active"))
    few = _queries(client, f"/accounts/{account.pk}/contracts-panel/")
    for _n in range(12):
        ObligationFactory(contract=ContractFactory(account=account, status="active"))

    assert _queries(client, f"/accounts/{account.pk}/contracts-panel/") == few
