"""Quote pages: list, detail (why this price, approval state), create from scratch and from a
deal, edit, send / PDF / accept / reject, the deal panel, the approvals inbox, the nav entry."""

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
from kam.orders import quotes_services as qs
from kam.orders.models import Approval, Order, Quote, QuoteLine
from kam.orders.tests.factories import ProductFactory
from kam.sales.tests.factories import DealFactory

pytestmark = pytest.mark.django_db
NOW = datetime.datetime(2026, 11, 20, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def clock() -> Any:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def account(org: Any) -> Account:
    return AccountFactory(owner=org.owner, name="Acme")


@pytest.fixture
def product() -> Product:
    return ProductFactory(sku="BOLT-10", name="Bolt", list_price=Decimal("25.00"))


@pytest.fixture
def quote(org: Any, account: Account, product: Product) -> Quote:
    return qs.quote_create(
        user=org.owner,
        account=account,
        lines=[qs.QuoteLineInput(product=product, quantity=Decimal("4"))],
    )


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _form(account: Account, product: Product, **extra: Any) -> dict[str, Any]:
    data = {
        "account": account.pk,
        "lines-TOTAL_FORMS": "2",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "100",
        "lines-0-product": product.pk,
        "lines-0-quantity": "4",
        "lines-0-discount_percent": "",
        "lines-1-product": "",
        "lines-1-quantity": "",
    }
    data.update(extra)
    return data


def test_create_page_makes_the_quote_and_goes_to_it(
    org: Any, account: Account, product: Product
) -> None:
    response = _client(org.owner).post("/quotes/new/", _form(account, product))

    quote = Quote.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/quotes/{quote.pk}/"
    assert (quote.number, quote.total_net, quote.valid_until) == (
        "Q-2026-000001",
        Decimal("100.00"),
        datetime.date(2026, 12, 20),
    )


def test_create_page_shows_the_errors_and_saves_nothing(
    org: Any, account: Account, product: Product
) -> None:
    client = _client(org.owner)
    zero = client.post("/quotes/new/", _form(account, product, **{"lines-0-quantity": "0"}))
    empty = client.post("/quotes/new/", _form(account, product, **{"lines-0-product": ""}))

    assert zero.status_code == empty.status_code == 200
    assert "The quantity must be more than zero." in zero.content.decode()
    assert "Add at least one line." in empty.content.decode()
    assert Quote.all_objects.count() == 0


def test_create_page_for_an_account_one_cannot_see_saves_nothing(
    org: Any, account: Account, product: Product
) -> None:
    response = _client(org.other).post("/quotes/new/", _form(account, product))

    assert response.status_code == 200
    assert "Acme" not in response.content.decode()
    assert Quote.all_objects.count() == 0


def test_new_quote_from_a_deal_is_prefilled(org: Any, account: Account) -> None:
    deal = DealFactory(account=account, title="Fleet renewal")

    response = _client(org.owner).get(f"/quotes/new/?account={account.pk}&deal={deal.pk}")

    body = response.content.decode()
    assert response.status_code == 200
    assert f'<option value="{deal.pk}" selected>Fleet renewal</option>' in body
    assert f'<option value="{account.pk}">Acme</option>' in body


def test_detail_shows_lines_why_this_price_and_the_approval_state(
    org: Any, account: Account, product: Product
) -> None:
    quote = qs.quote_create(
        user=org.owner,
        account=account,
        lines=[
            qs.QuoteLineInput(
                product=product, quantity=Decimal("2"), discount_percent=Decimal("12")
            )
        ],
    )

    body = _client(org.owner).get(f"/quotes/{quote.pk}/").content.decode()

    assert "List price 25.00 EUR" in body
    assert "Manual discount 12.00%" in body
    assert "A line is discounted 12.00%, above the 10.00% limit" in body
    assert 'disabled aria-describedby="approval-state"' in body
    assert "44.00 EUR net" in body


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("owner", 200),
        ("lead", 200),
        ("peer", 404),
        ("other", 404),
        ("sales_head", 200),
        ("auditor", 200),
        ("staff", 404),
    ],
)
def test_detail_access_matrix(org: Any, quote: Quote, role: str, status: int) -> None:
    response = _client(getattr(org, role)).get(f"/quotes/{quote.pk}/")

    assert response.status_code == status
    if status == 404:
        assert quote.number not in response.content.decode()


def test_anonymous_is_sent_to_sign_in_and_changes_nothing(client: Any, quote: Quote) -> None:
    for url in ("/quotes/", f"/quotes/{quote.pk}/", "/quotes/new/", f"/quotes/{quote.pk}/pdf/"):
        response = client.get(url)
        assert response.status_code == 302
        assert "/login" in response["Location"]
    client.post(f"/quotes/{quote.pk}/send/")
    quote.refresh_from_db()
    assert quote.status == "draft"


@pytest.mark.parametrize(
    ("role", "status"),
    [("owner", 302), ("lead", 302), ("peer", 404), ("other", 404), ("auditor", 403)],
)
def test_send_page_access_matrix(org: Any, quote: Quote, role: str, status: int) -> None:
    response = _client(getattr(org, role)).post(f"/quotes/{quote.pk}/send/")

    assert response.status_code == status
    quote.refresh_from_db()
    assert quote.status == ("sent" if status == 302 else "draft")


