"""/api/v1/quotes/ (CRUD, send, accept, reject) and quote approvals in /api/v1/approvals/."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
import time_machine

from kam.accounts.models import Account
from kam.accounts.tests.factories import AccountFactory
from kam.catalog.models import Product
from kam.orders import quotes_services as qs
from kam.orders import services
from kam.orders.models import Approval, Order, Quote, QuoteLine
from kam.orders.tests.factories import ProductFactory
from kam.sales.tests.factories import DealFactory

pytestmark = pytest.mark.django_db
NOW = datetime.datetime(2026, 11, 20, 9, 0, tzinfo=datetime.UTC)
NOT_FOUND = {"code": "not_found", "detail": "Not found.", "fields": {}}


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


def _payload(account: Account, product: Product, **extra: Any) -> dict[str, Any]:
    return {"account": account.pk, "lines": [{"product": product.pk, "quantity": "4"}], **extra}


def test_create_prices_the_lines_and_answers_the_quote(
    api_as: Any, org: Any, account: Account, product: Product
) -> None:
    deal = DealFactory(account=account)

    response = api_as(org.owner).post(
        "/api/v1/quotes/",
        _payload(account, product, deal=deal.pk, valid_until="2026-12-01", notes="Rush"),
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    assert (body["number"], body["status"], body["valid_until"], body["deal"]) == (
        "Q-2026-000001",
        "draft",
        "2026-12-01",
        deal.pk,
    )
    assert (body["total_net"], body["total_tax"], body["total_gross"]) == (
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
        ({"lines": [{"product": 0, "quantity": "0"}]}, "lines.0.product", "Unknown product."),
        ({"quantity": "0"}, "lines.0.quantity", "The quantity must be more than zero."),
        ({"quantity": "-3"}, "lines.0.quantity", "The quantity must be more than zero."),
        ({"lines": []}, "lines", "Add at least one line."),
        (
            {"valid_until": "2026-11-01"},
            "valid_until",
            "A quote cannot be valid until a past day.",
        ),
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
    if "quantity" in change:
        payload["lines"] = [{"product": product.pk, "quantity": change.pop("quantity")}]
    payload.update(change)

    response = api_as(org.owner).post("/api/v1/quotes/", payload, format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "quote_invalid"
    assert response.json()["fields"] == {field: [message]}
    assert Quote.all_objects.count() == 0


def test_create_without_account_and_lines_names_both(api_as: Any, org: Any) -> None:
    response = api_as(org.owner).post("/api/v1/quotes/", {}, format="json")

    assert response.status_code == 400
    assert response.json()["fields"] == {
        "account": ["This field is required."],
        "lines": ["This field is required."],
    }


@pytest.mark.parametrize("role", ["other", "kam", "peer", "staff"])
def test_an_account_one_cannot_see_answers_the_missing_shape(
    api_as: Any, org: Any, account: Account, product: Product, role: str
) -> None:
    client = api_as(getattr(org, role))

    hidden = client.post("/api/v1/quotes/", _payload(account, product), format="json")
    missing = client.post(
        "/api/v1/quotes/", {**_payload(account, product), "account": account.pk + 100000}
    )

    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json() == NOT_FOUND
    assert Quote.all_objects.count() == 0


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
def test_detail_access_matrix(api_as: Any, org: Any, quote: Quote, role: str, status: int) -> None:
    response = api_as(getattr(org, role)).get(f"/api/v1/quotes/{quote.pk}/")

    assert response.status_code == status
    if status == 404:
        assert response.json() == NOT_FOUND
        assert quote.number not in response.content.decode()


def test_anonymous_gets_401_and_changes_nothing(api: Any, quote: Quote) -> None:
    listing = api.get("/api/v1/quotes/")
    detail = api.get(f"/api/v1/quotes/{quote.pk}/")
    send = api.post(f"/api/v1/quotes/{quote.pk}/send/")
    delete = api.delete(f"/api/v1/quotes/{quote.pk}/")

    assert [r.status_code for r in (listing, detail, send, delete)] == [401] * 4
    assert quote.number not in listing.content.decode() + detail.content.decode()
    quote.refresh_from_db()
    assert (quote.status, quote.deleted_at) == ("draft", None)


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
def test_send_access_matrix(api_as: Any, org: Any, quote: Quote, role: str, status: int) -> None:
    response = api_as(getattr(org, role)).post(f"/api/v1/quotes/{quote.pk}/send/", format="json")

    assert response.status_code == status
    quote.refresh_from_db()
    assert quote.status == ("sent" if status == 200 else "draft")
    assert (quote.pdf_document_id is not None) == (status == 200)


def test_send_without_the_discount_approval_is_refused_then_approved_and_sent(
    api_as: Any, org: Any, account: Account, product: Product
) -> None:
    made = api_as(org.owner).post(
        "/api/v1/quotes/",
        {
            "account": account.pk,
            "lines": [{"product": product.pk, "quantity": "4", "discount_percent": "20"}],
        },
        format="json",
    )
    quote_id = made.json()["id"]
    refused = api_as(org.owner).post(f"/api/v1/quotes/{quote_id}/send/", format="json")
    approvals = api_as(org.sales_head).get(f"/api/v1/approvals/?quote={quote_id}").json()

    assert refused.status_code == 400
    assert refused.json()["code"] == "approval_required"
    assert approvals["count"] == 1
    row = approvals["results"][0]
    assert (row["quote"], row["order"], row["reason"], row["amount"], row["status"]) == (
        quote_id,
        None,
        "discount",
        "20.00",
        "pending",
    )
    by_owner = api_as(org.owner).post(
        f"/api/v1/approvals/{row['id']}/decide/", {"decision": "approve"}, format="json"
    )
    assert by_owner.status_code == 403
    decided = api_as(org.sales_head).post(
        f"/api/v1/approvals/{row['id']}/decide/", {"decision": "approve"}, format="json"
    )
    assert decided.json()["status"] == "approved"

    sent = api_as(org.owner).post(f"/api/v1/quotes/{quote_id}/send/", {"docx": True}, format="json")

    assert sent.status_code == 200
    assert sent.json()["status"] == "sent"
    assert sent.json()["pdf_document"] is not None
    assert sent.json()["docx_document"] is not None


def test_accept_answers_the_order_and_links_it(api_as: Any, org: Any, quote: Quote) -> None:
    client = api_as(org.owner)
    draft = client.post(f"/api/v1/quotes/{quote.pk}/accept/", format="json")
    client.post(f"/api/v1/quotes/{quote.pk}/send/", format="json")

    accepted = client.post(f"/api/v1/quotes/{quote.pk}/accept/", format="json")

    assert draft.status_code == 400
    assert draft.json()["code"] == "quote_invalid"
    assert accepted.status_code == 201
    order = Order.objects.get()
    assert (accepted.json()["id"], accepted.json()["number"]) == (order.pk, order.number)
    assert (accepted.json()["total_net"], accepted.json()["quote"]) == ("100.00", quote.pk)
    assert order.quote_id == quote.pk
    detail = client.get(f"/api/v1/quotes/{quote.pk}/").json()
    assert (detail["status"], detail["orders"]) == ("accepted", [order.pk])


def test_accepting_an_expired_quote_answers_400_and_makes_no_order(
    api_as: Any, org: Any, account: Account, product: Product, clock: Any
) -> None:
    quote = qs.quote_create(
        user=org.owner,
        account=account,
        lines=[qs.QuoteLineInput(product=product, quantity=Decimal("1"))],
        valid_until=datetime.date(2026, 11, 22),
    )
    qs.quote_send(user=org.owner, quote=quote)
    clock.move_to(datetime.datetime(2026, 11, 23, 9, 0, tzinfo=datetime.UTC))

    response = api_as(org.owner).post(f"/api/v1/quotes/{quote.pk}/accept/", format="json")

    assert response.status_code == 400
    assert response.json()["code"] == "quote_expired"
    assert Order.all_objects.count() == 0
    assert api_as(org.owner).get(f"/api/v1/quotes/{quote.pk}/").json()["status"] == "expired"


def test_reject_needs_a_reason(api_as: Any, org: Any, quote: Quote) -> None:
    client = api_as(org.owner)
    client.post(f"/api/v1/quotes/{quote.pk}/send/", format="json")

    empty = client.post(f"/api/v1/quotes/{quote.pk}/reject/", {}, format="json")
    done = client.post(f"/api/v1/quotes/{quote.pk}/reject/", {"reason": "Too dear"}, format="json")

    assert empty.status_code == 400
    assert empty.json()["fields"] == {"reason": ["This field is required."]}
    assert (done.status_code, done.json()["status"], done.json()["reject_reason"]) == (
        200,
        "rejected",
        "Too dear",
    )


def test_update_replaces_lines_with_the_version(
    api_as: Any, org: Any, quote: Quote, product: Product
) -> None:
    client = api_as(org.owner)
    stale = client.patch(
        f"/api/v1/quotes/{quote.pk}/", {"notes": "x", "version": quote.version + 5}, format="json"
    )
    response = client.patch(
        f"/api/v1/quotes/{quote.pk}/",
        {"lines": [{"product": product.pk, "quantity": "2"}], "version": quote.version},
        format="json",
    )

    assert stale.status_code == 409
    assert response.status_code == 200
    assert response.json()["total_net"] == "50.00"
    assert QuoteLine.objects.filter(quote=quote).count() == 1


@pytest.mark.parametrize(
    ("role", "status"),
    [("owner", 204), ("lead", 204), ("peer", 404), ("auditor", 403), ("sales_head", 204)],
)
def test_delete_access_matrix(api_as: Any, org: Any, quote: Quote, role: str, status: int) -> None:
    response = api_as(getattr(org, role)).delete(f"/api/v1/quotes/{quote.pk}/")

    assert response.status_code == status
    quote.refresh_from_db()
    assert (quote.deleted_at is not None) == (status == 204)


def _bulk_quotes(*, account: Account, owner: Any, count: int, product: Product) -> None:
    start = Quote.all_objects.count()
    quotes = Quote.objects.bulk_create(
        Quote(
            number=f"B-{start + index:08d}",
            account=account,
            owner=owner,
            created_by=owner,
            valid_until=datetime.date(2026, 12, 31),
            total_net=Decimal("10.00"),
            total_tax=Decimal("2.00"),
        )
        for index in range(count)
    )
    QuoteLine.objects.bulk_create(
        QuoteLine(quote=quote, product=product, quantity=Decimal("1"), unit_price=Decimal("10"))
        for quote in quotes
    )


def test_list_is_scoped_and_costs_constant_queries(
    api_as: Any,
    org: Any,
    account: Account,
    product: Product,
    django_assert_max_num_queries: Any,
) -> None:
    client = api_as(org.owner)
    _bulk_quotes(account=account, owner=org.owner, count=5, product=product)
    with django_assert_max_num_queries(8):
        small = client.get("/api/v1/quotes/?status=draft&page_size=200")
    _bulk_quotes(account=account, owner=org.owner, count=195, product=product)
    with django_assert_max_num_queries(8):
        large = client.get("/api/v1/quotes/?status=draft&page_size=200")

    assert (small.json()["count"], large.json()["count"]) == (5, 200)
    assert api_as(org.other).get("/api/v1/quotes/").json()["count"] == 0
    assert api_as(org.sales_head).get("/api/v1/quotes/?status=sent").json()["count"] == 0


def test_confidential_prices_are_hidden_from_roles_without_the_permission(
    api_as: Any, org: Any, account: Account, product: Product
) -> None:
    from kam.accounts.models import AccountTeamMember

    AccountTeamMember.objects.create(account=account, user=org.marketing)
    quote = qs.quote_create(
        user=org.owner,
        account=account,
        lines=[
            qs.QuoteLineInput(product=product, quantity=Decimal("1"), discount_percent=Decimal("4"))
        ],
    )

    seen = api_as(org.marketing).get(f"/api/v1/quotes/{quote.pk}/")

    assert seen.status_code == 200
    assert not {"list_price", "discount_percent", "price_steps"} & set(seen.json()["lines"][0])
    assert "Manual discount" not in seen.content.decode()
    assert seen.json()["lines"][0]["unit_price"] == "24.00"


def test_order_approvals_keep_their_order_field(
    api_as: Any, org: Any, account: Account, product: Product
) -> None:
    order = services.order_create(
        user=org.owner,
        account=account,
        lines=[
            services.LineInput(
                product=product, quantity=Decimal("1"), discount_percent=Decimal("30")
            )
        ],
    )
    approval = Approval.objects.get()

    body = api_as(org.sales_head).get(f"/api/v1/approvals/{approval.pk}/").json()

    assert (body["order"], body["quote"]) == (order.pk, None)


def test_schema_lists_the_quote_actions(api_as: Any, org: Any) -> None:
    response = api_as(org.admin).get("/api/schema/")

    assert response.status_code == 200
    for path in (b"/api/v1/quotes/{id}/send/", b"/api/v1/quotes/{id}/accept/"):
        assert path in response.content
