from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kam.accounts.models import Account
from kam.accounts.permissions import access_account
from kam.contracts import choices, exporting, selectors, services
from kam.contracts.filters import ContractFilterSet
from kam.contracts.forms import (
    CloseObligationForm,
    ContractForm,
    GenerateForm,
    ObligationForm,
    TransitionForm,
)
from kam.contracts.models import Contract
from kam.contracts.permissions import access_contract, access_obligation
from kam.core import access, registry, tabular
from kam.core.errors import ApplicationError, ConflictError, NotFoundError
from kam.core.forms import apply_errors, rearm_after_conflict
from kam.core.http import KamRequest
from kam.core.selectors import record_history
from kam.sales.permissions import access_deal


def _sees_value(request: KamRequest) -> bool:
    return access.can_see_confidential(request.user)


@login_required
def contract_list(request: KamRequest) -> HttpResponse:
    filters = ContractFilterSet(request.GET, queryset=selectors.contract_list(user=request.user))
    page = Paginator(filters.qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "contracts/contract_list.html",
        {
            "filters": filters,
            "page": page,
            "query": request.GET.urlencode(),
            "sees_value": _sees_value(request),
            "can_add": not access.is_read_only(request.user),
        },
    )


@login_required
def contract_export(request: KamRequest) -> StreamingHttpResponse:
    fmt = request.GET.get("format", "csv")
    params = request.GET.copy()
    params.pop("format", None)
    try:
        stream = exporting.export_contracts(
            user=request.user,
            queryset=exporting.filtered_contracts(request.user, params),
            fmt=fmt,
            filters=params.dict(),
        )
    except ApplicationError:
        raise NotFoundError() from None
    response = StreamingHttpResponse(stream, content_type=tabular.CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="kam-contracts.{fmt}"'
    return response


@login_required
def contract_detail(request: KamRequest, pk: int) -> HttpResponse:
    contract = selectors.contract_detail(user=request.user, contract_id=pk)
    return render(request, "contracts/contract_detail.html", _detail_context(request, contract))


def _detail_context(request: KamRequest, contract: Contract, **extra: Any) -> dict[str, Any]:
    return {
        "contract": contract,
        "history": selectors.status_history(contract=contract),
        "audit": record_history(user=request.user, record=contract),
        "sees_value": _sees_value(request),
        "can_change": access.can(request.user, contract, "change"),
        "successor": selectors.contract_successor(contract=contract),
        "panels": registry.panels_for("contracts.contract", request.user),
        **_obligations_context(request, contract),
        **extra,
    }


def _obligations_context(
    request: KamRequest, contract: Contract, form: ObligationForm | None = None
) -> dict[str, Any]:
    return {
        "contract": contract,
        "obligations": selectors.obligations_of(contract=contract),
        "obligation_form": form or ObligationForm(contract=contract),
        "can_change": access.can(request.user, contract, "change"),
    }


def _form_account(request: KamRequest, fallback: Account | None) -> Account | None:
    raw = request.POST.get("account") or request.GET.get("account")
    if raw:
        try:
            return access_account(user=request.user, account_id=raw, action="change")
        except ApplicationError:
            return None
    return fallback


@login_required
def contract_create(request: KamRequest) -> HttpResponse:
    account = _form_account(request, None)
    initial = {
        "account": account.pk if account else None,
        "currency": "EUR",
        "number": services.contract_number_suggest(),
        "deal": request.GET.get("deal"),
    }
    form = ContractForm(request.POST or None, user=request.user, account=account, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            contract = services.contract_create(user=request.user, data=form.service_data())
        except ApplicationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Contract %s created.") % contract.number)
            return redirect("contracts:contract_detail", pk=contract.pk)
    return render(
        request,
        "contracts/contract_form.html",
        {"form": form, "contract": None, "account": account},
    )


def _initial(contract: Contract) -> dict[str, Any]:
    initial = {
        name: getattr(contract, name)
        for name in ContractForm.base_fields
        if hasattr(contract, name)
    }
    initial.update(
        account=contract.account_id,
        owner=contract.owner_id,
        our_signatory=contract.our_signatory_id,
        deal=contract.deal_id,
        agreement=contract.agreement_id,
        other_accounts=list(contract.other_accounts.values_list("pk", flat=True)),
        client_signatories=list(contract.client_signatories.values_list("pk", flat=True)),
        version=contract.version,
    )
    return initial


@login_required
def contract_edit(request: KamRequest, pk: int) -> HttpResponse:
    contract = access_contract(user=request.user, contract_id=pk, action="change")
    account = _form_account(request, contract.account)
    form = ContractForm(
        request.POST or None, user=request.user, account=account, initial=_initial(contract)
    )
    context: dict[str, Any] = {"form": form, "contract": contract, "account": account}
    if request.method == "POST" and form.is_valid():
        try:
            services.contract_update(
                user=request.user,
                contract=contract,
                expected_version=form.cleaned_data["version"] or 0,
                data=form.service_data(),
            )
        except ConflictError as error:
            apply_errors(form, error)
            context["conflict"] = rearm_after_conflict(form, request.POST, error)
        except ApplicationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("contracts:contract_detail", pk=contract.pk)
    return render(request, "contracts/contract_form.html", context)


@login_required
@require_POST
def contract_transition(request: KamRequest, pk: int) -> HttpResponse:
    """A status button of the contract page: the move, or the reason it was refused."""
    contract = access_contract(user=request.user, contract_id=pk)
    form = TransitionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a status the contract can take."))
        return redirect("contracts:contract_detail", pk=pk)
    try:
        moved = services.contract_transition(
            user=request.user,
            contract=contract,
            status=form.cleaned_data["status"],
            reason=form.cleaned_data["reason"],
            signed_on=form.cleaned_data["signed_on"],
        )
    except ApplicationError as error:
        messages.error(
            request, " ".join(m for ms in error.fields.values() for m in ms) or error.message
        )
    else:
        messages.success(request, _("The contract is now %s.") % moved.get_status_display().lower())
    return redirect("contracts:contract_detail", pk=pk)


@login_required
@require_POST
def contract_renew(request: KamRequest, pk: int) -> HttpResponse:
    """The "Renew" button: the successor contract's page, or the reason it was refused."""
    contract = access_contract(user=request.user, contract_id=pk)
    try:
        successor = services.contract_renew(user=request.user, contract=contract)
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("contracts:contract_detail", pk=pk)
    messages.success(
        request,
        _("Contract %(new)s renews %(old)s.") % {"new": successor.number, "old": contract.number},
    )
    return redirect("contracts:contract_detail", pk=successor.pk)


@login_required
@require_POST
def contract_generate(request: KamRequest, pk: int) -> HttpResponse:
    """ "Generate PDF" / "Generate DOCX": the generated document's page (its download)."""
    contract = access_contract(user=request.user, contract_id=pk)
    form = GenerateForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose PDF or DOCX."))
        return redirect("contracts:contract_detail", pk=pk)
    try:
        document = services.contract_generate_document(
            user=request.user, contract=contract, fmt=form.cleaned_data["fmt"]
        )
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("contracts:contract_detail", pk=pk)
    messages.success(request, _("Generated %s.") % document.title)
    return redirect("documents:document_detail", pk=document.pk)


@login_required
@require_POST
def contract_delete(request: KamRequest, pk: int) -> HttpResponse:
    contract = access_contract(user=request.user, contract_id=pk)
    services.contract_delete(user=request.user, contract=contract)
    messages.success(request, _("Contract %s moved to the trash.") % contract.number)
    return redirect("contracts:contract_list")


# --- Obligations, added and closed in place (htmx) -------------------------------------------


@login_required
@require_POST
def obligation_add(request: KamRequest, pk: int) -> HttpResponse:
    contract = access_contract(user=request.user, contract_id=pk, action="change")
    form = ObligationForm(request.POST, contract=contract)
    if form.is_valid():
        try:
            services.obligation_create(user=request.user, contract=contract, data=form.cleaned_data)
        except ApplicationError as error:
            apply_errors(form, error)
        else:
            form = None  # type: ignore[assignment]
    return render(
        request,
        "contracts/partials/_obligations.html",
        _obligations_context(request, contract, form),
    )


@login_required
@require_POST
def obligation_close(request: KamRequest, pk: int) -> HttpResponse:
    """Done, waived or reopened, from the contract page or "My obligations" (`next=mine`)."""
    obligation = access_obligation(user=request.user, obligation_id=pk, action="change")
    form = CloseObligationForm(request.POST)
    error_message = ""
    if form.is_valid():
        try:
            obligation = services.obligation_close(
                user=request.user,
                obligation=obligation,
                status=form.cleaned_data["status"],
                note=form.cleaned_data["note"],
            )
        except ApplicationError as error:
            error_message = " ".join(m for ms in error.fields.values() for m in ms) or error.message
    else:
        error_message = _("Choose done, waived or open.")
    if request.POST.get("next") == "mine" or not access.can(request.user, obligation.contract):
        return render(
            request,
            "contracts/partials/_obligation_row_mine.html",
            {"obligation": obligation, "error": error_message},
        )
    context = _obligations_context(request, obligation.contract)
    context["error"] = error_message
    return render(request, "contracts/partials/_obligations.html", context)


@login_required
def my_obligations(request: KamRequest) -> HttpResponse:
    include_closed = request.GET.get("closed") == "1"
    obligations = selectors.my_obligations(user=request.user, include_closed=include_closed)
    page = Paginator(obligations, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "contracts/my_obligations.html",
        {"page": page, "include_closed": include_closed, "open": choices.ObligationStatus.OPEN},
    )


# --- Panels on the account and deal pages ----------------------------------------------------


@login_required
def account_panel(request: KamRequest, pk: int) -> HttpResponse:
    account = access_account(user=request.user, account_id=pk)
    return render(
        request,
        "contracts/partials/_account_panel.html",
        {
            "account": account,
            "can_add": access.can(request.user, account, "change"),
            "sees_value": _sees_value(request),
            **selectors.account_contracts(user=request.user, account=account),
        },
    )


@login_required
def deal_panel(request: KamRequest, pk: int) -> HttpResponse:
    deal = access_deal(user=request.user, deal_id=pk)
    return render(
        request,
        "contracts/partials/_deal_panel.html",
        {
            "deal": deal,
            "contracts": selectors.deal_contracts(user=request.user, deal=deal),
            "can_add": access.can(request.user, deal.account, "change"),
            "sees_value": _sees_value(request),
        },
    )
