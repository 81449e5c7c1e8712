from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render

from kam.accounts import selectors
from kam.accounts.filters import AccountFilterSet, ContactFilterSet
from kam.core import access
from kam.core.http import KamRequest
from kam.core.selectors import record_history


@login_required
def account_list(request: KamRequest) -> HttpResponse:
    filters = AccountFilterSet(request.GET, queryset=selectors.account_list(user=request.user))
    page = Paginator(filters.qs, 50).get_page(request.GET.get("page"))
    template = (
        "accounts/partials/_account_rows.html" if request.htmx else "accounts/account_list.html"
    )
    return render(request, template, {"filters": filters, "page": page})


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
