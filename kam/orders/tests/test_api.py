"""/api/v1/orders/ (CRUD, transition, deliveries), /api/v1/approvals/, /api/v1/order-tasks/."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
import time_machine

from kam.accounts.models import Account
from kam.accounts.tests.factories import AccountFactory
from kam.catalog.models import Product
from kam.orders import services
from kam.orders.models import Approval, Order, OrderTask
from kam.orders.tests.factories import ProductFactory, bulk_orders, line, make_order
from kam.users.models import Department

pytestmark = pytest.mark.django_db
NOW = datetime.datetime(2026, 11, 20, 9, 0, tzinfo=datetime.UTC)
ROLES = ["owner", "lead", "peer", "other", "kam", "sales_head", "auditor", "admin", "staff"]


@pytest.fixture(autouse=True)
def clock() -> Any:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def account(org: Any) -> Account:
    return AccountFactory(owner=org.owner, name="Acme", credit_limit=Decimal("1000.00"))


@pytest.fixture
def product() -> Product:
    return ProductFactory(sku="BOLT-10", name="Bolt", list_price=Decimal("25.00"))


@pytest.fixture
def order(org: Any, account: Account, product: Product) -> Order:
    return make_order(user=org.owner, account=account, products=[(product, "4")])


def _payload(account: Account, product: Product, **extra: Any) -> dict[str, Any]:
    return {
        "account": account.pk,
        "requested_date": "2026-12-01",
        "promised_date": "2026-12-05",
        "lines": [{"product": product.pk, "quantity": "4"}],
        **extra,
    }


def test_create_prices_the_lines_and_answers_the_order(
    api_as: Any, org: Any, account: Account, product: Product
) -> None:
    response = api_as(org.owner).post("/api/v1/orders/", _payload(account, product), format="json")

    assert response.status_code == 201
    body = response.json()
    assert body["number"] == "O-2026-000001"
    assert (body["status"], body["total_net"], body["total_tax"], body["total_gross"]) == (
        "received",
        "100.00",
        "20.00",
        "120.00",
    )
    assert body["lines"][0]["unit_price"] == "25.00"
    assert body["lines"][0]["price_steps"][0]["label"] == "List price 25.00 EUR"
    assert response["ETag"] == f'"{body["version"]}"'


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        (
            {"lines": [{"quantity": "0"}]},
            "lines.0.quantity",
            "The quantity must be more than zero.",
        ),
        (
            {"lines": [{"quantity": "-1"}]},
            "lines.0.quantity",
            "The quantity must be more than zero.",
        ),
        (
            {"promised_date": "2026-11-30"},
            "promised_date",
            "The promised date cannot be before the requested date.",
        ),
        ({"lines": []}, "lines", "Add at least one line."),
    ],
)
def test_create_refuses_bad_input(
    api_as: Any,
    org: Any,
    account: Account,
    product: Product,
    change: dict[str, Any],
    field: str,
    message: str,
) -> None:
    payload = _payload(account, product)
    if "lines" in change and change["lines"]:
        payload["lines"] = [{**payload["lines"][0], **change["lines"][0]}]
    else:
        payload.update(change)

    response = api_as(org.owner).post("/api/v1/orders/", payload, format="json")

    assert response.status_code == 400
    assert response.json()["fields"] == {field: [message]}
    assert Order.all_objects.count() == 0


def test_unknown_or_inactive_product_is_refused(
    api_as: Any, org: Any, account: Account, product: Product
) -> None:
    inactive = ProductFactory(sku="OLD-1", name="Old", is_active=False)
    client = api_as(org.owner)
    unknown = _payload(account, product)
    unknown["lines"] = [{"product": product.pk + 100000, "quantity": "1"}]
    old = _payload(account, product)
    old["lines"] = [{"product": inactive.pk, "quantity": "1"}]

    first = client.post("/api/v1/orders/", unknown, format="json")
    second = client.post("/api/v1/orders/", old, format="json")

    assert first.status_code == 400
    assert first.json()["code"] == "validation_error"
    assert first.json()["fields"]["lines"] == {
        "0": {"product": [f'Invalid pk "{product.pk + 100000}" - object does not exist.']}
    }
    assert second.status_code == 400
    assert second.json()["fields"] == {"lines.0.product": ["OLD-1 Old is not sold any more."]}
    assert Order.all_objects.count() == 0


@pytest.mark.parametrize("role", ["other", "kam", "staff"])
def test_an_account_one_cannot_see_answers_the_missing_shape(
    api_as: Any, org: Any, account: Account, product: Product, role: str
) -> None:
    client = api_as(getattr(org, role))

    hidden = client.post("/api/v1/orders/", _payload(account, product), format="json")
    missing = client.post(
        "/api/v1/orders/",
        {**_payload(account, product), "account": account.pk + 100000},
        format="json",
    )

    assert hidden.status_code == missing.status_code == 404
    assert (
        hidden.json()
        == missing.json()
        == {"code": "not_found", "detail": "Not found.", "fields": {}}
    )
    assert Order.all_objects.count() == 0


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("owner", 200),
        ("lead", 200),
        ("peer", 404),
        ("other", 404),
        ("kam", 404),
        ("sales_head", 200),
        ("auditor", 200),
        ("admin", 200),
        ("staff", 404),
    ],
)
def test_order_detail_access_matrix(
    api_as: Any, org: Any, order: Order, role: str, status: int
) -> None:
    response = api_as(getattr(org, role)).get(f"/api/v1/orders/{order.pk}/")

    assert response.status_code == status
    if status == 404:
        assert order.number not in response.content.decode()


def test_anonymous_gets_401_and_changes_nothing(api: Any, order: Order) -> None:
    listing = api.get("/api/v1/orders/")
    detail = api.get(f"/api/v1/orders/{order.pk}/")
    move = api.post(f"/api/v1/orders/{order.pk}/transition/", {"to": "confirmed"})
    approvals = api.get("/api/v1/approvals/")
    tasks = api.get("/api/v1/order-tasks/")

    assert [r.status_code for r in (listing, detail, move, approvals, tasks)] == [401] * 5
    assert order.number not in listing.content.decode() + detail.content.decode()
    order.refresh_from_db()
    assert order.status == "received"


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("owner", 200),
        ("lead", 200),
        ("peer", 404),
        ("other", 404),
        ("sales_head", 200),
        ("auditor", 403),
        ("admin", 200),
    ],
)
def test_transition_access_matrix(
    api_as: Any, org: Any, order: Order, role: str, status: int
) -> None:
    response = api_as(getattr(org, role)).post(
        f"/api/v1/orders/{order.pk}/transition/", {"to": "confirmed"}, format="json"
    )

    assert response.status_code == status
    order.refresh_from_db()
    assert order.status == ("confirmed" if status == 200 else "received")


def test_confirm_over_the_credit_limit_is_refused_then_sent_for_approval(
    api_as: Any, org: Any, account: Account
) -> None:
    big = make_order(
        user=org.owner,
        account=account,
        products=[(ProductFactory(list_price=Decimal("900.00")), "1")],
    )
    client = api_as(org.owner)

    refused = client.post(
        f"/api/v1/orders/{big.pk}/transition/", {"to": "confirmed"}, format="json"
    )
    asked = client.post(
        f"/api/v1/orders/{big.pk}/transition/",
        {"to": "confirmed", "request_approval": True},
        format="json",
    )

    assert refused.status_code == 400
    assert refused.json()["code"] == "credit_limit_exceeded"
    assert refused.json()["detail"] == (
        "Confirming would bring the account's open orders to 1080.00 EUR, over its credit "
        "limit of 1000.00 EUR."
    )
    assert asked.status_code == 202
    assert asked.json()["order"]["status"] == "received"
    assert asked.json()["approval"]["reason"] == "credit_limit"
    assert asked.json()["approval"]["amount"] == "1080.00"


def test_cancel_needs_a_reason(api_as: Any, org: Any, order: Order) -> None:
    client = api_as(org.owner)

    bare = client.post(f"/api/v1/orders/{order.pk}/transition/", {"to": "cancelled"}, format="json")
    done = client.post(
        f"/api/v1/orders/{order.pk}/transition/",
        {"to": "cancelled", "reason": "Wrong product"},
        format="json",
    )

    assert bare.status_code == 400
    assert bare.json()["fields"] == {"reason": ["Say why the order is cancelled."]}
    assert done.status_code == 200
    assert (done.json()["status"], done.json()["cancel_reason"]) == ("cancelled", "Wrong product")


def test_deliveries_record_and_refuse_over_delivery(api_as: Any, org: Any, order: Order) -> None:
    services.order_transition(user=org.owner, order=order, to="confirmed")
    line_id = order.lines.get().pk
    client = api_as(org.owner)

    over = client.post(
        f"/api/v1/orders/{order.pk}/deliveries/",
        {"delivered_on": "2026-11-19", "lines": [{"line": line_id, "quantity": "5"}]},
        format="json",
    )
    partial = client.post(
        f"/api/v1/orders/{order.pk}/deliveries/",
        {"delivered_on": "2026-11-19", "lines": [{"line": line_id, "quantity": "3"}]},
        format="json",
    )
    rest = client.post(
        f"/api/v1/orders/{order.pk}/deliveries/",
        {"delivered_on": "2026-11-20", "lines": [{"line": line_id, "quantity": "1"}]},
        format="json",
    )
    listing = client.get(f"/api/v1/orders/{order.pk}/deliveries/")

    assert over.status_code == 400
    assert over.json()["fields"] == {
        "lines": ["BOLT-10 Bolt: 5.000 is more than the 4.000 still to deliver."]
    }
    assert (partial.status_code, rest.status_code) == (201, 201)
    assert [d["delivered_on"] for d in listing.json()] == ["2026-11-19", "2026-11-20"]
    detail = client.get(f"/api/v1/orders/{order.pk}/").json()
    assert (detail["status"], detail["is_on_time"]) == ("delivered", True)
    assert detail["lines"][0]["delivered_quantity"] == "4.000"


def test_deliveries_by_someone_who_cannot_change_the_order(
    api_as: Any, org: Any, order: Order
) -> None:
    services.order_transition(user=org.owner, order=order, to="confirmed")
    line_id = order.lines.get().pk
    payload = {"delivered_on": "2026-11-19", "lines": [{"line": line_id, "quantity": "1"}]}

    peer = api_as(org.peer).post(f"/api/v1/orders/{order.pk}/deliveries/", payload, format="json")
    auditor = api_as(org.auditor).post(
        f"/api/v1/orders/{order.pk}/deliveries/", payload, format="json"
    )

    assert (peer.status_code, auditor.status_code) == (404, 403)
    assert order.deliveries.count() == 0


def test_update_replaces_lines_with_the_version(api_as: Any, org: Any, order: Order) -> None:
    other = ProductFactory(list_price=Decimal("5.00"))
    client = api_as(org.owner)

    stale = client.patch(
        f"/api/v1/orders/{order.pk}/",
        {"version": order.version + 5, "lines": [{"product": other.pk, "quantity": "2"}]},
        format="json",
    )
    fresh = client.patch(
        f"/api/v1/orders/{order.pk}/",
        {"version": order.version, "lines": [{"product": other.pk, "quantity": "2"}]},
        format="json",
    )

    assert stale.status_code == 409
    assert fresh.status_code == 200
    assert fresh.json()["total_net"] == "10.00"


def test_order_list_filters_and_costs_constant_queries(
    api_as: Any,
    org: Any,
    account: Account,
    product: Product,
    django_assert_max_num_queries: Any,
) -> None:
    client = api_as(org.owner)
    bulk_orders(account=account, owner=org.owner, count=5, product=product)
    with django_assert_max_num_queries(8):
        small = client.get("/api/v1/orders/?overdue=true&page_size=200")
    bulk_orders(account=account, owner=org.owner, count=195, product=product)
    with django_assert_max_num_queries(8):
        large = client.get("/api/v1/orders/?overdue=true&page_size=200")

    assert small.json()["count"] == 5
    assert large.json()["count"] == 200
    assert api_as(org.owner).get("/api/v1/orders/?overdue=false").json()["count"] == 0


def test_list_is_scoped(api_as: Any, org: Any, order: Order) -> None:
    make_order(user=org.other, account=AccountFactory(owner=org.other))

    mine = api_as(org.owner).get("/api/v1/orders/").json()
    heads = api_as(org.sales_head).get("/api/v1/orders/").json()

    assert [row["number"] for row in mine["results"]] == [order.number]
    assert heads["count"] == 2


# --- approvals --------------------------------------------------------------------------------


@pytest.fixture
def approval(org: Any, account: Account) -> Approval:
    services.order_create(
        user=org.owner,
        account=account,
        lines=[line(ProductFactory(), "1", discount_percent=Decimal("20"))],
    )
    return Approval.objects.get()


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("owner", 403),
        ("lead", 403),
        ("peer", 404),
        ("kam", 404),
        ("auditor", 403),
        ("sales_head", 200),
        ("admin", 200),
    ],
)
def test_decide_access_matrix(
    api_as: Any, org: Any, approval: Approval, role: str, status: int
) -> None:
    response = api_as(getattr(org, role)).post(
        f"/api/v1/approvals/{approval.pk}/decide/", {"decision": "approve"}, format="json"
    )

    assert response.status_code == status
    approval.refresh_from_db()
    assert approval.status == ("approved" if status == 200 else "pending")


def test_deciding_twice_answers_400(api_as: Any, org: Any, approval: Approval) -> None:
    client = api_as(org.sales_head)
    client.post(f"/api/v1/approvals/{approval.pk}/decide/", {"decision": "approve"}, format="json")

    again = client.post(
        f"/api/v1/approvals/{approval.pk}/decide/",
        {"decision": "reject", "comment": "No"},
        format="json",
    )
    bad = client.post(
        f"/api/v1/approvals/{approval.pk}/decide/", {"decision": "maybe"}, format="json"
    )

    assert again.status_code == 400
    assert again.json()["code"] == "approval_invalid"
    assert again.json()["detail"] == "This request was already Approved."
    assert bad.status_code == 400
    approval.refresh_from_db()
    assert approval.status == "approved"


def test_approval_list_is_scoped(api_as: Any, org: Any, approval: Approval) -> None:
    assert api_as(org.owner).get("/api/v1/approvals/").json()["count"] == 1
    assert api_as(org.peer).get("/api/v1/approvals/").json()["count"] == 0
    pending = api_as(org.sales_head).get("/api/v1/approvals/?status=pending").json()
    assert [row["id"] for row in pending["results"]] == [approval.pk]
    assert pending["results"][0]["amount"] == "20.00"


# --- department tasks -------------------------------------------------------------------------


@pytest.fixture
def task(org: Any, order: Order) -> OrderTask:
    Department.objects.filter(pk=org.logistics.pk).update(kind="logistics")
    org.logistics.refresh_from_db()
    return services.order_task_create(
        user=org.owner,
        order=order,
        department=org.logistics,
        title="Pack",
        due_date=datetime.date(2026, 11, 25),
    )


def test_department_staff_see_tasks_without_amounts(
    api_as: Any, org: Any, task: OrderTask, order: Order
) -> None:
    listing = api_as(org.staff).get("/api/v1/order-tasks/")

    assert [row["id"] for row in listing.json()["results"]] == [task.pk]
    row = listing.json()["results"][0]
    assert (row["order_number"], row["department_name"]) == (order.number, "Logistics")
    assert not {"total_net", "total_tax", "amount", "unit_price"} & set(row)
    assert "100.00" not in listing.content.decode()
    assert api_as(org.staff).get(f"/api/v1/orders/{order.pk}/").status_code == 404
    assert api_as(org.outsider).get("/api/v1/order-tasks/").json()["count"] == 0


@pytest.mark.parametrize(
    ("role", "status"),
    [("staff", 200), ("owner", 200), ("outsider", 404), ("peer", 404), ("auditor", 403)],
)
def test_close_task_access_matrix(
    api_as: Any, org: Any, task: OrderTask, role: str, status: int
) -> None:
    response = api_as(getattr(org, role)).post(f"/api/v1/order-tasks/{task.pk}/close/")

    assert response.status_code == status
    task.refresh_from_db()
    assert task.status == ("done" if status == 200 else "open")


def test_create_task_through_the_api(api_as: Any, org: Any, order: Order) -> None:
    Department.objects.filter(pk=org.logistics.pk).update(kind="logistics")

    made = api_as(org.owner).post(
        "/api/v1/order-tasks/",
        {
            "order": order.pk,
            "department": org.logistics.pk,
            "title": "Ship",
            "due_date": "2026-11-30",
        },
        format="json",
    )
    hidden = api_as(org.peer).post(
        "/api/v1/order-tasks/",
        {
            "order": order.pk,
            "department": org.logistics.pk,
            "title": "Ship",
            "due_date": "2026-11-30",
        },
        format="json",
    )

    assert made.status_code == 201
    assert made.json()["title"] == "Ship"
    assert hidden.status_code == 404
    assert OrderTask.objects.count() == 1


def test_schema_renders_without_warnings(api_as: Any, org: Any) -> None:
    response = api_as(org.admin).get("/api/schema/")

    assert response.status_code == 200
    assert b"/api/v1/orders/{id}/transition/" in response.content


def test_confidential_prices_are_hidden_from_roles_without_the_permission(
    api_as: Any, org: Any, account: Account
) -> None:
    from kam.accounts.models import AccountTeamMember

    AccountTeamMember.objects.create(account=account, user=org.marketing)
    order = services.order_create(
        user=org.owner,
        account=account,
        lines=[
            line(ProductFactory(list_price=Decimal("80.00")), "1", discount_percent=Decimal("7"))
        ],
    )

    seen = api_as(org.marketing).get(f"/api/v1/orders/{order.pk}/")
    owner = api_as(org.owner).get(f"/api/v1/orders/{order.pk}/")

    assert seen.status_code == 200
    hidden = {
        "list_price",
        "priced_unit_price",
        "price_discount_percent",
        "discount_percent",
        "price_steps",
    }
    assert not hidden & set(seen.json()["lines"][0])
    assert "Manual discount" not in seen.content.decode()
    assert seen.json()["lines"][0]["unit_price"] == "74.40"
    assert hidden <= set(owner.json()["lines"][0])


@pytest.mark.parametrize(
    ("role", "status"),
    [("owner", 204), ("lead", 204), ("peer", 404), ("auditor", 403), ("sales_head", 204)],
)
def test_delete_access_matrix(api_as: Any, org: Any, order: Order, role: str, status: int) -> None:
    response = api_as(getattr(org, role)).delete(f"/api/v1/orders/{order.pk}/")

    assert response.status_code == status
    order.refresh_from_db()
    assert (order.deleted_at is not None) == (status == 204)


def test_a_confirmed_order_is_cancelled_not_deleted(api_as: Any, org: Any, order: Order) -> None:
    services.order_transition(user=org.owner, order=order, to="confirmed")

    response = api_as(org.owner).delete(f"/api/v1/orders/{order.pk}/")

    assert response.status_code == 400
    assert response.json()["detail"] == "Only a received order can be deleted; cancel it instead."
    order.refresh_from_db()
    assert order.deleted_at is None
