"""Order pages: list, detail (lines, why this price, deliveries, approvals, tasks), create and
edit, status moves, the approvals inbox, the department tasks page and the record panels."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kam.accounts.permissions import access_account
from kam.contracts.permissions import access_contract
from kam.core import access
from kam.core.errors import ApplicationError, ConflictError, PermissionDeniedError
from kam.core.forms import apply_errors
from kam.core.http import KamRequest
from kam.documents.errors import TemplateError
from kam.orders import bonus, confirmations, selectors, services
from kam.orders.choices import TRANSITIONS, ApprovalStatus, OrderStatus
from kam.orders.errors import BonusError
from kam.orders.filters import OrderFilterSet, OrderTaskFilterSet
from kam.orders.forms import (
    DecisionForm,
    DeliveryForm,
    LineFormSet,
    OrderForm,
    TaskForm,
    TransitionForm,
)
from kam.orders.permissions import access_approval, access_order, access_order_task
from kam.orders.quotes_selectors import deal_quotes, quotes_by_id
from kam.sales.permissions import access_deal

PAGE_SIZE = 50


def _message_of(error: ApplicationError) -> str:
    return " ".join(m for ms in error.fields.values() for m in ms) or error.message


@login_required
def order_list(request: KamRequest) -> HttpResponse:
    filters = OrderFilterSet(request.GET, queryset=selectors.order_list(user=request.user))
    page = Paginator(filters.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "orders/order_list.html",
        {"filters": filters, "page": page, "query": request.GET.urlencode()},
    )


@login_required
def order_detail(request: KamRequest, pk: int) -> HttpResponse:
    order = selectors.order_detail(user=request.user, order_id=pk)
    return render(request, "orders/order_detail.html", _detail_context(request, order))


def _detail_context(request: KamRequest, order: Any, **extra: Any) -> dict[str, Any]:
    can_change = access.can(request.user, order, "change")
    lines = list(order.lines.all())
    return {
        "order": order,
        "lines": lines,
        "today": timezone.localdate(),
        "can_change": can_change,
        "sees_prices": access.can_see_confidential(request.user),
        "moves": [s for s in OrderStatus if s in TRANSITIONS[order.status]] if can_change else [],
        "order_moves": sorted(TRANSITIONS[order.status]) if can_change else [],
        "approvals": list(selectors.approvals_for(order)),
        "delivery_form": extra.pop("delivery_form", None)
        or DeliveryForm(lines=[line for line in lines if line.completed_on is None]),
        "task_form": extra.pop("task_form", None) or TaskForm(),
        "transition_form": extra.pop("transition_form", None)
        or TransitionForm(initial={"version": order.version}),
        **extra,
    }


def _order_form_page(
    request: KamRequest, form: OrderForm, lines: Any, order: Any = None
) -> HttpResponse:
    return render(request, "orders/order_form.html", {"form": form, "lines": lines, "order": order})


@login_required
def order_create(request: KamRequest) -> HttpResponse:
    initial = {"account": request.GET.get("account"), "deal": request.GET.get("deal")}
    form = OrderForm(request.POST or None, user=request.user, initial=initial)
    lines = LineFormSet(request.POST or None, prefix="lines")
    if request.method == "POST" and form.is_valid() and lines.is_valid():
        data = form.cleaned_data
        try:
            order = services.order_create(
                user=request.user,
                account=data["account"],
                deal=data.get("deal"),
                owner=data.get("owner"),
                requested_date=data.get("requested_date"),
                promised_date=data.get("promised_date"),
                notes=data.get("notes") or "",
                lines=[line for line in (f.line() for f in lines) if line is not None],
            )
        except ApplicationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Order %(number)s received.") % {"number": order.number})
            return redirect("orders:order_detail", pk=order.pk)
    return _order_form_page(request, form, lines)


@login_required
def order_edit(request: KamRequest, pk: int) -> HttpResponse:
    order = access_order(user=request.user, order_id=pk, action="change")
    initial = {
        "account": order.account_id,
        "deal": order.deal_id,
        "owner": order.owner_id,
        "requested_date": order.requested_date,
        "promised_date": order.promised_date,
        "notes": order.notes,
        "version": order.version,
    }
    rows = [
        {
            "product": line.product_id,
            "quantity": line.quantity,
            "discount_percent": line.discount_percent,
            "promised_date": line.promised_date,
        }
        for line in order.lines.all()
    ]
    form = OrderForm(request.POST or None, user=request.user, initial=initial)
    form.fields["account"].disabled = True
    lines = LineFormSet(request.POST or None, prefix="lines", initial=rows)
    if request.method == "POST" and form.is_valid() and lines.is_valid():
        data = form.cleaned_data
        changes = {name: data.get(name) for name in ("deal", "requested_date", "promised_date")}
        changes["notes"] = data.get("notes") or ""
        changes["owner"] = data.get("owner") or order.owner
        changes["lines"] = [line for line in (f.line() for f in lines) if line is not None]
        try:
            services.order_update(
                user=request.user,
                order=order,
                expected_version=data.get("version") or order.version,
                data=changes,
            )
        except ConflictError as error:
            form.add_error(None, error.message)
        except ApplicationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Order saved."))
            return redirect("orders:order_detail", pk=order.pk)
    return _order_form_page(request, form, lines, order)


@login_required
@require_POST
def order_transition(request: KamRequest, pk: int) -> HttpResponse:
    order = access_order(user=request.user, order_id=pk, action="change")
    form = TransitionForm(request.POST)
    if form.is_valid():
        try:
            result = services.order_transition(
                user=request.user,
                order=order,
                to=form.cleaned_data["to"],
                reason=form.cleaned_data.get("reason") or "",
                request_approval=form.cleaned_data.get("request_approval") or False,
                expected_version=form.cleaned_data.get("version"),
            )
        except ApplicationError as error:
            messages.error(request, _message_of(error))
        else:
            if result.approval is not None:
                messages.info(request, _("Sent to the heads of sales for approval."))
            else:
                messages.success(
                    request,
                    _("Order is now %(status)s.")
                    % {"status": result.order.get_status_display().lower()},
                )
    else:
        messages.error(request, _("Choose a move."))
    return redirect("orders:order_detail", pk=order.pk)


@login_required
@require_POST
def delivery_add(request: KamRequest, pk: int) -> HttpResponse:
    order = access_order(user=request.user, order_id=pk, action="change")
    form = DeliveryForm(request.POST, lines=order.lines.filter(completed_on__isnull=True))
    if form.is_valid():
        try:
            services.delivery_create(
                user=request.user,
                order=order,
                delivered_on=form.cleaned_data["delivered_on"],
                lines=form.quantities(),
                note=form.cleaned_data.get("note") or "",
            )
        except ApplicationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Delivery recorded."))
            return redirect("orders:order_detail", pk=order.pk)
    detail = selectors.order_detail(user=request.user, order_id=pk)
    context = _detail_context(request, detail, delivery_form=form)
    return render(request, "orders/order_detail.html", context, status=400)


@login_required
@require_POST
def task_add(request: KamRequest, pk: int) -> HttpResponse:
    order = access_order(user=request.user, order_id=pk, action="change")
    form = TaskForm(request.POST)
    if form.is_valid():
        try:
            services.order_task_create(user=request.user, order=order, **form.cleaned_data)
        except ApplicationError as error:
            apply_errors(form, error)
        else:
            messages.success(
                request,
                _("Task sent to %(department)s.") % {"department": form.cleaned_data["department"]},
            )
            return redirect("orders:order_detail", pk=order.pk)
    detail = selectors.order_detail(user=request.user, order_id=pk)
    context = _detail_context(request, detail, task_form=form)
    return render(request, "orders/order_detail.html", context, status=400)


@login_required
def approval_list(request: KamRequest) -> HttpResponse:
    status = request.GET.get("status", ApprovalStatus.PENDING)
    approvals = selectors.approval_list(user=request.user)
    if status in ApprovalStatus.values:
        approvals = approvals.filter(status=status)
    page = Paginator(approvals, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = _approval_rows(list(page.object_list))
    return render(
        request,
        "orders/approval_list.html",
        {
            "page": page,
            "rows": rows,
            "status": status,
            "statuses": ApprovalStatus.choices,
            "form": DecisionForm(),
            "decides": services.can_decide(request.user),
            "query": f"status={status}",
        },
    )


def _approval_rows(approvals: list[Any]) -> list[tuple[Any, Any, Any]]:
    """(approval, order or None, quote or None): what each approval is about, two queries."""
    is_quote = {a.pk: a.content_type.model == "quote" for a in approvals}
    orders = selectors.orders_by_id([a.object_id for a in approvals if not is_quote[a.pk]])
    quotes = quotes_by_id([a.object_id for a in approvals if is_quote[a.pk]])
    return [
        (
            a,
            None if is_quote[a.pk] else orders.get(a.object_id),
            quotes.get(a.object_id) if is_quote[a.pk] else None,
        )
        for a in approvals
    ]


@login_required
@require_POST
def approval_decide(request: KamRequest, pk: int) -> HttpResponse:
    approval = access_approval(user=request.user, approval_id=pk)
    form = DecisionForm(request.POST)
    if form.is_valid():
        try:
            services.approval_decide(
                user=request.user,
                approval=approval,
                decision=form.cleaned_data["decision"],
                comment=form.cleaned_data.get("comment") or "",
            )
        except ApplicationError as error:
            messages.error(request, _message_of(error))
        else:
            messages.success(request, _("Decision recorded."))
    else:
        messages.error(request, _("Approve or reject."))
    return redirect("orders:approval_list")


@login_required
def task_list(request: KamRequest) -> HttpResponse:
    params = request.GET.copy()
    if "status" not in params:
        params["status"] = "open"
    filters = OrderTaskFilterSet(params, queryset=selectors.task_list(user=request.user))
    page = Paginator(filters.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "orders/task_list.html",
        {
            "filters": filters,
            "page": page,
            "today": timezone.localdate(),
            "query": params.urlencode(),
        },
    )


@login_required
@require_POST
def task_close(request: KamRequest, pk: int) -> HttpResponse:
    task = access_order_task(user=request.user, task_id=pk, action="change")
    try:
        services.order_task_close(user=request.user, task=task)
    except ApplicationError as error:
        messages.error(request, _message_of(error))
    else:
        messages.success(request, _("Task done."))
    target = request.POST.get("next")
    if target == "order" and task.order_id:
        return redirect("orders:order_detail", pk=task.order_id)
    return redirect("orders:task_list")


@login_required
def account_orders_panel(request: KamRequest, pk: int) -> HttpResponse:
    account = access_account(user=request.user, account_id=pk)
    return render(
        request,
        "orders/partials/_account_orders.html",
        {
            "account": account,
            "today": timezone.localdate(),
            "can_add": access.can(request.user, account, "change"),
            **selectors.account_orders(user=request.user, account=account),
        },
    )


@login_required
def deal_orders_panel(request: KamRequest, pk: int) -> HttpResponse:
    deal = access_deal(user=request.user, deal_id=pk)
    return render(
        request,
        "orders/partials/_deal_orders.html",
        {
            "deal": deal,
            "orders": selectors.deal_orders(user=request.user, deal=deal),
            "quotes": deal_quotes(user=request.user, deal=deal),
            "can_add": access.can(request.user, deal.account, "change"),
        },
    )


def _bonus_panel(request: KamRequest, account: Any, **extra: Any) -> HttpResponse:
    agreement, accruals = bonus.account_bonus(account=account, on=timezone.localdate())
    return render(
        request,
        "orders/partials/_account_bonus.html",
        {
            "account": account,
            "agreement": agreement,
            "accruals": accruals,
            "confidential": access.can_see_confidential(request.user),
            "can_settle": bonus.can_settle(request.user),
            **extra,
        },
    )


@login_required
def account_bonus_panel(request: KamRequest, pk: int) -> HttpResponse:
    account = access_account(user=request.user, account_id=pk)
    return _bonus_panel(request, account)


@login_required
@require_POST
def bonus_settle(request: KamRequest, pk: int) -> HttpResponse:
    """A head of sales settles a volume target now; answers the account's bonus panel again."""
    account = access_account(user=request.user, account_id=request.POST.get("account"))
    try:
        bonus.bonus_settle_now(user=request.user, target_id=pk)
    except BonusError as error:
        return _bonus_panel(request, account, error=_message_of(error))
    if not request.htmx:
        return redirect("accounts:account_detail", pk=account.pk)
    return _bonus_panel(request, account, settled=True)


