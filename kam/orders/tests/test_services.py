"""Orders through their services: pricing, numbers, moves, credit and discount rules,
deliveries and timeliness, approvals, department tasks, repeat figures."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType

from kam.accounts.models import Account
from kam.accounts.tests.factories import AccountFactory
from kam.core.errors import NotFoundError, PermissionDeniedError
from kam.orders import selectors, services
from kam.orders.choices import ApprovalReason, ApprovalStatus, OrderStatus
from kam.orders.errors import (
    ApprovalError,
    ApprovalRequiredError,
    CreditLimitExceededError,
    OrderError,
    TransitionRefusedError,
)
from kam.orders.models import Approval, DiscountLimit, Order
from kam.orders.tests.factories import ProductFactory, line, make_order
from kam.sales.tests.factories import DealFactory
from kam.users.models import Department, Notification

pytestmark = pytest.mark.django_db
NOW = datetime.datetime(2026, 11, 20, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def clock() -> Any:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def account(org: Any) -> Account:
    return AccountFactory(owner=org.owner, name="Acme", credit_limit=Decimal("1000.00"))


def _confirm(order: Order, user: Any) -> Order:
    return services.order_transition(user=user, order=order, to=OrderStatus.CONFIRMED).order


def test_order_create_prices_each_line_and_numbers_per_year(org: Any, account: Account) -> None:
    bolt = ProductFactory(sku="B-1", list_price=Decimal("12.50"), vat_rate=Decimal("20"))
    nut = ProductFactory(sku="N-1", list_price=Decimal("3.00"), vat_rate=Decimal("10"))

    first = make_order(user=org.owner, account=account, products=[(bolt, "4"), (nut, "10")])
    second = make_order(user=org.owner, account=account, products=[(nut, "1")])

    assert first.number == "O-2026-000001"
    assert second.number == "O-2026-000002"
    lines = list(first.lines.order_by("position"))
    assert [(ln.unit_price, ln.total_net, ln.total_tax) for ln in lines] == [
        (Decimal("12.50"), Decimal("50.00"), Decimal("10.00")),
        (Decimal("3.00"), Decimal("30.00"), Decimal("3.00")),
    ]
    assert lines[0].price_steps == [
        {
            "kind": "list_price",
            "label": "List price 12.50 EUR",
            "unit_price": "12.50",
            "source": "",
        },
        {
            "kind": "rounding",
            "label": "Rounded to cents: 12.50 EUR",
            "unit_price": "12.50",
            "source": "",
        },
    ]
    assert (first.total_net, first.total_tax, first.total_gross) == (
        Decimal("80.00"),
        Decimal("13.00"),
        Decimal("93.00"),
    )
    assert first.status == OrderStatus.RECEIVED
    assert first.owner == org.owner
    assert lines[0].promised_date == datetime.date(2026, 12, 10)


def test_order_numbers_restart_each_year(org: Any, account: Account, clock: Any) -> None:
    make_order(user=org.owner, account=account)
    clock.move_to(datetime.datetime(2027, 1, 2, 9, tzinfo=datetime.UTC))

    order = make_order(
        user=org.owner,
        account=account,
        requested_date=datetime.date(2027, 2, 1),
        promised_date=datetime.date(2027, 2, 5),
    )

    assert order.number == "O-2027-000001"


def test_manual_discount_is_a_step_of_the_price(org: Any, account: Account) -> None:
    product = ProductFactory(list_price=Decimal("200.00"))

    order = services.order_create(
        user=org.owner,
        account=account,
        lines=[line(product, "3", discount_percent=Decimal("5"))],
    )

    only = order.lines.get()
    assert (only.unit_price, only.total_net, only.discount_percent) == (
        Decimal("190.00"),
        Decimal("570.00"),
        Decimal("5.00"),
    )
    assert [step["kind"] for step in only.price_steps] == [
        "list_price",
        "rounding",
        "manual_discount",
    ]
    assert Approval.objects.count() == 0


@pytest.mark.parametrize(
    ("quantity", "field"),
    [("0", "lines.0.quantity"), ("-2", "lines.0.quantity")],
)
def test_zero_or_negative_quantity_is_refused(
    org: Any, account: Account, quantity: str, field: str
) -> None:
    with pytest.raises(OrderError) as refused:
        services.order_create(
            user=org.owner, account=account, lines=[line(ProductFactory(), quantity)]
        )

    assert refused.value.fields == {field: ["The quantity must be more than zero."]}
    assert Order.all_objects.count() == 0


def test_inactive_or_discontinued_product_is_refused(org: Any, account: Account) -> None:
    inactive = ProductFactory(name="Old", sku="OLD", is_active=False)
    gone = ProductFactory(sku="GONE", name="Gone", discontinued_on=datetime.date(2026, 1, 1))

    for index, product in enumerate([inactive, gone]):
        with pytest.raises(OrderError) as refused:
            services.order_create(user=org.owner, account=account, lines=[line(product)])
        assert refused.value.fields == {"lines.0.product": [f"{product} is not sold any more."]}, (
            index
        )
    assert Order.all_objects.count() == 0


def test_promised_before_requested_is_refused(org: Any, account: Account) -> None:
    with pytest.raises(OrderError) as refused:
        make_order(
            user=org.owner,
            account=account,
            requested_date=datetime.date(2026, 12, 10),
            promised_date=datetime.date(2026, 12, 1),
        )

    assert refused.value.fields == {
        "promised_date": ["The promised date cannot be before the requested date."]
    }


def test_lines_in_two_currencies_are_refused(org: Any, account: Account) -> None:
    euro, dollar = ProductFactory(currency="EUR"), ProductFactory(currency="USD")

    with pytest.raises(OrderError) as refused:
        services.order_create(user=org.owner, account=account, lines=[line(euro), line(dollar)])

    assert refused.value.fields == {"lines": ["All the lines of an order must be in one currency."]}


def test_ordering_for_an_account_one_cannot_change_is_not_found(org: Any, account: Account) -> None:
    with pytest.raises(NotFoundError):
        make_order(user=org.other, account=account)
    with pytest.raises(PermissionDeniedError):
        make_order(user=org.auditor, account=account)

    assert Order.all_objects.count() == 0


def test_deal_of_another_account_is_refused(org: Any, account: Account) -> None:
    deal = DealFactory(account=AccountFactory(owner=org.owner))

    with pytest.raises(OrderError) as refused:
        make_order(user=org.owner, account=account, deal=deal)

    assert refused.value.fields == {"deal": ["The deal belongs to another account."]}


# --- status moves -----------------------------------------------------------------------------


def test_order_walks_the_whole_cycle(org: Any, account: Account) -> None:
    order = make_order(user=org.owner, account=account)
    line_id = order.lines.get().pk

    _confirm(order, org.owner)
    services.order_transition(user=org.owner, order=order, to=OrderStatus.IN_FULFILMENT)
    services.order_transition(user=org.owner, order=order, to=OrderStatus.SHIPPED)
    services.delivery_create(
        user=org.owner,
        order=order,
        delivered_on=datetime.date(2026, 11, 19),
        lines=[(line_id, "2")],
    )
    services.order_transition(user=org.owner, order=order, to=OrderStatus.CLOSED)

    order.refresh_from_db()
    assert order.status == OrderStatus.CLOSED
    assert order.confirmed_at == NOW
    assert order.delivered_at == NOW
    assert order.closed_at == NOW
    assert order.is_on_time is True


def test_a_move_that_skips_a_status_is_refused(org: Any, account: Account) -> None:
    order = make_order(user=org.owner, account=account)

    with pytest.raises(TransitionRefusedError) as refused:
        services.order_transition(user=org.owner, order=order, to=OrderStatus.SHIPPED)

    assert refused.value.message == "A received order cannot become shipped."
    order.refresh_from_db()
    assert order.status == OrderStatus.RECEIVED


def test_cancelling_needs_a_reason_and_is_kept(org: Any, account: Account) -> None:
    order = make_order(user=org.owner, account=account)
    _confirm(order, org.owner)

    with pytest.raises(TransitionRefusedError) as refused:
        services.order_transition(user=org.owner, order=order, to=OrderStatus.CANCELLED)
    assert refused.value.fields == {"reason": ["Say why the order is cancelled."]}

    services.order_transition(
        user=org.owner, order=order, to=OrderStatus.CANCELLED, reason="Client went bankrupt"
    )
    order.refresh_from_db()
    assert (order.status, order.cancel_reason, order.cancelled_at) == (
        OrderStatus.CANCELLED,
        "Client went bankrupt",
        NOW,
    )
    with pytest.raises(TransitionRefusedError):
        services.order_transition(user=org.owner, order=order, to=OrderStatus.CONFIRMED)


def test_stale_version_is_a_conflict(org: Any, account: Account) -> None:
    from kam.core.errors import ConflictError

    order = make_order(user=org.owner, account=account)
    read = order.version
    services.order_update(
        user=org.owner, order=order, expected_version=read, data={"notes": "Gate 4"}
    )

    with pytest.raises(ConflictError):
        services.order_transition(
            user=org.owner, order=order, to=OrderStatus.CONFIRMED, expected_version=read
        )


def test_only_received_orders_are_edited_and_lines_are_priced_again(
    org: Any, account: Account
) -> None:
    order = make_order(user=org.owner, account=account)
    widget = ProductFactory(list_price=Decimal("7.00"))

    services.order_update(
        user=org.owner,
        order=order,
        expected_version=order.version,
        data={"lines": [line(widget, "3")]},
    )
    order.refresh_from_db()
    assert [(ln.product_id, ln.total_net) for ln in order.lines.all()] == [
        (widget.pk, Decimal("21.00"))
    ]
    assert order.total_net == Decimal("21.00")

    _confirm(order, org.owner)
    order.refresh_from_db()
    with pytest.raises(OrderError) as refused:
        services.order_update(
            user=org.owner, order=order, expected_version=order.version, data={"notes": "x"}
        )
    assert refused.value.message == (
        "Only a received order can be changed; cancel it and order again."
    )


# --- credit limit -----------------------------------------------------------------------------


def _priced(account: Account, user: Any, net: str) -> Order:
    """An order whose gross total is `net` x 1.2 (VAT 20%)."""
    product = ProductFactory(list_price=Decimal(net))
    return make_order(user=user, account=account, products=[(product, "1")])


def test_exposure_counts_confirmed_to_delivered_orders_in_the_currency(
    org: Any, account: Account
) -> None:
    confirmed = _priced(account, org.owner, "100.00")
    _confirm(confirmed, org.owner)
    _priced(account, org.owner, "300.00")  # received: not exposure
    cancelled = _priced(account, org.owner, "50.00")
    _confirm(cancelled, org.owner)
    services.order_transition(
        user=org.owner, order=cancelled, to=OrderStatus.CANCELLED, reason="Duplicate"
    )
    dollars = make_order(
        user=org.owner, account=account, products=[(ProductFactory(currency="USD"), "1")]
    )
    Order.objects.filter(pk=dollars.pk).update(status=OrderStatus.SHIPPED)

    assert selectors.credit_exposure(account=account, currency="EUR") == Decimal("120.00")
    assert selectors.credit_exposure(account=account, currency="USD") == Decimal("120.00")


def test_confirming_over_the_credit_limit_is_refused_with_the_reason(
    org: Any, account: Account
) -> None:
    first = _priced(account, org.owner, "700.00")  # 840 gross
    _confirm(first, org.owner)
    second = _priced(account, org.owner, "200.00")  # 240 gross: 1080 > 1000

    with pytest.raises(CreditLimitExceededError) as refused:
        _confirm(second, org.owner)

    assert refused.value.message == (
        "Confirming would bring the account's open orders to 1080.00 EUR, over its credit "
        "limit of 1000.00 EUR."
    )
    second.refresh_from_db()
    assert second.status == OrderStatus.RECEIVED
    assert Approval.objects.count() == 0


def test_within_the_limit_or_without_one_confirms(org: Any, account: Account) -> None:
    exact = _priced(account, org.owner, "833.33")  # 999.996 -> 1000.00 gross with rounding
    _confirm(exact, org.owner)
    free = AccountFactory(owner=org.owner, credit_limit=None)
    big = _priced(free, org.owner, "99999.00")

    assert _confirm(big, org.owner).status == OrderStatus.CONFIRMED
    exact.refresh_from_db()
    assert exact.status == OrderStatus.CONFIRMED


def test_over_the_limit_sent_for_approval_then_approved_confirms(
    org: Any, account: Account
) -> None:
    order = _priced(account, org.owner, "1000.00")  # 1200 gross

    result = services.order_transition(
        user=org.owner, order=order, to=OrderStatus.CONFIRMED, request_approval=True
    )

    approval = result.approval
    assert approval is not None
    assert (approval.reason, approval.status, approval.amount, approval.requester) == (
        ApprovalReason.CREDIT_LIMIT,
        ApprovalStatus.PENDING,
        Decimal("1200.00"),
        org.owner,
    )
    assert result.order.status == OrderStatus.RECEIVED
    again = services.order_transition(
        user=org.owner, order=order, to=OrderStatus.CONFIRMED, request_approval=True
    )
    assert again.approval is not None
    assert again.approval.pk == approval.pk

    services.approval_decide(
        user=org.sales_head, approval=approval, decision="approve", comment="Good payer"
    )

    assert _confirm(order, org.owner).status == OrderStatus.CONFIRMED
    notice = Notification.objects.get(recipient=org.owner)
    assert notice.title == f"Credit limit exceeded for {order.number}: Approved"
    assert notice.body == "Good payer"


def test_a_rejected_credit_request_keeps_the_order_refused(org: Any, account: Account) -> None:
    order = _priced(account, org.owner, "1000.00")
    approval = services.order_transition(
        user=org.owner, order=order, to=OrderStatus.CONFIRMED, request_approval=True
    ).approval
    assert approval is not None

    services.approval_decide(
        user=org.sales_head, approval=approval, decision="reject", comment="Overdue invoices"
    )

    with pytest.raises(CreditLimitExceededError):
        _confirm(order, org.owner)
    approval.refresh_from_db()
    assert (approval.status, approval.decider, approval.decided_at) == (
        ApprovalStatus.REJECTED,
        org.sales_head,
        NOW,
    )


def test_credit_limit_lookup_is_the_accounts_for_now(account: Account) -> None:
    limit = selectors.credit_limit_for(account, datetime.date(2026, 11, 20))

    assert limit == selectors.CreditLimit(
        amount=Decimal("1000.00"), currency="EUR", source="account"
    )


# --- discounts and approvals ------------------------------------------------------------------


def test_default_discount_limits_are_installed() -> None:
    assert dict(DiscountLimit.objects.values_list("role", "max_percent")) == {
        "account_manager": Decimal("10.00"),
        "key_account_manager": Decimal("15.00"),
        "sales_head": Decimal("100.00"),
        "admin": Decimal("100.00"),
    }


def test_discount_above_the_creators_limit_waits_for_the_head_of_sales(org: Any) -> None:
    account = AccountFactory(owner=org.owner)
    order = services.order_create(
        user=org.owner,
        account=account,
        lines=[line(ProductFactory(), "1", discount_percent=Decimal("12"))],
    )

    approval = Approval.objects.get()
    assert (approval.reason, approval.amount, approval.requester) == (
        ApprovalReason.DISCOUNT,
        Decimal("12.00"),
        org.owner,
    )
    with pytest.raises(ApprovalRequiredError) as refused:
        _confirm(order, org.owner)
    assert refused.value.message == (
        "A line is discounted 12.00%, above the creator's limit of 10.00%: a head of sales "
        "must approve it first."
    )

    services.approval_decide(user=org.sales_head, approval=approval, decision="approve")

    assert _confirm(order, org.owner).status == OrderStatus.CONFIRMED


def test_key_account_manager_gives_fifteen_percent_alone(org: Any) -> None:
    account = AccountFactory(owner=org.kam)

    order = services.order_create(
        user=org.kam,
        account=account,
        lines=[line(ProductFactory(), "1", discount_percent=Decimal("15"))],
    )

    assert Approval.objects.count() == 0
    assert _confirm(order, org.kam).status == OrderStatus.CONFIRMED


def test_an_admin_edited_limit_applies(org: Any) -> None:
    DiscountLimit.objects.filter(role="account_manager").update(max_percent=Decimal("20"))

    services.order_create(
        user=org.owner,
        account=AccountFactory(owner=org.owner),
        lines=[line(ProductFactory(), "1", discount_percent=Decimal("18"))],
    )

    assert Approval.objects.count() == 0


@pytest.mark.parametrize("role", ["owner", "lead", "auditor", "kam"])
def test_only_heads_of_sales_decide(org: Any, role: str) -> None:
    order = services.order_create(
        user=org.owner,
        account=AccountFactory(owner=org.owner),
        lines=[line(ProductFactory(), "1", discount_percent=Decimal("30"))],
    )
    approval = Approval.objects.get()

    with pytest.raises(PermissionDeniedError):
        services.approval_decide(user=getattr(org, role), approval=approval, decision="approve")

    approval.refresh_from_db()
    assert approval.status == ApprovalStatus.PENDING
    assert order.status == OrderStatus.RECEIVED


def test_deciding_twice_is_refused_and_rejecting_needs_a_comment(org: Any) -> None:
    services.order_create(
        user=org.owner,
        account=AccountFactory(owner=org.owner),
        lines=[line(ProductFactory(), "1", discount_percent=Decimal("30"))],
    )
    approval = Approval.objects.get()

    with pytest.raises(ApprovalError) as no_comment:
        services.approval_decide(user=org.sales_head, approval=approval, decision="reject")
    assert no_comment.value.fields == {"comment": ["Say why you reject it."]}
    services.approval_decide(user=org.admin, approval=approval, decision="approve")
    with pytest.raises(ApprovalError) as twice:
        services.approval_decide(
            user=org.sales_head, approval=approval, decision="reject", comment="No"
        )

    assert twice.value.message == "This request was already Approved."
    approval.refresh_from_db()
    assert (approval.status, approval.decider) == (ApprovalStatus.APPROVED, org.admin)


def test_request_and_decision_are_audited(org: Any) -> None:
    services.order_create(
        user=org.owner,
        account=AccountFactory(owner=org.owner),
        lines=[line(ProductFactory(), "1", discount_percent=Decimal("30"))],
    )
    approval = Approval.objects.get()
    services.approval_decide(user=org.sales_head, approval=approval, decision="approve")

    entries = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Approval), object_pk=str(approval.pk)
    ).order_by("timestamp", "pk")
    assert [(e.action, e.actor) for e in entries] == [
        (LogEntry.Action.CREATE, org.owner),
        (LogEntry.Action.UPDATE, org.sales_head),
    ]
    assert entries[1].changes_dict["status"] == ["pending", "approved"]


# --- deliveries and timeliness ----------------------------------------------------------------


@pytest.fixture
def two_lines(org: Any, account: Account) -> Order:
    """Confirmed: 10 bolts promised 2026-11-15, 4 nuts promised 2026-11-25."""
    bolt, nut = ProductFactory(list_price=Decimal("1")), ProductFactory(list_price=Decimal("2"))
    order = services.order_create(
        user=org.owner,
        account=account,
        requested_date=datetime.date(2026, 11, 10),
        lines=[
            line(bolt, "10", promised_date=datetime.date(2026, 11, 15)),
            line(nut, "4", promised_date=datetime.date(2026, 11, 25)),
        ],
    )
    _confirm(order, org.owner)
    return order


def _ids(order: Order) -> tuple[int, int]:
    first, second = order.lines.order_by("position")
    return first.pk, second.pk


def test_partial_deliveries_then_delivered_and_on_time_flags(org: Any, two_lines: Order) -> None:
    bolts, nuts = _ids(two_lines)

    services.delivery_create(
        user=org.owner,
        order=two_lines,
        delivered_on=datetime.date(2026, 11, 14),
        lines=[(bolts, "6"), (nuts, "4")],
    )
    two_lines.refresh_from_db()
    assert two_lines.status == OrderStatus.CONFIRMED
    services.delivery_create(
        user=org.owner,
        order=two_lines,
        delivered_on=datetime.date(2026, 11, 17),
        lines=[(bolts, "4")],
    )

    two_lines.refresh_from_db()
    first, second = two_lines.lines.order_by("position")
    assert (first.delivered_quantity, first.completed_on, first.is_on_time) == (
        Decimal("10.000"),
        datetime.date(2026, 11, 17),
        False,
    )
    assert (second.completed_on, second.is_on_time) == (datetime.date(2026, 11, 14), True)
    assert two_lines.status == OrderStatus.DELIVERED
    assert two_lines.is_on_time is False


def test_delivering_more_than_ordered_is_refused(org: Any, two_lines: Order) -> None:
    bolts, _nuts = _ids(two_lines)
    services.delivery_create(
        user=org.owner,
        order=two_lines,
        delivered_on=datetime.date(2026, 11, 14),
        lines=[(bolts, "8")],
    )

    with pytest.raises(OrderError) as refused:
        services.delivery_create(
            user=org.owner,
            order=two_lines,
            delivered_on=datetime.date(2026, 11, 15),
            lines=[(bolts, "2"), (bolts, "1")],
        )

    assert refused.value.fields == {
        "lines": [
            f"{two_lines.lines.get(pk=bolts).product}: 3.000 is more than the 2.000 "
            "still to deliver."
        ]
    }
    assert two_lines.lines.get(pk=bolts).delivered_quantity == Decimal("8.000")
    assert two_lines.deliveries.count() == 1


def test_delivery_checks_lines_dates_and_status(
    org: Any, account: Account, two_lines: Order
) -> None:
    other = make_order(user=org.owner, account=account)
    foreign_line = other.lines.get().pk
    bolts, _nuts = _ids(two_lines)

    with pytest.raises(OrderError) as foreign:
        services.delivery_create(
            user=org.owner,
            order=two_lines,
            delivered_on=datetime.date(2026, 11, 14),
            lines=[(foreign_line, "1")],
        )
    with pytest.raises(OrderError) as future:
        services.delivery_create(
            user=org.owner,
            order=two_lines,
            delivered_on=datetime.date(2026, 11, 21),
            lines=[(bolts, "1")],
        )
    with pytest.raises(OrderError) as received:
        services.delivery_create(
            user=org.owner,
            order=other,
            delivered_on=datetime.date(2026, 11, 14),
            lines=[(foreign_line, "1")],
        )

    assert foreign.value.fields == {"lines.0.line": ["Not a line of this order."]}
    assert future.value.fields == {"delivered_on": ["A delivery cannot be in the future."]}
    assert received.value.fields == {"lines": ["This order is received."]}


def test_overdue_filter_finds_open_orders_with_late_lines(org: Any, two_lines: Order) -> None:
    on_track = make_order(user=org.owner, account=two_lines.account)

    overdue = set(
        selectors.order_list(user=org.owner).filter(is_overdue=True).values_list("pk", flat=True)
    )

    assert overdue == {two_lines.pk}
    assert on_track.pk not in overdue


# --- alerts -----------------------------------------------------------------------------------


def test_overdue_lines_notify_the_owner_once(org: Any, two_lines: Order) -> None:
    from kam.orders.alerts import alerts_send

    first = alerts_send()
    second = alerts_send()

    assert first == {"late_lines": 1, "escalated_tasks": 0}
    assert second == {"late_lines": 0, "escalated_tasks": 0}
    notice = Notification.objects.get(recipient=org.owner)
    bolt = two_lines.lines.get(position=1).product
    assert notice.title == f"Order {two_lines.number} is late: {bolt.name}"
    assert notice.url == f"/orders/{two_lines.pk}/"


def test_overdue_tasks_escalate_to_the_account_owner_once(org: Any, account: Account) -> None:
    from kam.orders.alerts import alerts_send

    order = make_order(user=org.owner, account=account)
    Department.objects.filter(pk=org.logistics.pk).update(kind="logistics")
    org.logistics.refresh_from_db()
    task = services.order_task_create(
        user=org.owner,
        order=order,
        department=org.logistics,
        title="Pack pallets",
        due_date=datetime.date(2026, 11, 19),
    )
    services.order_task_create(
        user=org.owner,
        order=order,
        department=org.logistics,
        title="Label",
        due_date=datetime.date(2026, 11, 21),
    )

    assert alerts_send() == {"late_lines": 0, "escalated_tasks": 1}
    assert alerts_send() == {"late_lines": 0, "escalated_tasks": 0}
    notice = Notification.objects.get(recipient=org.owner)
    assert notice.title == f"Overdue Logistics task on {order.number}: Pack pallets"
    task.refresh_from_db()
    assert task.escalated_at == NOW


# --- department tasks -------------------------------------------------------------------------


def test_department_staff_close_their_tasks_only(org: Any, account: Account) -> None:
    from kam.orders.models import OrderTask

    Department.objects.filter(pk=org.logistics.pk).update(kind="logistics")
    org.logistics.refresh_from_db()
    order = make_order(user=org.owner, account=account)
    task = services.order_task_create(
        user=org.owner,
        order=order,
        department=org.logistics,
        title="Pack",
        due_date=datetime.date(2026, 11, 25),
    )

    assert list(OrderTask.objects.visible_to(org.outsider)) == []
    with pytest.raises(NotFoundError):
        services.order_task_close(user=org.outsider, task=task)
    closed = services.order_task_close(user=org.staff, task=task)

    assert (closed.status, closed.closed_by, closed.closed_at) == ("done", org.staff, NOW)
    assert list(Order.objects.visible_to(org.staff)) == []
    with pytest.raises(OrderError):
        services.order_task_close(user=org.staff, task=task)


def test_tasks_go_only_to_the_four_departments(org: Any, account: Account) -> None:
    order = make_order(user=org.owner, account=account)
    sales = Department.objects.create(name="Sales desk", kind="sales")

    with pytest.raises(OrderError) as refused:
        services.order_task_create(
            user=org.owner,
            order=order,
            department=sales,
            title="x",
            due_date=datetime.date(2026, 11, 25),
        )

    assert refused.value.fields == {
        "department": ["Tasks go to logistics, finance, production or legal."]
    }


# --- repeat business --------------------------------------------------------------------------


def _deliver_all(order: Order, user: Any, day: datetime.date) -> None:
    _confirm(order, user)
    services.delivery_create(
        user=user,
        order=order,
        delivered_on=day,
        lines=[(ln.pk, ln.quantity) for ln in order.lines.all()],
    )


def test_repeat_rate_against_a_hand_computation(org: Any, clock: Any) -> None:
    """Given five orders: A (day 1, delivered day 3), B (day 2), C (day 4), D (day 5,
    cancelled), E (day 6). Orders not cancelled: A, B, C, E = 4. First delivery: day 3.
    Placed after it: C, E = 2. Rate 2 / 4 = 0.5."""
    account = AccountFactory(owner=org.owner, credit_limit=None)
    day = datetime.datetime(2026, 11, 1, 9, tzinfo=datetime.UTC)
    orders = {}
    for name, offset in (("A", 0), ("B", 1)):
        clock.move_to(day + datetime.timedelta(days=offset))
        orders[name] = make_order(user=org.owner, account=account)
    clock.move_to(day + datetime.timedelta(days=2))
    _deliver_all(orders["A"], org.owner, datetime.date(2026, 11, 3))
    for name, offset in (("C", 3), ("D", 4), ("E", 5)):
        clock.move_to(day + datetime.timedelta(days=offset))
        orders[name] = make_order(user=org.owner, account=account)
    services.order_transition(
        user=org.owner, order=orders["D"], to=OrderStatus.CANCELLED, reason="Duplicate"
    )

    from kam.orders.models import AccountOrderStats

    stats = AccountOrderStats.objects.get(account_id=account.pk)
    assert (stats.orders_count, stats.repeat_orders_count, stats.repeat_rate) == (
        4,
        2,
        Decimal("0.5000"),
    )
    assert stats.first_delivered_at == day + datetime.timedelta(days=2)


def test_rebuild_recomputes_every_account(org: Any) -> None:
    from kam.orders.models import AccountOrderStats

    account = AccountFactory(owner=org.owner, credit_limit=None)
    make_order(user=org.owner, account=account)
    AccountOrderStats.objects.filter(account_id=account.pk).update(orders_count=99)

    assert services.account_stats_rebuild() == 1
    assert AccountOrderStats.objects.get(account_id=account.pk).orders_count == 1


def test_rebuild_command_reports_and_drops_figures_of_accounts_without_orders(org: Any) -> None:
    import io

    from django.core.management import call_command

    from kam.orders.models import AccountOrderStats

    account = AccountFactory(owner=org.owner, credit_limit=None)
    make_order(user=org.owner, account=account)
    AccountOrderStats.objects.create(account_id=account.pk + 1000, orders_count=3)
    out = io.StringIO()

    call_command("orders_rebuild_stats", stdout=out)

    assert out.getvalue() == "Repeat figures rebuilt for 1 accounts.\n"
    assert list(AccountOrderStats.objects.values_list("account_id", "orders_count")) == [
        (account.pk, 1)
    ]


def test_a_line_is_complete_on_its_latest_delivery_day_even_recorded_out_of_order(
    org: Any, two_lines: Order
) -> None:
    bolts, nuts = _ids(two_lines)
    services.delivery_create(
        user=org.owner,
        order=two_lines,
        delivered_on=datetime.date(2026, 11, 18),
        lines=[(bolts, "5"), (nuts, "4")],
    )

    services.delivery_create(
        user=org.owner,
        order=two_lines,
        delivered_on=datetime.date(2026, 11, 12),
        lines=[(bolts, "5")],
    )

    first = two_lines.lines.get(pk=bolts)
    assert (first.completed_on, first.is_on_time) == (datetime.date(2026, 11, 18), False)
    two_lines.refresh_from_db()
    assert (two_lines.status, two_lines.is_on_time, two_lines.open_promised_date) == (
        OrderStatus.DELIVERED,
        False,
        None,
    )


def test_open_promised_date_follows_the_missing_lines(org: Any, two_lines: Order) -> None:
    bolts, _nuts = _ids(two_lines)
    assert two_lines.open_promised_date == datetime.date(2026, 11, 15)

    services.delivery_create(
        user=org.owner,
        order=two_lines,
        delivered_on=datetime.date(2026, 11, 14),
        lines=[(bolts, "10")],
    )

    two_lines.refresh_from_db()
    assert two_lines.open_promised_date == datetime.date(2026, 11, 25)
    assert not selectors.order_list(user=org.owner).filter(is_overdue=True).exists()
