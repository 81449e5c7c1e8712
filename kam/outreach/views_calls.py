"""The calls page, and the caller card: polled by the base layout, closed by the person called."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from kam.core.http import KamRequest
from kam.outreach.filters_calls import CallFilterSet
from kam.outreach.models import Call
from kam.outreach.permissions_calls import access_own_call
from kam.outreach.selectors.calls import (
    call_list,
    caller_cards,
    live_calls,
    live_signature,
    visible_account_ids,
)
from kam.outreach.services.calls import call_dismiss

LIVE_TEMPLATE = "outreach/partials/_calls_live.html"
PAGE_SIZE = 50


@login_required
@require_GET
def calls_page(request: KamRequest) -> HttpResponse:
    """Recent calls: known clients linked, unknown and hidden ones by number only."""
    filters = CallFilterSet(request.GET, queryset=call_list(user=request.user))
    page = Paginator(filters.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    calls = list(page.object_list)
    context = {
        "filters": filters,
        "page": page,
        "calls": calls,
        "visible": visible_account_ids(user=request.user, calls=calls),
    }
    return render(request, "outreach/calls_list.html", context)


def _render_live(request: HttpRequest, calls: list[Call]) -> HttpResponse:
    context = {
        "cards": caller_cards(user=request.user, calls=calls),
        "seen": live_signature(calls),
    }
    return render(request, LIVE_TEMPLATE, context)


@require_GET
def calls_live(request: HttpRequest) -> HttpResponse:
    """The cards of the user's ringing calls: an htmx fragment the base layout polls every few
    seconds. Nothing changed since the `seen` the poll carries: 204, so htmx leaves the page
    (and screen readers) alone. Signed out: 401 and no body, so the poll of an expired session
    never swaps a sign-in page in."""
    if not request.user.is_authenticated:
        return HttpResponse(status=401)
    calls = live_calls(user=request.user)
    if request.GET.get("seen") == live_signature(calls):
        return HttpResponse(status=204)
    return _render_live(request, calls)


@login_required
@require_POST
def call_dismiss_view(request: KamRequest, pk: int) -> HttpResponse:
    call_dismiss(user=request.user, call=access_own_call(user=request.user, call_id=pk))
    return _render_live(request, live_calls(user=request.user))
