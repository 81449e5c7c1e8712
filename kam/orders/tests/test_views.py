"""Order pages: list, detail, create and edit, moves, deliveries, tasks, the approvals inbox,
the department tasks page, the account and deal panels, the timeline and search sources."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.test import Client

from kam.accounts.models import Account
from kam.accounts.tests.factories import AccountFactory
from kam.catalog.models import Product
from kam.core import registry
from kam.orders import services
from kam.orders.models import Approval, Order, OrderTask
from kam.orders.tests.factories import ProductFactory, bulk_orders, line, make_order
from kam.sales.tests.factories import DealFactory
from kam.users.models import Department

pytestmark = pytest.mark.django_db
NOW = datetime.datetime(2026, 11, 20, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def clock() -> Any:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def account(org: Any) -> Account:
    return AccountFactory(owner=org.owner, name="Acme", credit_limit=Decimal("5000.00"))


@pytest.fixture
def product() -> Product:
    return ProductFactory(sku="BOLT-10", name="Bolt", list_price=Decimal("25.00"))


@pytest.fixture
def order(org: Any, account: Account, product: Product) -> Order:
    return make_order(user=org.owner, account=account, products=[(product, "4")])


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _logistics(org: Any) -> Department:
    Department.objects.filter(pk=org.logistics.pk).update(kind="logistics")
    org.logistics.refresh_from_db()
    return org.logistics


# --- list --------------------------------------------------------------------------------------


def test_list_shows_visible_orders_with_filters(org: Any, order: Order, account: Account) -> None:
    theirs = make_order(user=org.other, account=AccountFactory(owner=org.other))

    page = _client(org.owner).get("/orders/").content.decode()
    filtered = _client(org.sales_head).get("/orders/?status=confirmed").content.decode()

    assert order.number in page
    assert theirs.number not in page
    assert order.number not in filtered


def test_list_queries_are_constant(
    org: Any, account: Account, product: Product, django_assert_max_num_queries: Any
) -> None:
    client = _client(org.owner)
    bulk_orders(account=account, owner=org.owner, count=5, product=product)
    with django_assert_max_num_queries(12):
        small = client.get("/orders/?overdue=true")
    bulk_orders(account=account, owner=org.owner, count=195, product=product)
    with django_assert_max_num_queries(12):
        large = client.get("/orders/?overdue=true")

    assert small.content.decode().count('data-timeliness="overdue"') == 5
    assert large.content.decode().count('data-timeliness="overdue"') == 50


def test_anonymous_is_sent_to_sign_in(client: Any, order: Order) -> None:
    for url in ("/orders/", f"/orders/{order.pk}/", "/orders/approvals/", "/orders/tasks/"):
        response = client.get(url)
        assert response.status_code == 302
        assert "/login" in response["Location"]


# --- detail ------------------------------------------------------------------------------------


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
def test_detail_access_matrix(org: Any, order: Order, role: str, status: int) -> None:
    response = _client(getattr(org, role)).get(f"/orders/{order.pk}/")

    assert response.status_code == status
    assert (order.number in response.content.decode()) == (status == 200)


def test_detail_explains_the_price_and_shows_moves(org: Any, order: Order) -> None:
    page = _client(org.owner).get(f"/orders/{order.pk}/").content.decode()

    assert "Why this price" in page
    assert "List price 25.00 EUR" in page
    assert 'name="to" value="confirmed"' in page
    assert 'name="to" value="cancelled"' in page


def test_auditor_sees_no_moves(org: Any, order: Order) -> None:
    page = _client(org.auditor).get(f"/orders/{order.pk}/").content.decode()

    assert 'name="to"' not in page
    assert "Send task" not in page


def test_move_from_the_page(org: Any, order: Order) -> None:
    response = _client(org.owner).post(
        f"/orders/{order.pk}/transition/", {"to": "confirmed", "version": order.version}
    )

    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == "confirmed"


def test_refused_move_says_why_and_changes_nothing(org: Any, order: Order) -> None:
    client = _client(org.owner)

    response = client.post(f"/orders/{order.pk}/transition/", {"to": "cancelled"}, follow=True)

    assert "Say why the order is cancelled." in response.content.decode()
    order.refresh_from_db()
    assert order.status == "received"


def test_moves_by_those_who_may_not(org: Any, order: Order) -> None:
    assert (
        _client(org.peer).post(f"/orders/{order.pk}/transition/", {"to": "confirmed"}).status_code
        == 404
    )
    assert (
        _client(org.auditor)
        .post(f"/orders/{order.pk}/transition/", {"to": "confirmed"})
        .status_code
        == 403
    )
    order.refresh_from_db()
    assert order.status == "received"


def test_delivery_form_records_and_refuses_over_delivery(org: Any, order: Order) -> None:
    services.order_transition(user=org.owner, order=order, to="confirmed")
    line_id = order.lines.get().pk
    client = _client(org.owner)

    over = client.post(
        f"/orders/{order.pk}/deliveries/", {"delivered_on": "2026-11-19", f"line_{line_id}": "9"}
    )
    done = client.post(
        f"/orders/{order.pk}/deliveries/", {"delivered_on": "2026-11-19", f"line_{line_id}": "4"}
    )

    assert over.status_code == 400
    assert "BOLT-10 Bolt: 9.000 is more than the 4.000 still to deliver." in over.content.decode()
    assert done.status_code == 302
    order.refresh_from_db()
    assert (order.status, order.is_on_time) == ("delivered", True)


def test_task_form_sends_and_closes(org: Any, order: Order) -> None:
    department = _logistics(org)
    client = _client(org.owner)

    bad = client.post(f"/orders/{order.pk}/tasks/", {"department": department.pk, "title": ""})
    made = client.post(
        f"/orders/{order.pk}/tasks/",
        {"department": department.pk, "title": "Pack", "due_date": "2026-11-25"},
    )

    assert bad.status_code == 400
    assert made.status_code == 302
    task = OrderTask.objects.get()
    page = client.get(f"/orders/{order.pk}/").content.decode()
    assert "Pack" in page
    assert client.post(f"/orders/tasks/{task.pk}/close/", {"next": "order"}).status_code == 302
    task.refresh_from_db()
    assert task.status == "done"


# --- create and edit ---------------------------------------------------------------------------


def _form(account: Account, product: Product, **extra: Any) -> dict[str, Any]:
    data = {
        "account": account.pk,
        "requested_date": "2026-12-01",
        "promised_date": "2026-12-05",
        "lines-TOTAL_FORMS": "8",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "8",
        "lines-MAX_NUM_FORMS": "100",
        "lines-0-product": product.pk,
        "lines-0-quantity": "3",
    }
    data.update(extra)
    return data


def test_create_page_prices_and_redirects(org: Any, account: Account, product: Product) -> None:
    client = _client(org.owner)

    page = client.get(f"/orders/new/?account={account.pk}")
    response = client.post("/orders/new/", _form(account, product))

    assert page.status_code == 200
    order = Order.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/orders/{order.pk}/"
    assert (order.total_net, order.lines.get().quantity) == (Decimal("75.00"), Decimal("3.000"))


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"lines-0-quantity": "0"}, "The quantity must be more than zero."),
        ({"promised_date": "2026-11-01"}, "The promised date cannot be before the requested date."),
        ({"lines-0-product": ""}, "Add at least one line."),
    ],
)
def test_create_page_shows_the_refusal(
    org: Any, account: Account, product: Product, extra: dict[str, Any], message: str
) -> None:
    response = _client(org.owner).post("/orders/new/", _form(account, product, **extra))

    assert response.status_code == 200
    assert message in response.content.decode()
    assert Order.all_objects.count() == 0


def test_create_page_offers_only_accounts_one_may_change(
    org: Any, account: Account, product: Product
) -> None:
    response = _client(org.other).post("/orders/new/", _form(account, product))

    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert Order.all_objects.count() == 0


def test_edit_page_replaces_lines(org: Any, order: Order) -> None:
    other = ProductFactory(list_price=Decimal("2.00"))
    data = _form(order.account, other, version=order.version)

    response = _client(org.owner).post(f"/orders/{order.pk}/edit/", data)

    assert response.status_code == 302
    order.refresh_from_db()
    assert order.total_net == Decimal("6.00")
    assert _client(org.peer).get(f"/orders/{order.pk}/edit/").status_code == 404


# --- approvals inbox ---------------------------------------------------------------------------


@pytest.fixture
def approval(org: Any, account: Account) -> Approval:
    services.order_create(
        user=org.owner,
        account=account,
        lines=[line(ProductFactory(), "1", discount_percent=Decimal("25"))],
    )
    return Approval.objects.get()


def test_inbox_lets_the_head_of_sales_decide(
    org: Any, approval: Approval, django_assert_max_num_queries: Any
) -> None:
    client = _client(org.sales_head)
    with django_assert_max_num_queries(12):
        page = client.get("/orders/approvals/").content.decode()

    assert f'id="approval-{approval.pk}"' in page
    assert 'value="approve"' in page
    response = client.post(f"/orders/approvals/{approval.pk}/decide/", {"decision": "approve"})
    assert response.status_code == 302
    approval.refresh_from_db()
    assert approval.status == "approved"


def test_requester_sees_his_request_but_cannot_decide(org: Any, approval: Approval) -> None:
    client = _client(org.owner)

    page = client.get("/orders/approvals/").content.decode()
    client.post(f"/orders/approvals/{approval.pk}/decide/", {"decision": "approve"})

    assert f'id="approval-{approval.pk}"' in page
    assert 'value="approve"' not in page
    approval.refresh_from_db()
    assert approval.status == "pending"
    assert (
        _client(org.peer)
        .post(f"/orders/approvals/{approval.pk}/decide/", {"decision": "approve"})
        .status_code
        == 404
    )


# --- department tasks page ---------------------------------------------------------------------


def test_department_page_shows_their_tasks_without_amounts(org: Any, order: Order) -> None:
    task = services.order_task_create(
        user=org.owner,
        order=order,
        department=_logistics(org),
        title="Pack pallets",
        due_date=datetime.date(2026, 11, 19),
    )

    page = _client(org.staff).get("/orders/tasks/").content.decode()
    outsider = _client(org.outsider).get("/orders/tasks/").content.decode()

    assert f'id="task-{task.pk}"' in page
    assert "Overdue" in page
    assert "100.00" not in page
    assert "Pack pallets" not in outsider
    assert _client(org.staff).post(f"/orders/tasks/{task.pk}/close/").status_code == 302
    task.refresh_from_db()
    assert (task.status, task.closed_by) == ("done", org.staff)


# --- panels, timeline, search ------------------------------------------------------------------


def test_account_panel_shows_open_orders_and_repeat_figures(
    org: Any, account: Account, product: Product, clock: Any
) -> None:
    first = make_order(user=org.owner, account=account, products=[(product, "1")])
    services.order_transition(user=org.owner, order=first, to="confirmed")
    services.delivery_create(
        user=org.owner,
        order=first,
        delivered_on=datetime.date(2026, 11, 20),
        lines=[(first.lines.get().pk, "1")],
    )
    clock.shift(datetime.timedelta(minutes=5))
    second = make_order(user=org.owner, account=account, products=[(product, "1")])

    page = _client(org.owner).get(f"/accounts/{account.pk}/orders-panel/").content.decode()

    assert second.number in page
    assert first.number not in page  # delivered: no longer open
    assert "1 repeat orders of 2" in page
    assert "50%" in page
    assert _client(org.peer).get(f"/accounts/{account.pk}/orders-panel/").status_code == 404


def test_account_panel_queries_are_constant(
    org: Any, account: Account, product: Product, django_assert_max_num_queries: Any
) -> None:
    client = _client(org.owner)
    bulk_orders(account=account, owner=org.owner, count=5, product=product)
    with django_assert_max_num_queries(10):
        client.get(f"/accounts/{account.pk}/orders-panel/")
    bulk_orders(account=account, owner=org.owner, count=195, product=product)
    with django_assert_max_num_queries(10):
        page = client.get(f"/accounts/{account.pk}/orders-panel/").content.decode()

    assert "200 orders in all" in page


def test_panels_are_registered(org: Any) -> None:
    assert "orders.account_orders" in [
        p.key for p in registry.panels_for("accounts.account", org.owner)
    ]
    assert "orders.deal_orders" in [p.key for p in registry.panels_for("sales.deal", org.owner)]
    assert "orders.account_orders" not in [
        p.key for p in registry.panels_for("accounts.account", org.staff)
    ]


def test_deal_panel_lists_the_deals_orders(org: Any, account: Account, product: Product) -> None:
    deal = DealFactory(account=account, owner=org.owner)
    from_deal = make_order(user=org.owner, account=account, deal=deal)
    other = make_order(user=org.owner, account=account)

    page = _client(org.owner).get(f"/deals/{deal.pk}/orders-panel/").content.decode()

    assert from_deal.number in page
    assert other.number not in page
    assert _client(org.other).get(f"/deals/{deal.pk}/orders-panel/").status_code == 404


def test_timeline_has_ordered_delivered_and_cancelled(
    org: Any, account: Account, product: Product, clock: Any
) -> None:
    delivered = make_order(user=org.owner, account=account, products=[(product, "1")])
    services.order_transition(user=org.owner, order=delivered, to="confirmed")
    clock.shift(datetime.timedelta(hours=1))
    services.delivery_create(
        user=org.owner,
        order=delivered,
        delivered_on=datetime.date(2026, 11, 20),
        lines=[(delivered.lines.get().pk, "1")],
    )
    clock.shift(datetime.timedelta(hours=1))
    cancelled = make_order(user=org.owner, account=account)
    clock.shift(datetime.timedelta(hours=1))
    services.order_transition(user=org.owner, order=cancelled, to="cancelled", reason="Typo")

    entries = [
        (e.kind, e.title, e.detail)
        for e in registry.timeline(org.owner, account)
        if e.source.startswith("orders.")
    ]
    hidden = [e for e in registry.timeline(org.peer, account) if e.source.startswith("orders.")]

    assert entries == [
        ("order_cancelled", f"Order {cancelled.number} cancelled", "Typo"),
        ("order_received", f"Order {cancelled.number} received", ""),
        ("order_delivered", f"Order {delivered.number} delivered", ""),
        ("order_received", f"Order {delivered.number} received", ""),
    ]
    assert hidden == []


def test_search_finds_orders_by_number(org: Any, order: Order) -> None:
    hits = [h.title for h in registry.search(org.owner, order.number) if h.kind == "Order"]

    assert hits == [order.number]
    assert [h for h in registry.search(org.peer, order.number) if h.kind == "Order"] == []


def test_detail_hides_the_price_explanation_without_the_permission(
    org: Any, account: Account
) -> None:
    from kam.accounts.models import AccountTeamMember

    AccountTeamMember.objects.create(account=account, user=org.marketing)
    order = services.order_create(
        user=org.owner,
        account=account,
        lines=[line(ProductFactory(), "1", discount_percent=Decimal("7"))],
    )

    page = _client(org.marketing).get(f"/orders/{order.pk}/").content.decode()

    assert order.number in page
    assert "Why this price" not in page
    assert "Manual discount" not in page
    assert "7.00%" not in page


def test_create_page_offers_the_accounts_deals_and_keeps_the_chosen_one(
    org: Any, account: Account, product: Product
) -> None:
    deal = DealFactory(account=account, owner=org.owner, title="Fleet renewal")
    elsewhere = DealFactory(account=AccountFactory(owner=org.owner), title="Other fleet")
    client = _client(org.owner)

    page = client.get(f"/orders/new/?account={account.pk}").content.decode()
    response = client.post("/orders/new/", _form(account, product, deal=deal.pk))
    refused = client.post("/orders/new/", _form(account, product, deal=elsewhere.pk))

    assert "Fleet renewal" in page
    assert "Other fleet" not in page
    assert f'<option value="{account.pk}">Acme</option>' in page
    assert response.status_code == 302
    assert Order.objects.get().deal == deal
    assert refused.status_code == 200
    assert Order.objects.count() == 1


def test_edit_page_keeps_the_account_and_its_deal(org: Any, account: Account) -> None:
    deal = DealFactory(account=account, owner=org.owner)
    order = make_order(user=org.owner, account=account, deal=deal)
    data = _form(account, ProductFactory(), version=order.version, deal=deal.pk)
    del data["account"]

    response = _client(org.owner).post(f"/orders/{order.pk}/edit/", data)

    assert response.status_code == 302
    order.refresh_from_db()
    assert (order.account, order.deal) == (account, deal)


def _queries(client: Client, path: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200
    return len(captured)


def test_detail_page_queries_do_not_grow_with_lines_deliveries_and_tasks(
    org: Any, account: Account
) -> None:
    department = _logistics(org)
    client = _client(org.owner)

    def order_with(count: int) -> Order:
        order = services.order_create(
            user=org.owner,
            account=account,
            lines=[line(ProductFactory(), "2") for _ in range(count)],
        )
        services.order_transition(user=org.owner, order=order, to="confirmed")
        services.delivery_create(
            user=org.owner,
            order=order,
            delivered_on=datetime.date(2026, 11, 19),
            lines=[(ln.pk, "1") for ln in order.lines.all()],
        )
        for n in range(count):
            services.order_task_create(
                user=org.owner,
                order=order,
                department=department,
                title=f"Task {n}",
                due_date=datetime.date(2026, 11, 25),
            )
        return order

    small, large = order_with(1), order_with(12)
    _queries(client, f"/orders/{small.pk}/")  # warms the caches (content types, session)

    assert _queries(client, f"/orders/{small.pk}/") == _queries(client, f"/orders/{large.pk}/")


def test_task_page_queries_do_not_grow_with_tasks(org: Any, order: Order) -> None:
    department = _logistics(org)
    client = _client(org.staff)
    for n in range(3):
        services.order_task_create(
            user=org.owner,
            order=order,
            department=department,
            title=f"Task {n}",
            due_date=datetime.date(2026, 11, 25),
        )
    few = _queries(client, "/orders/tasks/")
    for n in range(30):
        services.order_task_create(
            user=org.owner,
            order=order,
            department=department,
            title=f"More {n}",
            due_date=datetime.date(2026, 11, 25),
        )

    assert _queries(client, "/orders/tasks/") == few
