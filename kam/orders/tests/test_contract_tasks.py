"""Internal tasks from a contract: the service, the contract-page panel, the API, the alerts."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
import time_machine
from django.db import IntegrityError
from django.test import Client

from kam.accounts.models import Account
from kam.accounts.tests.factories import AccountFactory
from kam.contracts.models import Contract
from kam.contracts.tests.factories import ContractFactory
from kam.core import registry
from kam.core.errors import NotFoundError, PermissionDeniedError
from kam.orders import services
from kam.orders.alerts import alerts_send
from kam.orders.errors import OrderError
from kam.orders.models import OrderTask
from kam.orders.tests.factories import make_order
from kam.users.models import Department, Notification

pytestmark = pytest.mark.django_db
NOW = datetime.datetime(2026, 11, 20, 9, 0, tzinfo=datetime.UTC)
DUE = datetime.date(2026, 11, 30)
ROLES = ["owner", "lead", "peer", "other", "kam", "sales_head", "auditor", "admin", "staff"]
CHANGES = {"owner", "lead", "sales_head", "admin"}
SEES = CHANGES | {"auditor"}


@pytest.fixture(autouse=True)
def clock() -> Any:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def account(org: Any) -> Account:
    return AccountFactory(owner=org.owner, name="Acme")


@pytest.fixture
def contract(account: Account) -> Contract:
    return ContractFactory(account=account, number="C-2026-0007", title="Frame supply")


@pytest.fixture
def legal(org: Any) -> Department:
    return Department.objects.create(name="Legal review", kind="legal")


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _create(org: Any, contract: Contract, **extra: Any) -> OrderTask:
    values = {"department": org.logistics, "title": "Check delivery terms", "due_date": DUE}
    return services.contract_task_create(user=org.owner, contract=contract, **{**values, **extra})


# --- service ----------------------------------------------------------------------------------


def test_a_contract_task_belongs_to_the_contract_and_its_account(
    org: Any, contract: Contract, account: Account
) -> None:
    task = _create(org, contract, description="Incoterms 2020")

    task.refresh_from_db()
    assert (task.contract, task.order, task.account) == (contract, None, account)
    assert (task.title, task.description, task.due_date) == (
        "Check delivery terms",
        "Incoterms 2020",
        DUE,
    )
    assert task.created_by == org.owner
    assert task.status == "open"


def test_order_tasks_keep_their_orders_account(org: Any, account: Account) -> None:
    order = make_order(user=org.owner, account=account)

    task = services.order_task_create(
        user=org.owner, order=order, department=org.logistics, title="Pack", due_date=DUE
    )

    assert (task.order, task.contract, task.account) == (order, None, account)


def test_a_task_has_an_order_or_a_contract_not_both_nor_none(
    org: Any, contract: Contract, account: Account
) -> None:
    order = make_order(user=org.owner, account=account)
    with pytest.raises(IntegrityError):
        OrderTask.objects.create(
            order=order, contract=contract, department=org.logistics, title="x", due_date=DUE
        )


def test_a_task_with_neither_is_refused(org: Any) -> None:
    with pytest.raises(IntegrityError):
        OrderTask.objects.create(department=org.logistics, title="x", due_date=DUE)


@pytest.mark.parametrize(
    ("who", "error"), [("other", NotFoundError), ("auditor", PermissionDeniedError)]
)
def test_who_may_not_change_the_contract_cannot_add(
    org: Any, contract: Contract, who: str, error: type[Exception]
) -> None:
    with pytest.raises(error):
        services.contract_task_create(
            user=getattr(org, who),
            contract=contract,
            department=org.logistics,
            title="x",
            due_date=DUE,
        )
    assert OrderTask.objects.count() == 0


def test_only_task_departments_are_accepted(org: Any, contract: Contract) -> None:
    sales = Department.objects.create(name="Sales ops", kind="other")

    with pytest.raises(OrderError) as refused:
        _create(org, contract, department=sales)

    assert refused.value.fields == {
        "department": ["Tasks go to logistics, finance, production or legal."]
    }
    assert OrderTask.objects.count() == 0


def test_visibility_follows_the_account_and_the_department(
    org: Any, contract: Contract, legal: Department
) -> None:
    for_logistics = _create(org, contract)
    for_legal = _create(org, contract, department=legal, title="Review clause 7")
    from kam.orders.selectors import task_list

    def seen(user: Any) -> set[int]:
        return set(task_list(user=user).values_list("pk", flat=True))

    both = {for_logistics.pk, for_legal.pk}
    assert seen(org.owner) == both
    assert seen(org.lead) == both
    assert seen(org.sales_head) == both
    assert seen(org.auditor) == both
    assert seen(org.staff) == {for_logistics.pk}
    assert seen(org.other) == set()
    assert seen(org.peer) == set()


def test_staff_close_their_departments_contract_task(org: Any, contract: Contract) -> None:
    task = _create(org, contract)

    closed = services.order_task_close(user=org.staff, task=task)

    assert (closed.status, closed.closed_by) == ("done", org.staff)


def test_an_overdue_contract_task_alerts_the_account_owner(
    org: Any, contract: Contract, clock: Any
) -> None:
    _create(org, contract, due_date=datetime.date(2026, 11, 21))
    clock.move_to(datetime.datetime(2026, 11, 23, 9, 0, tzinfo=datetime.UTC))

    sent = alerts_send()
    again = alerts_send()

    assert sent["escalated_tasks"] == 1
    assert again["escalated_tasks"] == 0
    notice = Notification.objects.get(recipient=org.owner)
    assert notice.title == (
        "Overdue Logistics task on C-2026-0007 Frame supply: Check delivery terms"
    )
    assert notice.url == f"/contracts/{contract.pk}/"


# --- the contract page's panel ----------------------------------------------------------------


def test_panel_is_registered_for_the_contract_page(org: Any) -> None:
    panels = {p.key: p for p in registry.panels_for("contracts.contract", org.owner)}
    assert panels["orders.contract_tasks"].url_name == "orders:contract_tasks_panel"


def test_panel_lists_the_contracts_tasks_only(
    org: Any, contract: Contract, account: Account
) -> None:
    _create(org, contract, title="Check delivery terms")
    other_contract = ContractFactory(account=account, number="C-2026-0008")
    _create(org, other_contract, title="Something else")
    order = make_order(user=org.owner, account=account)
    services.order_task_create(
        user=org.owner, order=order, department=org.logistics, title="Pack pallets", due_date=DUE
    )

    page = _client(org.owner).get(f"/contracts/{contract.pk}/tasks-panel/").content.decode()

    assert "Check delivery terms" in page
    assert "Something else" not in page
    assert "Pack pallets" not in page
    assert "Send task" in page


def test_panel_adds_a_task(org: Any, contract: Contract) -> None:
    response = _client(org.owner).post(
        f"/contracts/{contract.pk}/tasks-panel/",
        {
            "task-department": org.logistics.pk,
            "task-title": "Archive the signed copy",
            "task-due_date": "2026-12-01",
        },
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 200
    assert "Archive the signed copy" in response.content.decode()
    task = OrderTask.objects.get()
    assert (task.contract, task.department, task.due_date) == (
        contract,
        org.logistics,
        datetime.date(2026, 12, 1),
    )


def test_panel_without_htmx_goes_back_to_the_contract(org: Any, contract: Contract) -> None:
    response = _client(org.owner).post(
        f"/contracts/{contract.pk}/tasks-panel/",
        {
            "task-department": org.logistics.pk,
            "task-title": "Archive",
            "task-due_date": "2026-12-01",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == f"/contracts/{contract.pk}/"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"task-title": "", "task-due_date": "2026-12-01"}, "title"),
        ({"task-title": "x", "task-due_date": "next week"}, "due_date"),
        (
            {"task-title": "x", "task-due_date": "2026-12-01", "task-department": "999999"},
            "department",
        ),
    ],
)
def test_panel_shows_validation_errors(
    org: Any, contract: Contract, data: dict[str, str], field: str
) -> None:
    body = {"task-department": org.logistics.pk, **data}

    response = _client(org.owner).post(
        f"/contracts/{contract.pk}/tasks-panel/", body, HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 400
    assert 'class="invalid-feedback d-block"' in response.content.decode()
    assert f'id="id_task-{field}"' in response.content.decode()
    assert OrderTask.objects.count() == 0


@pytest.mark.parametrize("who", ROLES)
def test_panel_access_matrix(org: Any, contract: Contract, who: str) -> None:
    _create(org, contract, title="Check delivery terms")
    client = _client(getattr(org, who))

    listed = client.get(f"/contracts/{contract.pk}/tasks-panel/")
    posted = client.post(
        f"/contracts/{contract.pk}/tasks-panel/",
        {
            "task-department": org.logistics.pk,
            "task-title": "Sneaky",
            "task-due_date": "2026-12-01",
        },
        HTTP_HX_REQUEST="true",
    )

    if who in SEES:
        assert listed.status_code == 200
        assert "Check delivery terms" in listed.content.decode()
        assert ("Send task" in listed.content.decode()) == (who in CHANGES)
    else:
        assert listed.status_code == 404
        assert "Check delivery terms" not in listed.content.decode()
    expected = 200 if who in CHANGES else 403 if who in SEES else 404
    assert posted.status_code == expected
    assert OrderTask.objects.filter(title="Sneaky").count() == (1 if who in CHANGES else 0)


def test_panel_needs_a_login(contract: Contract) -> None:
    assert Client().get(f"/contracts/{contract.pk}/tasks-panel/").status_code == 302


def test_panel_queries_are_constant(
    org: Any, contract: Contract, django_assert_max_num_queries: Any
) -> None:
    client = _client(org.owner)
    _create(org, contract)
    with django_assert_max_num_queries(12):
        client.get(f"/contracts/{contract.pk}/tasks-panel/")
    for index in range(10):
        _create(org, contract, title=f"Task {index}")
    with django_assert_max_num_queries(12):
        page = client.get(f"/contracts/{contract.pk}/tasks-panel/").content.decode()

    assert "Task 9" in page


# --- the API ----------------------------------------------------------------------------------


def test_api_lists_contract_tasks_with_their_contract(
    org: Any, contract: Contract, account: Account, api_as: Any
) -> None:
    task = _create(org, contract)

    rows = api_as(org.staff).get("/api/v1/order-tasks/", {"contract": contract.pk}).json()

    (row,) = rows["results"]
    assert row["id"] == task.pk
    assert (row["order"], row["order_number"]) == (None, None)
    assert (row["contract"], row["contract_title"]) == (contract.pk, "C-2026-0007 Frame supply")
    assert (row["account"], row["account_name"]) == (account.pk, "Acme")
    assert api_as(org.other).get(f"/api/v1/order-tasks/{task.pk}/").status_code == 404


def test_the_data_migration_gives_old_tasks_their_orders_account(
    org: Any, account: Account, contract: Contract
) -> None:
    from importlib import import_module

    from django.apps import apps

    migration = import_module("kam.orders.migrations.0004_fill_order_task_accounts")
    order = make_order(user=org.owner, account=account)
    old = services.order_task_create(
        user=org.owner, order=order, department=org.logistics, title="Pack", due_date=DUE
    )
    from_contract = _create(org, contract)
    OrderTask.objects.filter(pk=old.pk).update(account=None)

    migration.fill(apps, None)

    assert OrderTask.objects.get(pk=old.pk).account_id == account.pk
    assert OrderTask.objects.get(pk=from_contract.pk).account_id == account.pk
