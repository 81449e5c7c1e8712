"""The whole commercial walk in the browser: a won deal becomes a quote with a discount above the
manager's limit, the head of sales approves it in the approvals inbox, the manager sends the quote
(the PDF has its lines and total), the client accepts it (an order with the same prices), the
order is confirmed and partly delivered (on-time flags), and a contract with an obligation is
drawn up for the account. Screenshots of the quote and the order."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from kam.accounts.tests.factories import AccountFactory
from kam.contracts.models import Contract, Obligation
from kam.orders.models import Approval, Order, Quote
from kam.orders.tests.factories import ProductFactory
from kam.sales.services import deal_create
from kam.sales.tests.factories import deal_data, stage

pytestmark = pytest.mark.browser


def _pdf_text(page: Page, address: str) -> str:
    response = page.request.get(address)
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.body()))
    return "\n".join(pdf_page.extract_text() for pdf_page in reader.pages)


def test_a_won_deal_walks_to_quote_approval_order_delivery_and_contract(
    page: Page, url: Any, org: Any, login_as: Any, screenshot: Any, a11y_problems: Any
) -> None:
    account = AccountFactory(owner=org.owner, name="Nordwind Logistik")
    deal = deal_create(
        user=org.owner, data=deal_data(account, title="Scanner rollout", stage=stage("Won"))
    )
    assert deal.status == "won"
    ProductFactory(sku="SCAN-1", name="Hand scanner", list_price=Decimal("240.00"))
    ProductFactory(sku="DOCK-2", name="Docking station", list_price=Decimal("80.00"))
    today = timezone.localdate()
    login_as(org.owner)

    # The won deal's page offers a quote, prefilled with the deal.
    page.goto(url(f"/deals/{deal.pk}/"))
    page.locator("#deal-orders-panel").get_by_role("link", name="New quote").click()
    expect(page).to_have_url(url(f"/quotes/new/?account={account.pk}&deal={deal.pk}"))
    expect(page.get_by_label("Deal", exact=True)).to_have_value(str(deal.pk))
    page.locator("#id_lines-0-product").select_option(label="SCAN-1 Hand scanner")
    page.locator("#id_lines-0-quantity").fill("10")
    page.locator("#id_lines-0-discount_percent").fill("15")
    page.locator("#id_lines-1-product").select_option(label="DOCK-2 Docking station")
    page.locator("#id_lines-1-quantity").fill("5")
    page.get_by_role("button", name="Save", exact=True).click()
    quote = Quote.objects.get(account=account)
    expect(page).to_have_url(url(f"/quotes/{quote.pk}/"))
    expect(page.locator("#quote-totals")).to_contain_text("2440.00 EUR net")
    expect(page.locator("#approval-state")).to_contain_text("A line is discounted 15.00%")
    expect(page.get_by_role("button", name="Send (PDF)")).to_be_disabled()
    page.get_by_text("Why this price").first.click()
    expect(page.locator("#quote-lines")).to_contain_text("Manual discount 15.00%")

    # The head of sales approves the discount in the approvals inbox.
    login_as(org.sales_head)
    approval = Approval.objects.get()
    page.goto(url("/orders/approvals/"))
    row = page.locator(f"#approval-{approval.pk}")
    expect(row).to_contain_text(quote.number)
    row.get_by_label("Comment").fill("Fleet deal")
    row.get_by_role("button", name="Approve").click()
    expect(page.get_by_text("Decision recorded.")).to_be_visible()

    # The manager sends the quote: the PDF carries its lines and total.
    login_as(org.owner)
    page.goto(url(f"/quotes/{quote.pk}/"))
    expect(page.locator("#approval-state")).to_contain_text("Approved")
    page.get_by_role("button", name="Send (PDF)").click()
    expect(page.locator('h1 [data-status="sent"]')).to_have_text("Sent")
    assert a11y_problems(page) == []
    screenshot(page, "quote-sent")
    text = _pdf_text(page, url(f"/quotes/{quote.pk}/pdf/"))
    flat = " ".join(text.split())
    assert f"Quote {quote.number}" in flat
    assert "SCAN-1 Hand scanner 10 pcs 204.00 2,040.00" in flat
    assert "DOCK-2 Docking station 5 pcs 80 400.00" in flat
    assert "Total 2,440.00" in flat
    assert "VAT 488.00 = 2928.00 EUR" in flat

    # The client accepts: an order with the quote's prices, confirmed without a new approval.
    page.get_by_role("button", name="Accepted: make the order").click()
    order = Order.objects.get(quote=quote)
    expect(page).to_have_url(url(f"/orders/{order.pk}/"))
    expect(page.locator("header")).to_contain_text(f"From quote {quote.number}")
    expect(page.locator("#lines-heading + div")).to_contain_text("204.00")
    page.get_by_role("button", name="Confirmed", exact=True).click()
    expect(page.locator("h1 [data-status]")).to_have_text("Confirmed")

    # A partial delivery: the scanners arrive, the docking stations do not yet.
    scanners = order.lines.get(product__sku="SCAN-1")
    page.get_by_label("Delivered on").fill(today.isoformat())
    page.locator(f"#id_line_{scanners.pk}").fill("10")
    page.get_by_role("button", name="Record delivery").click()
    expect(page.locator("#deliveries")).to_contain_text("Hand scanner × 10")
    expect(page.locator("h1 [data-status]")).to_have_text("Confirmed")
    expect(page.locator('h1 [data-delivery="partial"]')).to_have_text("Partly delivered")
    expect(page.locator(f"#line-{scanners.pk}")).to_contain_text("On time")
    docks = order.lines.get(product__sku="DOCK-2")
    expect(page.locator(f"#line-{docks.pk}")).not_to_contain_text("On time")
    screenshot(page, "commercial-walk-order")

    # A contract for the account, with an obligation for logistics.
    page.goto(url(f"/contracts/new/?account={account.pk}"))
    page.get_by_label("Type").select_option("framework")
    page.get_by_label("Title").fill("Scanner service 2027")
    page.get_by_label("Start date").fill("2027-01-01")
    page.get_by_label("End date").fill("2027-12-31")
    page.get_by_label("Value").fill("2928")
    page.get_by_role("button", name="Save", exact=True).click()
    contract = Contract.objects.get(title="Scanner service 2027")
    expect(page).to_have_url(url(f"/contracts/{contract.pk}/"))
    form = page.get_by_role("form", name="Add an obligation")
    form.get_by_label("What").fill("Deliver the docking stations")
    form.get_by_label("Due date").fill("2027-01-15")
    form.get_by_label("Department").select_option(label="Logistics")
    form.get_by_role("button", name="Add obligation").click()
    expect(page.locator("#contract-obligations")).to_contain_text("Deliver the docking stations")
    obligation = Obligation.objects.get()
    assert (obligation.contract, obligation.department) == (contract, org.logistics)
    order.refresh_from_db()
    assert (order.status, order.deal, order.total_net) == ("confirmed", deal, Decimal("2440.00"))
