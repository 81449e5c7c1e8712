from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kam.accounts import exporting, selectors, services
from kam.accounts.filters import AccountFilterSet, ContactFilterSet
from kam.accounts.forms import AccountForm, BulkActionForm
from kam.accounts.permissions import access_account
from kam.core import access
from kam.core.errors import ApplicationError, ConflictError, NotFoundError
from kam.core.http import KamRequest
from kam.core.selectors import record_history


@login_required
def account_list(request: KamRequest) -> HttpResponse:
    filters = AccountFilterSet(request.GET, queryset=selectors.account_list(user=request.user))
    page = Paginator(filters.qs, 50).get_page(request.GET.get("page"))
    template = (
        "accounts/partials/_account_rows.html" if request.htmx else "accounts/account_list.html"
    )
    return render(
        request,
        template,
        {
            "filters": filters,
            "page": page,
            "saved_filters": selectors.saved_filters(user=request.user, list_name="accounts"),
            "query": request.GET.urlencode(),
            "can_reassign": access.changes_all(request.user),
            "bulk_form": BulkActionForm(),
        },
    )


@login_required
def account_detail(request: KamRequest, pk: int) -> HttpResponse:
    account = selectors.account_detail(user=request.user, account_id=pk)
    return render(
        request,
        "accounts/account_detail.html",
        {
            "account": account,
            "group": selectors.group_of(user=request.user, account=account),
            "rollup": selectors.group_rollup(user=request.user, account=account),
            "contacts": selectors.contacts_of(user=request.user, account=account),
            "history": record_history(user=request.user, record=account),
            "sees_confidential": access.can_see_confidential(request.user),
            "can_change": access.can(request.user, account, "change"),
        },
    )


@login_required
def contact_list(request: KamRequest) -> HttpResponse:
    filters = ContactFilterSet(request.GET, queryset=selectors.contact_list(user=request.user))
    page = Paginator(filters.qs, 50).get_page(request.GET.get("page"))
    return render(request, "accounts/contact_list.html", {"filters": filters, "page": page})


def _apply_errors(form: AccountForm, error: ApplicationError) -> None:
    for field, messages_ in error.fields.items():
        target = field if field in form.fields else None
        for message in messages_:
            form.add_error(target, message)
    if not error.fields:
        form.add_error(None, error.message)


@login_required
def account_create(request: KamRequest) -> HttpResponse:
    form = AccountForm(
        request.POST or None, initial={"kind": "prospect", "tier": "standard", "status": "lead"}
    )
    if request.method == "POST" and form.is_valid():
        try:
            account = services.account_create(user=request.user, data=form.service_data())
        except ApplicationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, _("Account “%s” created.") % account.name)
            return redirect("accounts:account_detail", pk=account.pk)
    return render(request, "accounts/account_form.html", {"form": form, "account": None})


@login_required
def account_edit(request: KamRequest, pk: int) -> HttpResponse:
    account = access_account(user=request.user, account_id=pk, action="change")
    initial = {
        name: getattr(account, name) for name in AccountForm.base_fields if hasattr(account, name)
    }
    initial.update(
        emails=", ".join(account.emails),
        phones=", ".join(account.phones),
        country=str(account.country or ""),
        version=account.version,
    )
    form = AccountForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.account_update(
                user=request.user,
                account=account,
                expected_version=form.cleaned_data["version"] or 0,
                data=form.service_data(),
            )
        except ConflictError as error:
            _apply_errors(form, error)
            data = request.POST.copy()
            data["version"] = str(error.extra["version"])
            form.data = data
            return render(
                request,
                "accounts/account_form.html",
                {"form": form, "account": account, "conflict": error.extra.get("current")},
            )
        except ApplicationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("accounts:account_detail", pk=account.pk)
    return render(request, "accounts/account_form.html", {"form": form, "account": account})


@login_required
@require_POST
def account_bulk(request: KamRequest) -> HttpResponse:
    form = BulkActionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose an action and at least one account."))
        return redirect("accounts:account_list")
    action = form.cleaned_data["action"]
    value = form.cleaned_data["owner"] if action == "reassign" else form.cleaned_data["value"]
    try:
        count = services.accounts_bulk_update(
            user=request.user, account_ids=form.account_ids(), action=action, value=value
        )
    except ApplicationError as error:
        messages.error(
            request, " ".join(m for ms in error.fields.values() for m in ms) or error.message
        )
    else:
        messages.success(request, _("%d accounts changed.") % count)
    return redirect(request.POST.get("next") or "accounts:account_list")


@login_required
@require_POST
def saved_filter_save(request: KamRequest) -> HttpResponse:
    query = request.POST.get("query", "")
    try:
        services.saved_filter_save(
            user=request.user,
            list_name="accounts",
            name=request.POST.get("name", ""),
            query=query,
            is_shared=request.POST.get("is_shared") == "on",
        )
    except ApplicationError as error:
        messages.error(request, " ".join(m for ms in error.fields.values() for m in ms))
    return redirect(f"{reverse('accounts:account_list')}?{query}")


@login_required
@require_POST
def saved_filter_delete(request: KamRequest, pk: int) -> HttpResponse:
    services.saved_filter_delete(user=request.user, saved_filter_id=pk)
    return redirect("accounts:account_list")


EXPORT_TYPES = {
    "csv": ("text/csv; charset=utf-8", "csv"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "vcf": ("text/vcard; charset=utf-8", "vcf"),
}


@login_required
def list_export(request: KamRequest, target: str) -> StreamingHttpResponse:
    """The list as the user filtered it, in his visibility, as CSV, XLSX or (contacts) vCard."""
    fmt = request.GET.get("format", "csv")
    if fmt not in EXPORT_TYPES or target not in ("accounts", "contacts"):
        raise NotFoundError()
    params = request.GET.copy()
    params.pop("format", None)
    try:
        if target == "accounts":
            queryset = AccountFilterSet(
                params, queryset=selectors.account_list(user=request.user)
            ).qs
            stream = exporting.export_accounts(
                user=request.user, queryset=queryset, fmt=fmt, filters=params.dict()
            )
        else:
            queryset = ContactFilterSet(
                params, queryset=selectors.contact_list(user=request.user)
            ).qs
            stream = exporting.export_contacts(
                user=request.user, queryset=queryset, fmt=fmt, filters=params.dict()
            )
    except ApplicationError:
        raise NotFoundError() from None
    content_type, extension = EXPORT_TYPES[fmt]
    response = StreamingHttpResponse(stream, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="kam-{target}.{extension}"'
    return response
