"""Write use cases of quotes: create and edit (priced by the catalog's pricing function like
order lines), the discount approval, send (the PDF through `documents.document_generate`),
accept (an order through `order_create`, same lines and prices), reject, expire, delete.

Every write checks access through `kam.core.access`, validates, runs in one transaction and is
audited under the acting user (`kam.core.audit.acting_as`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.accounts.models import Account
from kam.core import access
from kam.core.audit import acting_as
from kam.core.errors import ConflictError, NotFoundError, PermissionDeniedError
from kam.documents.choices import TemplateKey
from kam.documents.generation import our_company, render
from kam.documents.models import DocumentTemplate
from kam.documents.services import document_add_version, document_create, document_generate
from kam.orders import selectors, services
from kam.orders.choices import QUOTE_VALID_DAYS, ApprovalReason, ApprovalStatus, QuoteStatus
from kam.orders.errors import QuoteError, QuoteExpiredError
from kam.orders.models import Approval, Order, Quote, QuoteLine, QuoteNumberCounter
from kam.sales.models import Deal
from kam.users.services import notification_create

ZERO = Decimal("0")
PRICE_FIELDS = (
    "list_price",
    "priced_unit_price",
    "price_discount_percent",
    "discount_percent",
    "unit_price",
    "vat_rate",
    "total_net",
    "total_tax",
    "price_steps",
)
QUOTE_FIELDS = frozenset(["lines", "owner", "deal", "valid_until", "notes"])
# The PDF and DOCX of a quote are filed under this document kind.
DOCUMENT_KIND = "other"


@dataclass(frozen=True)
class QuoteLineInput:
    """One line as a user enters it: a product, a quantity, an optional manual discount."""

    product: Any
    quantity: Decimal
    discount_percent: Decimal = ZERO


# --- helpers ----------------------------------------------------------------------------------


@contextmanager
def _as_quote_error() -> Iterator[None]:
    """The order helpers' validation errors, told as quote errors (code `quote_invalid`)."""
    try:
        yield
    except services.OrderError as error:
        raise QuoteError(error.message, fields=error.fields) from None


def _invalid(fields: dict[str, list[str]], message: str | None = None) -> QuoteError:
    return QuoteError(message or _("Some values are not valid."), fields=fields)


