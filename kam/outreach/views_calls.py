"""The caller card: polled by the base layout, closed by the person called."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from kam.core.http import KamRequest
from kam.outreach.permissions_calls import access_own_call
from kam.outreach.selectors.calls import live_calls
from kam.outreach.services.calls import call_dismiss

LIVE_TEMPLATE = "outreach/partials/_calls_live.html"


@require_GET
def calls_live(request: HttpRequest) -> HttpResponse:
    """The cards of the user's ringing calls (an htmx fragment, polled every few seconds).
    Signed out: 401 and no body, so the poll of an expired session never swaps a login page in."""
    if not request.user.is_authenticated:
        return HttpResponse(status=401)
    return render(request, LIVE_TEMPLATE, {"cards": live_calls(user=request.user)})


@login_required
@require_POST
def call_dismiss_view(request: KamRequest, pk: int) -> HttpResponse:
    call_dismiss(user=request.user, call=access_own_call(user=request.user, call_id=pk))
    return render(request, LIVE_TEMPLATE, {"cards": live_calls(user=request.user)})
