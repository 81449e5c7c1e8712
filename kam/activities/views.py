from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kam.accounts.permissions import access_account
from kam.activities import selectors, services
from kam.activities.filters import TaskFilterSet
from kam.activities.forms import ActivityForm, QuickLogForm
from kam.activities.models import Activity
from kam.activities.permissions import access_activity
from kam.core import access
from kam.core.errors import ApplicationError, ConflictError, NotFoundError
from kam.core.forms import apply_errors, rearm_after_conflict
from kam.core.http import KamRequest
from kam.core.selectors import record_history
from kam.sales.models import Deal


def _next(request: KamRequest, default: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


@login_required
def activity_detail(request: KamRequest, pk: int) -> HttpResponse:
    activity = access_activity(user=request.user, activity_id=pk)
    return render(
        request,
        "activities/activity_detail.html",
        {
            "activity": activity,
            "contacts": activity.contacts.all(),
            "participants": activity.participants.all(),
            "can_change": access.can(request.user, activity, "change"),
            "history": record_history(user=request.user, record=activity),
        },
    )


@login_required
def activity_edit(request: KamRequest, pk: int) -> HttpResponse:
    activity = access_activity(user=request.user, activity_id=pk, action="change")
    form = ActivityForm(request.POST or None, initial=ActivityForm.initial_for(activity))
    context: dict[str, Any] = {"form": form, "activity": activity}
    if request.method == "POST" and form.is_valid():
        try:
            services.activity_update(
                user=request.user,
                activity=activity,
                expected_version=form.cleaned_data["version"] or 0,
                data=form.service_data(activity),
            )
        except ConflictError as error:
            apply_errors(form, error)
            context["conflict"] = rearm_after_conflict(form, request.POST, error)
        except ApplicationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("activities:activity_detail", pk=activity.pk)
    return render(request, "activities/activity_form.html", context)


TRANSITIONS = {
    "complete": services.activity_complete,
    "cancel": services.activity_cancel,
    "reopen": services.activity_reopen,
    "delete": services.activity_delete,
}


@login_required
@require_POST
def activity_transition(request: KamRequest, pk: int, action: str) -> HttpResponse:
    if action not in TRANSITIONS:
        raise NotFoundError()
    activity = access_activity(user=request.user, activity_id=pk)
    kwargs: dict[str, Any] = {}
    if action == "complete":
        kwargs["outcome"] = request.POST.get("outcome", "")
    try:
        TRANSITIONS[action](user=request.user, activity=activity, **kwargs)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Done.") if action != "delete" else _("Moved to the trash."))
    default = (
        reverse("accounts:account_detail", args=[activity.account_id])
        if action == "delete"
        else reverse("activities:activity_detail", args=[activity.pk])
    )
    return redirect(_next(request, default))


def _panel(request: KamRequest, *, account: Any, deal: Deal | None, template: str) -> HttpResponse:
    form = QuickLogForm(
        request.POST or None,
        user=request.user,
        account=account,
        initial={"deal": deal.pk} if deal else None,
    )
    logged: Activity | None = None
    if request.method == "POST" and form.is_valid():
        data = form.service_data()
        if deal is not None:
            data["deal"] = deal
        try:
            logged = services.activity_create(user=request.user, data=data)
        except ApplicationError as error:
            apply_errors(form, error)
        else:
            form = QuickLogForm(
                user=request.user, account=account, initial={"deal": deal.pk} if deal else None
            )
    return render(
        request,
        template,
        {
            "account": account,
            "deal": deal,
            "form": form,
            "logged": logged,
            "can_log": access.can(request.user, account, "change"),
            "open_items": selectors.open_items(
                user=request.user,
                account_id=account.pk,
                deal_id=deal.pk if deal else None,
            ),
            "recent": selectors.deal_activities(user=request.user, deal_id=deal.pk)
            if deal
            else None,
            "cadence": None if deal else selectors.account_cadence(account=account),
            "panel_url": request.path,
        },
    )


@login_required
def account_panel(request: KamRequest, pk: int) -> HttpResponse:
    """The account page's panel: quick logging, open tasks and planned items, the cadence flag."""
    account = access_account(user=request.user, account_id=pk)
    return _panel(request, account=account, deal=None, template="activities/partials/_panel.html")


@login_required
def deal_panel(request: KamRequest, pk: int) -> HttpResponse:
    """The deal page's panel: quick logging about the deal, its open items and recent ones."""
    deal: Deal = access.get_for(request.user, Deal.objects.select_related("account"), pk)
    return _panel(
        request, account=deal.account, deal=deal, template="activities/partials/_panel.html"
    )


@login_required
def agenda(request: KamRequest) -> HttpResponse:
    try:
        day = date.fromisoformat(request.GET.get("day", ""))
    except ValueError:
        day = None
    today = selectors.today_for(request.user)
    agenda = selectors.agenda(user=request.user, day=day or today)
    return render(request, "activities/agenda.html", {"agenda": agenda, "today": today})


@login_required
def task_list(request: KamRequest) -> HttpResponse:
    whose = request.GET.get("whose", "mine")
    if whose not in ("mine", "team", "all"):
        whose = "mine"
    filters = TaskFilterSet(
        request.GET, queryset=selectors.task_list(user=request.user, whose=whose)
    )
    page = Paginator(filters.qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "activities/task_list.html",
        {
            "filters": filters,
            "page": page,
            "whose": whose,
            "leads": bool(access.led_member_ids(request.user)),
        },
    )


@login_required
def cadence(request: KamRequest) -> HttpResponse:
    """Accounts past their tier's contact cadence, longest overdue first."""
    page = Paginator(selectors.accounts_past_cadence(user=request.user), 50).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "activities/cadence.html",
        {"page": page, "days": selectors.cadence_days()},
    )