def _next_number(year: int) -> str:
    """The next quote number of `year` (Q-2026-000123); the counter row is locked meanwhile."""
    QuoteNumberCounter.objects.get_or_create(year=year)
    counter = QuoteNumberCounter.objects.select_for_update().get(year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"Q-{year}-{counter.last:06d}"


def _check_valid_until(value: date | None, today: date) -> date:
    if value is None:
        return today + timedelta(days=QUOTE_VALID_DAYS)
    if value < today:
        raise _invalid({"valid_until": [_("A quote cannot be valid until a past day.")]})
    return value


def _priced(account: Account, lines: Sequence[QuoteLineInput]) -> tuple[list[QuoteLine], str]:
    """Price the lines exactly as order lines are priced (catalog pricing + manual discount)."""
    with _as_quote_error():
        built, currency = services._priced_lines(
            account=account,
            lines=[
                services.LineInput(
                    product=line.product,
                    quantity=line.quantity,
                    discount_percent=line.discount_percent,
                )
                for line in lines
            ],
            on=timezone.localdate(),
            requested=None,
            promised=None,
        )
    quote_lines = [
        QuoteLine(
            position=line.position,
            product=line.product,
            quantity=line.quantity,
            **{name: getattr(line, name) for name in PRICE_FIELDS},
        )
        for line in built
    ]
    return quote_lines, currency


def _save_lines(user: Any, quote: Quote, lines: list[QuoteLine]) -> None:
    with acting_as(user):
        for line in lines:
            line.quote = quote
            services._full_clean(line, exclude=["quote"])
            line.save()
    quote.total_net = sum((line.total_net for line in lines), ZERO)
    quote.total_tax = sum((line.total_tax for line in lines), ZERO)


def _lock(user: Any, quote: Quote, expected_version: int | None = None) -> Quote:
    locked = Quote.objects.select_for_update().select_related("account").get(pk=quote.pk)
    if not access.can(user, locked, "change"):
        raise NotFoundError() if not access.can(user, locked, "view") else PermissionDeniedError()
    if expected_version is not None and locked.version != expected_version:
        raise ConflictError(extra={"version": locked.version, "current": {"status": locked.status}})
    return locked


def _require_status(quote: Quote, *allowed: str) -> None:
    if quote.status not in allowed:
        raise QuoteError(
            _("This quote is %(status)s.") % {"status": quote.get_status_display().lower()},
            fields={"status": [_("Not possible in this status.")]},
        )


# --- discount approval ------------------------------------------------------------------------


def _quote_type() -> ContentType:
    return ContentType.objects.get_for_model(Quote)


def _max_discount(quote: Quote) -> Decimal:
    top = quote.lines.aggregate(top=Max("discount_percent"))["top"]
    return Decimal(top).quantize(Decimal("0.01")) if top is not None else ZERO


def quote_approvals(quote: Quote) -> Any:
    """The approval requests about `quote`, newest first."""
    return (
        Approval.objects.filter(content_type=_quote_type(), object_id=quote.pk)
        .select_related("requester", "decider")
        .order_by("-created_at", "-pk")
    )


def _covering(quote: Quote, top: Decimal) -> Approval | None:
    found: Approval | None = (
        quote_approvals(quote)
        .filter(reason=ApprovalReason.DISCOUNT, status=ApprovalStatus.APPROVED, amount__gte=top)
        .first()
    )
    return found


def discount_state(quote: Quote) -> tuple[Decimal, Decimal, Approval | None]:
    """(largest manual discount, the creator's limit, the approval covering it or None)."""
    limit = selectors.discount_limit_for(getattr(quote.created_by, "role", ""))
    top = _max_discount(quote)
    return top, limit, _covering(quote, top) if top > limit else None


def _discount_rule(user: Any, quote: Quote) -> Approval | None:
    """A manual discount above the creator's limit waits for a head of sales: ask (once; a
    waiting request is brought up to date)."""
    top, limit, covering = discount_state(quote)
    if top <= limit or covering is not None:
        return None
    creator = quote.created_by or user
    approval = quote_approvals(quote).filter(
        reason=ApprovalReason.DISCOUNT, status=ApprovalStatus.PENDING
    ).first() or Approval(
        content_type=_quote_type(),
        object_id=quote.pk,
        reason=ApprovalReason.DISCOUNT,
        requester=creator,
    )
    approval.amount = top
    approval.currency = ""
    approval.detail = (
        _("Quote %(number)s: a line is discounted %(top)s%%; the limit of %(role)s is %(limit)s%%.")
        % {"number": quote.number, "top": top, "role": creator.get_role_display(), "limit": limit}
    )[:500]
    with acting_as(user):
        approval.save()
    return approval


def _discount_blocks(quote: Quote) -> str | None:
    top, limit, covering = discount_state(quote)
    if top <= limit or covering is not None:
        return None
    return _(
        "A line is discounted %(top)s%%, above the creator's limit of %(limit)s%%: "
        "a head of sales must approve it first."
    ) % {"top": top, "limit": limit}


# --- create, edit, delete ---------------------------------------------------------------------


@transaction.atomic
def quote_create(
    *,
    user: Any,
    account: Account,
    lines: Sequence[QuoteLineInput],
    deal: Deal | None = None,
    owner: Any | None = None,
    valid_until: date | None = None,
    notes: str = "",
) -> Quote:
    """Create a draft quote, each line priced by the pricing function; valid 30 days unless
    `valid_until` says otherwise. A manual discount above the creator's limit files a discount
    approval request for the heads of sales."""
    services._require_writer(user)
    with _as_quote_error():
        services._check_account(user, account)
        services._check_deal(user, account, deal)
        owner = owner or user
        services._check_owner(owner)
    today = timezone.localdate()
    until = _check_valid_until(valid_until, today)
    built, currency = _priced(account, lines)
    quote = Quote(
        account=account,
        deal=deal,
        owner=owner,
        created_by=user,
        currency=currency,
        valid_until=until,
        notes=(notes or "").strip(),
        number=_next_number(today.year),
    )
    with _as_quote_error():
        services._full_clean(quote)
    with acting_as(user):
        quote.save()
    _save_lines(user, quote, built)
    with acting_as(user):
        quote.save(update_fields=["total_net", "total_tax"])
    _discount_rule(user, quote)
    return quote


@transaction.atomic
def quote_update(*, user: Any, quote: Quote, expected_version: int, data: dict[str, Any]) -> Quote:
    """Edit a draft quote: owner, deal, validity, notes; `lines` replaces every line (priced
    again). A stale version is a conflict; nothing is written."""
    services._require_writer(user)
    unknown = set(data) - QUOTE_FIELDS
    if unknown:
        raise _invalid({name: [_("Unknown field.")] for name in sorted(unknown)})
    locked = _lock(user, quote, expected_version)
    _require_status(locked, QuoteStatus.DRAFT)
    for name in ("owner", "deal", "notes"):
        if name in data:
            setattr(locked, name, data[name] if name != "notes" else (data[name] or "").strip())
    with _as_quote_error():
        if "owner" in data:
            services._check_owner(locked.owner)
        if "deal" in data:
            services._check_deal(user, locked.account, locked.deal)
    if "valid_until" in data:
        locked.valid_until = _check_valid_until(data["valid_until"], timezone.localdate())
    if data.get("lines") is not None:
        built, currency = _priced(locked.account, data["lines"])
        with acting_as(user):
            locked.lines.all().delete()
        _save_lines(user, locked, built)
        locked.currency = currency
    with _as_quote_error():
        services._full_clean(locked)
    with acting_as(user):
        locked.save()
    _discount_rule(user, locked)
    return locked


@transaction.atomic
def quote_delete(*, user: Any, quote: Quote) -> None:
    """Move a draft quote to the trash (a sent quote is rejected or expires instead)."""
    from kam.core.services import soft_delete

    locked = _lock(user, quote)
    _require_status(locked, QuoteStatus.DRAFT)
    soft_delete(instance=locked, user=user)


# --- send, accept, reject, expire -------------------------------------------------------------


def document_context(quote: Quote) -> dict[str, Any]:
    """The context `documents.document_generate` renders the quote template with."""
    lines = list(quote.lines.select_related("product"))
    return {
        "number": quote.number,
        "date": timezone.localdate(),
        "title": "",
        "currency": quote.currency,
        "seller": our_company(),
        "client": {"name": quote.account.name, "address": "", "contact": ""},
        "lines": [
            {
                "description": f"{line.product.sku} {line.product.name}",
                "quantity": line.quantity,
                "unit": line.product.unit,
                "unit_price": line.unit_price,
                "amount": line.total_net,
            }
            for line in lines
        ],
        "total": quote.total_net,
        "notes": _("Total %(net)s + VAT %(tax)s = %(gross)s %(currency)s. %(notes)s")
        % {
            "net": quote.total_net,
            "tax": quote.total_tax,
            "gross": quote.total_gross,
            "currency": quote.currency,
            "notes": quote.notes,
        },
        "valid_until": quote.valid_until,
    }


def _expired(quote: Quote, today: date) -> bool:
    return quote.valid_until < today


@transaction.atomic
def quote_send(*, user: Any, quote: Quote, with_docx: bool = False) -> Quote:
    """Render the quote as PDF (and DOCX on request), store them on the quote and mark it sent.

    Refused while a discount above the creator's limit has no approval, and once the quote is
    past its validity. Sending a sent quote again renders a new version of its documents.
    """
    services._require_writer(user)
    locked = _lock(user, quote)
    _require_status(locked, QuoteStatus.DRAFT, QuoteStatus.SENT)
    if _expired(locked, timezone.localdate()):
        raise QuoteExpiredError(
            _("The quote was valid until %(day)s; change the date first.")
            % {"day": locked.valid_until},
            fields={"valid_until": [_("In the past.")]},
        )
    blocked = _discount_blocks(locked)
    if blocked is not None:
        raise services.ApprovalRequiredError(blocked, fields={"status": [blocked]})
    context = document_context(locked)
    locked.pdf_document = document_generate(
        record=locked,
        kind=DOCUMENT_KIND,
        template="quote",
        context=context,
        fmt="pdf",
        actor=user,
        direction="outgoing",
    )
    if with_docx:
        # The DOCX is a second document of the same template: generate it under its own title.
        locked.docx_document = _generate_docx(user, locked, context)
    if locked.status == QuoteStatus.DRAFT:
        locked.status = QuoteStatus.SENT
        locked.sent_at = timezone.now()
    with acting_as(user):
        locked.save()
    return locked


def _generate_docx(user: Any, quote: Quote, context: dict[str, Any]) -> Any:
    """The DOCX as its own document on the quote (`document_generate` would file it as a new
    version of the PDF document, since both come from the "quote" template)."""
    data = render(key=TemplateKey.QUOTE, context=context, fmt="docx", custom=_custom_docx())
    filename = f"{quote.number}.docx"
    if quote.docx_document is not None:
        document_add_version(
            user=user, document=quote.docx_document, upload=data, filename=filename
        )
        return quote.docx_document
    return document_create(
        user=user,
        record=quote,
        kind=DOCUMENT_KIND,
        title=f"{quote.number} (DOCX)",
        upload=data,
        filename=filename,
        number=quote.number,
    )


def _custom_docx() -> bytes | None:
    template = DocumentTemplate.objects.filter(key=TemplateKey.QUOTE).first()
    if template is None:
        return None
    with template.file.open("rb") as handle:
        content: bytes = handle.read()
    return content


def quote_accept(*, user: Any, quote: Quote) -> Order:
    """The client accepted: create the order (same lines, same prices) and mark the quote
    accepted. Refused for a draft, and past the validity (the quote is then marked expired).

    The order's discount is covered by the quote's approval: the order's approval request is
    recorded as approved by the same head of sales.
    """
    if _expire_one(user, quote):
        raise QuoteExpiredError(
            _("The quote expired on %(day)s; make a new one.") % {"day": quote.valid_until},
            fields={"status": [_("Expired.")]},
        )
    return _accept(user, quote)


@transaction.atomic
def _expire_one(user: Any, quote: Quote) -> bool:
    services._require_writer(user)
    locked = _lock(user, quote)
    if locked.status not in (QuoteStatus.SENT, QuoteStatus.EXPIRED):
        return False
    if locked.status == QuoteStatus.SENT and not _expired(locked, timezone.localdate()):
        return False
    if locked.status == QuoteStatus.SENT:
        locked.status = QuoteStatus.EXPIRED
        with acting_as(user):
            locked.save()
    return True


@transaction.atomic
def _accept(user: Any, quote: Quote) -> Order:
    locked = _lock(user, quote)
    _require_status(locked, QuoteStatus.SENT)
    lines = list(locked.lines.select_related("product"))
    order = services.order_create(
        user=user,
        account=locked.account,
        deal=locked.deal,
        owner=locked.owner,
        notes=locked.notes,
        lines=[
            services.LineInput(
                product=line.product,
                quantity=line.quantity,
                discount_percent=line.discount_percent,
            )
            for line in lines
        ],
    )
    _copy_prices(user, order, locked, lines)
    locked.status = QuoteStatus.ACCEPTED
    locked.decided_at = timezone.now()
    with acting_as(user):
        locked.save()
    return order


def _copy_prices(user: Any, order: Order, quote: Quote, lines: list[QuoteLine]) -> None:
    """Give the order the quote's prices (prices may have moved since the quote was made) and
    its discount approval."""
    order_lines = list(order.lines.order_by("position"))
    with acting_as(user):
        for order_line, quote_line in zip(order_lines, lines, strict=True):
            for name in PRICE_FIELDS:
                setattr(order_line, name, getattr(quote_line, name))
            order_line.save(update_fields=list(PRICE_FIELDS))
        order.total_net = sum((line.total_net for line in order_lines), ZERO)
        order.total_tax = sum((line.total_tax for line in order_lines), ZERO)
        order.currency = quote.currency
        order.quote = quote
        order.save(update_fields=["total_net", "total_tax", "currency", "quote"])
    _carry_approval(user, order, quote)


def _carry_approval(user: Any, order: Order, quote: Quote) -> None:
    covering = discount_state(quote)[2]
    pending = Approval.objects.filter(
        content_type=ContentType.objects.get_for_model(Order),
        object_id=order.pk,
        reason=ApprovalReason.DISCOUNT,
        status=ApprovalStatus.PENDING,
    ).first()
    if covering is None or pending is None:
        return
    pending.status = ApprovalStatus.APPROVED
    pending.amount = covering.amount
    pending.decider = covering.decider
    pending.decided_at = covering.decided_at
    pending.comment = _("Approved on quote %(number)s.") % {"number": quote.number}
    with acting_as(user):
        pending.save()


@transaction.atomic
def quote_reject(*, user: Any, quote: Quote, reason: str) -> Quote:
    """The client declined a sent quote (a reason is required)."""
    services._require_writer(user)
    locked = _lock(user, quote)
    _require_status(locked, QuoteStatus.SENT)
    if not (reason or "").strip():
        raise _invalid({"reason": [_("Say why the client declined.")]})
    locked.status = QuoteStatus.REJECTED
    locked.reject_reason = reason.strip()[:255]
    locked.decided_at = timezone.now()
    with acting_as(user):
        locked.save()
    return locked


@transaction.atomic
def quotes_expire(*, today: date | None = None) -> int:
    """Mark sent quotes past their validity expired; returns how many. Safe to run twice."""
    day = today or timezone.localdate()
    return Quote.objects.filter(status=QuoteStatus.SENT, valid_until__lt=day).update(
        status=QuoteStatus.EXPIRED, updated_at=timezone.now()
    )


def notify_quote_decision(approval: Approval) -> None:
    """Tell the requester in the app that a head of sales decided about his quote's discount."""
    from django.urls import reverse

    quote = Quote.all_objects.filter(pk=approval.object_id).first()
    title = _("%(reason)s for %(what)s: %(status)s") % {
        "reason": approval.get_reason_display(),
        "what": quote.number if quote is not None else str(approval.object_id),
        "status": approval.get_status_display(),
    }
    url = reverse("orders:quote_detail", args=[quote.pk]) if quote is not None else ""
    notification_create(recipient=approval.requester, title=title, body=approval.comment, url=url)