def test_send_then_pdf_then_accept_makes_the_order(org: Any, quote: Quote) -> None:
    client = _client(org.owner)
    before = client.get(f"/quotes/{quote.pk}/pdf/")
    client.post(f"/quotes/{quote.pk}/send/")
    quote.refresh_from_db()
    assert quote.pdf_document is not None
    pdf = client.get(f"/quotes/{quote.pk}/pdf/", follow=True)

    accepted = client.post(f"/quotes/{quote.pk}/accept/")

    assert before["Location"] == f"/quotes/{quote.pk}/"
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content if pdf.streaming else [pdf.content])[:5] == b"%PDF-"  # type: ignore[attr-defined]
    order = Order.objects.get()
    assert accepted["Location"] == f"/orders/{order.pk}/"
    assert order.quote_id == quote.pk
    page = client.get(f"/orders/{order.pk}/").content.decode()
    assert f'From quote <a href="/quotes/{quote.pk}/">{quote.number}</a>' in page


def test_reject_page_needs_a_reason(org: Any, quote: Quote) -> None:
    client = _client(org.owner)
    client.post(f"/quotes/{quote.pk}/send/")

    empty = client.post(f"/quotes/{quote.pk}/reject/", {"reason": ""}, follow=True)
    quote.refresh_from_db()
    assert quote.status == "sent"
    assert "Say why the client declined." in empty.content.decode()
    client.post(f"/quotes/{quote.pk}/reject/", {"reason": "Too dear"})

    quote.refresh_from_db()
    assert (quote.status, quote.reject_reason) == ("rejected", "Too dear")


def test_edit_page_replaces_the_lines(org: Any, quote: Quote, account: Account) -> None:
    other = ProductFactory(sku="NUT-5", name="Nut", list_price=Decimal("2.00"))
    client = _client(org.owner)
    assert client.get(f"/quotes/{quote.pk}/edit/").status_code == 200

    response = client.post(
        f"/quotes/{quote.pk}/edit/",
        _form(account, other, version=quote.version, **{"lines-0-quantity": "10"}),
    )

    assert response.status_code == 302
    line = QuoteLine.objects.get(quote=quote)
    assert (line.product, line.total_net) == (other, Decimal("20.00"))
    assert _client(org.peer).get(f"/quotes/{quote.pk}/edit/").status_code == 404


def test_list_is_scoped_and_queries_are_constant(
    org: Any, account: Account, product: Product, django_assert_max_num_queries: Any
) -> None:
    client = _client(org.owner)
    for _index in range(3):
        qs.quote_create(
            user=org.owner,
            account=account,
            lines=[qs.QuoteLineInput(product=product, quantity=Decimal("1"))],
        )
    with django_assert_max_num_queries(12):
        small = client.get("/quotes/")
    for _index in range(12):
        qs.quote_create(
            user=org.owner,
            account=account,
            lines=[qs.QuoteLineInput(product=product, quantity=Decimal("1"))],
        )
    with django_assert_max_num_queries(12):
        large = client.get("/quotes/")

    assert small.content.decode().count('id="quote-') == 3
    assert large.content.decode().count('id="quote-') == 15
    assert _client(org.other).get("/quotes/").content.decode().count('id="quote-') == 0


def test_deal_panel_lists_quotes_and_offers_a_new_one(
    org: Any, account: Account, product: Product
) -> None:
    deal = DealFactory(account=account)
    quote = qs.quote_create(
        user=org.owner,
        account=account,
        deal=deal,
        lines=[qs.QuoteLineInput(product=product, quantity=Decimal("1"))],
    )

    owner = _client(org.owner).get(f"/deals/{deal.pk}/orders-panel/").content.decode()
    auditor = _client(org.auditor).get(f"/deals/{deal.pk}/orders-panel/").content.decode()

    assert f'href="/quotes/{quote.pk}/">{quote.number}</a>' in owner
    assert f"/quotes/new/?account={account.pk}&amp;deal={deal.pk}" in owner
    assert quote.number in auditor
    assert "New quote" not in auditor


def test_approvals_inbox_links_a_quote_request(
    org: Any, account: Account, product: Product
) -> None:
    quote = qs.quote_create(
        user=org.owner,
        account=account,
        lines=[
            qs.QuoteLineInput(
                product=product, quantity=Decimal("1"), discount_percent=Decimal("30")
            )
        ],
    )
    approval = Approval.objects.get()

    body = _client(org.sales_head).get("/orders/approvals/").content.decode()

    assert f'id="approval-{approval.pk}"' in body
    assert f'href="/quotes/{quote.pk}/">{quote.number}</a>' in body


def test_nav_has_quotes_for_sales_roles_only(org: Any) -> None:
    def keys(user: Any) -> list[str]:
        return [item.key for item in registry.nav_items(user)]

    assert ("quotes" in keys(org.owner), "quotes" in keys(org.staff)) == (True, False)