@login_required
def order_confirmations(request: KamRequest, pk: int) -> HttpResponse:
    """The order page's confirmations (GET) and "generate" (POST `fmt`: pdf or docx)."""
    order = access_order(user=request.user, order_id=pk)
    error = ""
    if request.method == "POST":
        try:
            confirmations.order_confirmation_generate(
                user=request.user, order=order, fmt=request.POST.get("fmt", "pdf")
            )
        except TemplateError as refused:
            error = _message_of(refused)
        if not request.htmx and not error:
            return redirect("orders:order_detail", pk=order.pk)
    return render(
        request,
        "orders/partials/_order_confirmations.html",
        {
            "order": order,
            "confirmations": list(confirmations.order_confirmations(order=order)),
            "can_change": access.can(request.user, order, "change"),
            "error": error,
        },
    )


@login_required
def contract_tasks_panel(request: KamRequest, pk: int) -> HttpResponse:
    """The contract page's panel: the contract's internal tasks and (POST) a new one."""
    contract = access_contract(user=request.user, contract_id=pk)
    can_change = access.can(request.user, contract, "change")
    # Prefixed: the contract page has other forms (obligations) with the same field names.
    form = TaskForm(request.POST if request.method == "POST" else None, prefix="task")
    status = 200
    if request.method == "POST":
        if not can_change:
            raise PermissionDeniedError()
        if form.is_valid():
            try:
                services.contract_task_create(
                    user=request.user, contract=contract, **form.cleaned_data
                )
            except ApplicationError as error:
                apply_errors(form, error)
                status = 400
            else:
                if not request.htmx:
                    return redirect("contracts:contract_detail", pk=contract.pk)
                form = TaskForm(prefix="task")
        else:
            status = 400
    context = {
        "contract": contract,
        "tasks": selectors.contract_tasks(user=request.user, contract=contract),
        "form": form,
        "can_change": can_change,
        "today": timezone.localdate(),
    }
    return render(request, "orders/partials/_contract_tasks.html", context, status=status)
