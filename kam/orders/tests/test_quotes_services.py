"""Quotes: priced lines and totals, validity, the discount approval, sending (PDF), accepting
(an order with the same prices), rejecting, expiring, the "quote_exists" stage check."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from pypdf import PdfReader

from kam.accounts.models import Account
from kam.accounts.tests.factories import AccountFactory
from kam.catalog.models import Product
from kam.core import registry
from kam.core.errors import ConflictError, NotFoundError, PermissionDeniedError
from kam.documents.models import Document
from kam.orders import quotes_services as qs
from kam.orders import services
from kam.orders.choices import ApprovalReason, ApprovalStatus, OrderStatus, QuoteStatus
from kam.orders.errors import ApprovalRequiredError, QuoteError, QuoteExpiredError
from kam.orders.models import Approval, Order, Quote, QuoteLine
from kam.orders.tests.factories import ProductFactory
from kam.sales.tests.factories import DealFactory
from kam.users.models import Notification

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


def _line(product: Product, quantity: str = "4", discount: str = "0") -> qs.QuoteLineInput:
    return qs.QuoteLineInput(
        product=product, quantity=Decimal(quantity), discount_percent=Decimal(discount)
    )


def _quote(user: Any, account: Account, *lines: qs.QuoteLineInput, **extra: Any) -> Quote:
    return qs.quote_create(user=user, account=account, lines=list(lines), **extra)


def _pdf_text(document: Document) -> str:
    assert document.current_version is not None
    with document.current_version.file.open("rb") as handle:
        reader = PdfReader(io.BytesIO(handle.read()))
    return "\n".join(page.extract_text() for page in reader.pages)


# --- create -----------------------------------------------------------------------------------


def test_create_numbers_prices_and_totals_a_draft_valid_thirty_days(
    org: Any, account: Account, product: Product
) -> None:
    deal = DealFactory(account=account)

    quote = _quote(org.owner, account, _line(product, "4", "5"), deal=deal, notes=" Fast ")

    assert quote.number == "Q-2026-000001"
    assert (quote.status, quote.currency, quote.valid_until, quote.notes) == (
        QuoteStatus.DRAFT,
        "EUR",
        datetime.date(2026, 12, 20),
        "Fast",
    )
    assert (quote.owner, quote.created_by, quote.deal) == (org.owner, org.owner, deal)
    line = QuoteLine.objects.get(quote=quote)
    assert (line.quantity, line.priced_unit_price, line.unit_price, line.vat_rate) == (
        Decimal("4.000"),
        Decimal("25.00"),
        Decimal("23.75"),
        Decimal("20.00"),
    )
    assert (line.price_steps[0]["kind"], line.price_steps[-1]["kind"]) == (
        "list_price",
        "manual_discount",
    )
    assert line.price_steps[-1]["label"] == "Manual discount 5.00%"
    assert (quote.total_net, quote.total_tax, quote.total_gross) == (
        Decimal("95.00"),
        Decimal("19.00"),
        Decimal("114.00"),
    )
    assert Approval.objects.count() == 0
    assert _quote(org.owner, account, _line(product)).number == "Q-2026-000002"


@pytest.mark.parametrize(
    ("quantity", "field", "message"),
    [
        ("0", "lines.0.quantity", "The quantity must be more than zero."),
        ("-2", "lines.0.quantity", "The quantity must be more than zero."),
    ],
)
def test_create_refuses_bad_quantities(
    org: Any, account: Account, product: Product, quantity: str, field: str, message: str
) -> None:
    with pytest.raises(QuoteError) as refused:
        _quote(org.owner, account, _line(product, quantity))

    assert refused.value.fields == {field: [message]}
    assert Quote.all_objects.count() == 0


def test_create_refuses_no_lines_a_past_validity_and_a_foreign_deal(
    org: Any, account: Account, product: Product
) -> None:
    with pytest.raises(QuoteError) as empty:
        _quote(org.owner, account)
    with pytest.raises(QuoteError) as past:
        _quote(org.owner, account, _line(product), valid_until=datetime.date(2026, 11, 19))
    other_deal = DealFactory(account=AccountFactory(owner=org.owner))
    with pytest.raises(QuoteError) as foreign:
        _quote(org.owner, account, _line(product), deal=other_deal)

    assert empty.value.fields == {"lines": ["Add at least one line."]}
    assert past.value.fields == {"valid_until": ["A quote cannot be valid until a past day."]}
    assert foreign.value.fields == {"deal": ["The deal belongs to another account."]}
    assert Quote.all_objects.count() == 0


@pytest.mark.parametrize("who", ["other", "peer", "staff"])
def test_create_for_an_account_you_cannot_change_is_not_found(
    org: Any, account: Account, product: Product, who: str
) -> None:
    with pytest.raises(NotFoundError):
        _quote(getattr(org, who), account, _line(product))

    assert Quote.all_objects.count() == 0


def test_auditor_cannot_create(org: Any, account: Account, product: Product) -> None:
    with pytest.raises(PermissionDeniedError):
        _quote(org.auditor, account, _line(product))

    assert Quote.all_objects.count() == 0


# --- discount approval and sending ------------------------------------------------------------


def test_discount_above_the_limit_asks_once_and_blocks_sending_until_approved(
    org: Any, account: Account, product: Product
) -> None:
    quote = _quote(org.owner, account, _line(product, "4", "15"))
    approval = Approval.objects.get()
    assert (approval.reason, approval.status, approval.amount, approval.requester) == (
        ApprovalReason.DISCOUNT,
        ApprovalStatus.PENDING,
        Decimal("15.00"),
        org.owner,
    )
    assert approval.content_type.model == "quote"
    assert approval.object_id == quote.pk

    with pytest.raises(ApprovalRequiredError) as blocked:
        qs.quote_send(user=org.owner, quote=quote)
    assert "above the creator's limit of 10.00%" in blocked.value.message
    quote.refresh_from_db()
    assert (quote.status, quote.pdf_document) == (QuoteStatus.DRAFT, None)

    # Editing the lines updates the same waiting request.
    qs.quote_update(
        user=org.owner,
        quote=quote,
        expected_version=quote.version,
        data={"lines": [_line(product, "4", "18")]},
    )
    assert list(Approval.objects.values_list("pk", "amount")) == [(approval.pk, Decimal("18.00"))]

    services.approval_decide(user=org.sales_head, approval=approval, decision="approve")
    sent = qs.quote_send(user=org.owner, quote=quote)

    assert sent.status == QuoteStatus.SENT
    notice = Notification.objects.get(recipient=org.owner)
    assert notice.title == f"Discount above the role's limit for {quote.number}: Approved"
    assert notice.url == f"/quotes/{quote.pk}/"


def test_send_renders_the_pdf_with_the_lines_and_total_and_marks_sent(
    org: Any, account: Account, product: Product
) -> None:
    quote = _quote(org.owner, account, _line(product, "4"))

    sent = qs.quote_send(user=org.owner, quote=quote, with_docx=True)

    assert (sent.status, sent.sent_at) == (QuoteStatus.SENT, NOW)
    assert sent.pdf_document is not None
    assert sent.docx_document is not None
    assert sent.pdf_document.pk != sent.docx_document.pk
    text = _pdf_text(sent.pdf_document)
    assert quote.number in text
    assert "BOLT-10 Bolt" in text
    assert "120.00" in text
    assert sent.docx_document.current_version.filename == f"{quote.number}.docx"  # type: ignore[union-attr]
    # Sending again renders a new version of the same document.
    again = qs.quote_send(user=org.owner, quote=sent)
    assert again.pdf_document == sent.pdf_document
    assert again.pdf_document.versions.count() == 2  # type: ignore[union-attr]


def test_send_refused_when_accepted_or_by_an_auditor(
    org: Any, account: Account, product: Product
) -> None:
    quote = _quote(org.owner, account, _line(product))
    with pytest.raises(PermissionDeniedError):
        qs.quote_send(user=org.auditor, quote=quote)
    with pytest.raises(NotFoundError):
        qs.quote_send(user=org.other, quote=quote)
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.DRAFT


def test_only_a_draft_is_edited_and_a_stale_edit_conflicts(
    org: Any, account: Account, product: Product
) -> None:
    quote = _quote(org.owner, account, _line(product))
    with pytest.raises(ConflictError):
        qs.quote_update(
            user=org.owner, quote=quote, expected_version=quote.version + 1, data={"notes": "x"}
        )
    sent = qs.quote_send(user=org.owner, quote=quote)

    with pytest.raises(QuoteError) as refused:
        qs.quote_update(user=org.owner, quote=sent, expected_version=sent.version, data={})

    assert refused.value.message == "This quote is sent."


# --- accept, reject, expire -------------------------------------------------------------------


def test_accept_creates_the_order_with_the_quote_prices_and_its_approval(
    org: Any, account: Account, product: Product
) -> None:
    deal = DealFactory(account=account)
    quote = _quote(org.owner, account, _line(product, "4", "15"), deal=deal)
    services.approval_decide(
        user=org.sales_head, approval=Approval.objects.get(), decision="approve"
    )
    qs.quote_send(user=org.owner, quote=quote)
    # The list price moves after the quote was made: the order keeps the quoted price.
    Product.objects.filter(pk=product.pk).update(list_price=Decimal("30.00"))

    order = qs.quote_accept(user=org.owner, quote=quote)

    quote.refresh_from_db()
    assert (quote.status, quote.decided_at) == (QuoteStatus.ACCEPTED, NOW)
    assert (order.quote, order.deal, order.account, order.status) == (
        quote,
        deal,
        account,
        OrderStatus.RECEIVED,
    )
    line = order.lines.get()
    assert (line.quantity, line.unit_price, line.discount_percent, line.total_net) == (
        Decimal("4.000"),
        Decimal("21.25"),
        Decimal("15.00"),
        Decimal("85.00"),
    )
    assert (order.total_net, order.total_tax) == (Decimal("85.00"), Decimal("17.00"))
    order_approval = Approval.objects.get(content_type__model="order")
    assert (order_approval.status, order_approval.decider) == (
        ApprovalStatus.APPROVED,
        org.sales_head,
    )
    # The order confirms without a second approval.
    confirmed = services.order_transition(user=org.owner, order=order, to=OrderStatus.CONFIRMED)
    assert confirmed.order.status == OrderStatus.CONFIRMED


def test_accept_refuses_a_draft_and_an_expired_quote(
    org: Any, account: Account, product: Product, clock: Any
) -> None:
    quote = _quote(org.owner, account, _line(product), valid_until=datetime.date(2026, 11, 25))
    with pytest.raises(QuoteError) as draft:
        qs.quote_accept(user=org.owner, quote=quote)
    assert draft.value.message == "This quote is draft."
    qs.quote_send(user=org.owner, quote=quote)
    clock.move_to(datetime.datetime(2026, 11, 26, 9, 0, tzinfo=datetime.UTC))

    with pytest.raises(QuoteExpiredError) as expired:
        qs.quote_accept(user=org.owner, quote=quote)

    assert expired.value.code == "quote_expired"
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.EXPIRED
    assert Order.all_objects.count() == 0


def test_reject_needs_a_reason_and_a_sent_quote(
    org: Any, account: Account, product: Product
) -> None:
    quote = _quote(org.owner, account, _line(product))
    qs.quote_send(user=org.owner, quote=quote)
    with pytest.raises(QuoteError) as no_reason:
        qs.quote_reject(user=org.owner, quote=quote, reason=" ")
    assert no_reason.value.fields == {"reason": ["Say why the client declined."]}

    rejected = qs.quote_reject(user=org.owner, quote=quote, reason="Too dear")

    assert (rejected.status, rejected.reject_reason) == (QuoteStatus.REJECTED, "Too dear")
    with pytest.raises(QuoteError):
        qs.quote_accept(user=org.owner, quote=quote)


def test_expire_marks_sent_quotes_past_validity_only(
    org: Any, account: Account, product: Product
) -> None:
    due = _quote(org.owner, account, _line(product), valid_until=datetime.date(2026, 11, 21))
    later = _quote(org.owner, account, _line(product), valid_until=datetime.date(2026, 11, 30))
    draft = _quote(org.owner, account, _line(product), valid_until=datetime.date(2026, 11, 21))
    for quote in (due, later):
        qs.quote_send(user=org.owner, quote=quote)

    assert qs.quotes_expire(today=datetime.date(2026, 11, 22)) == 1
    assert qs.quotes_expire(today=datetime.date(2026, 11, 22)) == 0

    statuses = dict(Quote.objects.values_list("pk", "status"))
    assert statuses == {
        due.pk: QuoteStatus.EXPIRED,
        later.pk: QuoteStatus.SENT,
        draft.pk: QuoteStatus.DRAFT,
    }


def test_delete_only_a_draft(org: Any, account: Account, product: Product) -> None:
    quote = _quote(org.owner, account, _line(product))
    sent = _quote(org.owner, account, _line(product))
    qs.quote_send(user=org.owner, quote=sent)

    qs.quote_delete(user=org.owner, quote=quote)
    with pytest.raises(QuoteError):
        qs.quote_delete(user=org.owner, quote=sent)

    assert list(Quote.objects.values_list("pk", flat=True)) == [sent.pk]


# --- stage check ------------------------------------------------------------------------------


def test_quote_exists_stage_check(org: Any, account: Account, product: Product) -> None:
    deal = DealFactory(account=account)
    check = registry.stage_checks()["quote_exists"]
    assert check.check(deal) == "Make a quote for the deal first."

    quote = _quote(org.owner, account, _line(product), deal=deal)
    assert check.check(deal) is None

    qs.quote_send(user=org.owner, quote=quote)
    qs.quote_reject(user=org.owner, quote=quote, reason="No budget")
    assert check.check(deal) == "Make a quote for the deal first."


def test_a_stage_requiring_a_quote_admits_the_deal_once_it_has_one(
    org: Any, account: Account, product: Product
) -> None:
    from kam.sales import services as sales_services
    from kam.sales.tests.factories import deal_data, stage

    presented = stage("Presented")
    sales_services.stage_update(
        user=org.admin,
        stage=presented,
        expected_version=presented.version,
        data={"requirements": ["quote_exists"]},
    )
    presented.refresh_from_db()
    deal = sales_services.deal_create(user=org.owner, data=deal_data(account))

    assert sales_services.unmet_requirements(deal, presented) == [
        "Make a quote for the deal first."
    ]
    _quote(org.owner, account, _line(product), deal=deal)
    assert sales_services.unmet_requirements(deal, presented) == []


def test_the_beat_task_expires_sent_quotes_once(
    org: Any, account: Account, product: Product, clock: Any
) -> None:
    from kam.config.celery import app
    from kam.orders.tasks import expire_quotes_task

    quote = _quote(org.owner, account, _line(product), valid_until=datetime.date(2026, 11, 21))
    qs.quote_send(user=org.owner, quote=quote)
    clock.move_to(datetime.datetime(2026, 11, 22, 6, 0, tzinfo=datetime.UTC))

    assert expire_quotes_task.apply().get() == 1
    assert expire_quotes_task.apply().get() == 0
    assert Quote.objects.get(pk=quote.pk).status == QuoteStatus.EXPIRED
    assert app.conf.beat_schedule["expire-quotes"]["task"] == expire_quotes_task.name
