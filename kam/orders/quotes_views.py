"""Quote pages: list, detail (lines with why this price, approval state, send, PDF, accept,
reject), create (from scratch or prefilled from a deal) and edit."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kam.core import access
from kam.core.errors import ApplicationError, ConflictError
from kam.core.forms import apply_errors
from kam.core.http import KamRequest
from kam.orders import quotes_selectors, quotes_services
from kam.orders.choices import QuoteStatus
from kam.orders.filters import QuoteFilterSet
from kam.orders.permissions import access_quote
from kam.orders.quotes_forms import QuoteForm, QuoteLineFormSet, QuoteRejectForm

PAGE_SIZE = 50


def _message_of(error: ApplicationError) -> str:
    return " ".join(m for ms in error.fields.values() for m in ms) or error.message


@login_required
def quote_list(request: KamRequest) -> HttpResponse:
    filters = QuoteFilterSet(request.GET, queryset=quotes_selectors.quote_list(user=request.user))
    page = Paginator(filters.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "orders/quote_list.html",
        {"filters": filters, "page": page, "query": request.GET.urlencode()},
    )


@login_required
def quote_detail(request: KamRequest, pk: int) -> HttpResponse:
    quote = quotes_selectors.quote_detail(user=request.user, quote_id=pk)
    top, limit, covering = quotes_services.discount_state(quote)
    return render(
        request,
        "orders/quote_detail.html",
        {
            "quote": quote,
            "lines": list(quote.lines.all()),
            "can_change": access.can(request.user, quote, "change"),
            "sees_prices": access.can_see_confidential(request.user),
            "approvals": list(quotes_services.quote_approvals(quote)),
            "needs_approval": top > limit and covering is None,
            "top_discount": top,
            "discount_limit": limit,
            "reject_form": QuoteRejectForm(),
        },
    )


def _form_page(request: KamRequest, form: QuoteForm, lines: Any, quote: Any = None) -> HttpResponse:
    context = {"form": form, "lines": lines, "quote": quote}
    return render(request, "orders/quote_form.html", context)


@login_required
def quote_create(request: KamRequest) -> HttpResponse:
    initial = {"account": request.GET.get("account"), "deal": request.GET.get("deal")}
    form = QuoteForm(request.POST or None, user=request.user, initial=initial)
    lines = QuoteLineFormSet(request.POST or None, prefix="lines")
    if request.method == "POST" and form.is_valid() and lines.is_valid():
        data = form.cleaned_data
        try:
            quote = quotes_services.quote_create(
                user=request.user,
                account=data["account"],
                deal=data.get("deal"),
                owner=data.get("owner"),
                valid_until=data.get("valid_until"),
                notes=data.get("notes") or "",
                lines=[line for line in (f.line() for f in lines) if line is not None],
            )
        except ApplicationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Quote %(number)s saved.") % {"number": quote.number})
            return redirect("orders:quote_detail", pk=quote.pk)
    return _form_page(request, form, lines)


@login_required
def quote_edit(request: KamRequest, pk: int) -> HttpResponse:
    quote = access_quote(user=request.user, quote_id=pk, action="change")
    initial = {
        "account": quote.account_id,
        "deal": quote.deal_id,
        "owner": quote.owner_id,
        "valid_until": quote.valid_until,
        "notes": quote.notes,
        "version": quote.version,
    }
    rows = [
        {"product": ln.product_id, "quantity": ln.quantity, "discount_percent": ln.discount_percent}
        for ln in quote.lines.all()
    ]
    form = QuoteForm(request.POST or None, user=request.user, initial=initial)
    form.fields["account"].disabled = True
    lines = QuoteLineFormSet(request.POST or None, prefix="lines", initial=rows)
    if request.method == "POST" and form.is_valid() and lines.is_valid():
        data = form.cleaned_data
        changes = {name: data.get(name) for name in ("deal", "valid_until")}
        changes["notes"] = data.get("notes") or ""
        changes["owner"] = data.get("owner") or quote.owner
        changes["lines"] = [line for line in (f.line() for f in lines) if line is not None]
        try:
            quotes_services.quote_update(
                user=request.user,
                quote=quote,
                expected_version=data.get("version") or quote.version,
                data=changes,
            )
        except ConflictError as error:
            form.add_error(None, error.message)
        except ApplicationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Quote saved."))
            return redirect("orders:quote_detail", pk=quote.pk)
    return _form_page(request, form, lines, quote)


@login_required
@require_POST
def quote_send(request: KamRequest, pk: int) -> HttpResponse:
    quote = access_quote(user=request.user, quote_id=pk, action="change")
    try:
        quotes_services.quote_send(
            user=request.user, quote=quote, with_docx=request.POST.get("docx") == "on"
        )
    except ApplicationError as error:
        messages.error(request, _message_of(error))
    else:
        messages.success(request, _("Quote sent: the PDF is ready."))
    return redirect("orders:quote_detail", pk=quote.pk)


@login_required
@require_POST
def quote_accept(request: KamRequest, pk: int) -> HttpResponse:
    quote = access_quote(user=request.user, quote_id=pk, action="change")
    try:
        order = quotes_services.quote_accept(user=request.user, quote=quote)
    except ApplicationError as error:
        messages.error(request, _message_of(error))
        return redirect("orders:quote_detail", pk=quote.pk)
    messages.success(request, _("Accepted: order %(number)s received.") % {"number": order.number})
    return redirect("orders:order_detail", pk=order.pk)


@login_required
@require_POST
def quote_reject(request: KamRequest, pk: int) -> HttpResponse:
    quote = access_quote(user=request.user, quote_id=pk, action="change")
    form = QuoteRejectForm(request.POST)
    reason = form.data.get("reason", "")
    try:
        quotes_services.quote_reject(user=request.user, quote=quote, reason=reason)
    except ApplicationError as error:
        messages.error(request, _message_of(error))
    else:
        messages.success(request, _("Quote marked rejected."))
    return redirect("orders:quote_detail", pk=quote.pk)


@login_required
def quote_pdf(request: KamRequest, pk: int) -> HttpResponse:
    """The quote's current PDF (through the documents' download, which checks access again)."""
    quote = access_quote(user=request.user, quote_id=pk)
    document = quote.pdf_document
    if document is None or document.current_version is None or quote.status == QuoteStatus.DRAFT:
        messages.error(request, _("Send the quote first: the PDF is made when it is sent."))
        return redirect("orders:quote_detail", pk=quote.pk)
    return redirect("documents:download", pk=document.pk, number=document.current_version.number)
