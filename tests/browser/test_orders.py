"""An order in the browser: entered with product and quantity, priced, confirmed, delivered in
two parts, on time; the account page's panel shows it; the approvals inbox decides a discount."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from kam.accounts.tests.factories import AccountFactory
from kam.orders import services
from kam.orders.models import Approval, Order
from kam.orders.tests.factories import ProductFactory, line

pytestmark = pytest.mark.browser


def test_an_order_is_entered_confirmed_and_delivered_on_time(
    page: Page, url: Any, org: Any, login_as: Any, screenshot: Any, a11y_problems: Any
) -> None:
    account = AccountFactory(owner=org.owner, name="Nordwind Logistik")
    ProductFactory(sku="SCAN-1", name="Hand scanner", list_price=Decimal("240.00"))
    login_as(org.owner)
    today = timezone.localdate()

    page.goto(url(f"/orders/new/?account={account.pk}"))
    page.get_by_label("Promised date", exact=True).first.fill(today.isoformat())
    page.locator("#id_lines-0-product").select_option(label="SCAN-1 Hand scanner")
    page.locator("#id_lines-0-quantity").fill("10")
    page.get_by_role("button", name="Save", exact=True).click()
    order = Order.objects.get(account=account)
    expect(page).to_have_url(url(f"/orders/{order.pk}/"))
    expect(page.locator("#lines-heading + div")).to_contain_text("2400.00")
    page.get_by_text("Why this price").first.click()
    expect(page.locator("#lines-heading + div")).to_contain_text("List price 240.00 EUR")
    assert a11y_problems(page) == []
    screenshot(page, "order-received")

    page.get_by_role("button", name="Confirmed", exact=True).click()
    expect(page.locator("h1 [data-status]")).to_have_text("Confirmed")
    line_id = order.lines.get().pk
    page.get_by_label("Delivered on").fill(today.isoformat())
    page.locator(f"#id_line_{line_id}").fill("4")
    page.get_by_role("button", name="Record delivery").click()
    expect(page.locator("#deliveries")).to_contain_text("Hand scanner × 4")
    page.get_by_label("Delivered on").fill(today.isoformat())
    page.locator(f"#id_line_{line_id}").fill("6")
    page.get_by_role("button", name="Record delivery").click()

    expect(page.locator("h1 [data-status]")).to_have_text("Delivered")
    expect(page.locator('h1 [data-timeliness="on-time"]')).to_be_visible()
    screenshot(page, "order-delivered")

    page.goto(url(f"/accounts/{account.pk}/"))
    panel = page.locator("#account-orders-panel")
    expect(panel).to_contain_text("0 repeat orders of 1")
    expect(panel).to_contain_text("1 delivered on time, 0 late")


def test_the_head_of_sales_approves_a_discount_in_the_inbox(
    page: Page, url: Any, org: Any, login_as: Any, screenshot: Any, a11y_problems: Any
) -> None:
    account = AccountFactory(owner=org.owner, name="Baltic Foods")
    order = services.order_create(
        user=org.owner,
        account=account,
        lines=[line(ProductFactory(name="Crate"), "5", discount_percent=Decimal("18"))],
    )
    approval = Approval.objects.get()
    login_as(org.sales_head)

    page.goto(url("/orders/approvals/"))
    row = page.locator(f"#approval-{approval.pk}")
    expect(row).to_contain_text(order.number)
    expect(row).to_contain_text("A line is discounted 18.00%")
    assert a11y_problems(page) == []
    screenshot(page, "approvals-inbox")
    row.get_by_label("Comment").fill("Strategic client")
    row.get_by_role("button", name="Approve").click()

    expect(page.get_by_text("Decision recorded.")).to_be_visible()
    approval.refresh_from_db()
    assert (approval.status, approval.comment) == ("approved", "Strategic client")
