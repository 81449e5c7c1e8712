"""The events pages: list, record, form, check-in at the door, leads at the stand, the report,
and the public RSVP page (no login; its token is the only key)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from kam.accounts.permissions import access_account, access_contact
from kam.core import access, registry
from kam.core.errors import ApplicationError, ConflictError
from kam.core.forms import apply_errors, rearm_after_conflict
from kam.core.http import KamRequest
from kam.core.selectors import record_history
from kam.outreach.choices import CampaignKind, GuestStatus
from kam.outreach.filters_events import EventFilterSet
from kam.outreach.forms_events import EventForm, LeadForm, RsvpForm
from kam.outreach.models import Event
from kam.outreach.permissions_events import access_event, access_guest
from kam.outreach.selectors import events as selectors
from kam.outreach.services import events as services

GUESTS_PER_PAGE = 100


@login_required
def event_list(request: KamRequest) -> HttpResponse:
    filters = EventFilterSet(request.GET, queryset=selectors.event_list(user=request.user))
    page = Paginator(filters.qs, 25).get_page(request.GET.get("page"))
    return render(
        request,
        "outreach/event_list.html",
        {"filters": filters, "page": page, "can_add": not access.is_read_only(request.user)},
    )


def invitation_url(event: Event) -> str:
    """The campaign form, preset to invite to `event` ("" until the campaigns pages exist)."""
    try:
        base = reverse("outreach:campaign_create")
    except NoReverseMatch:
        return ""
    return f"{base}?{urlencode({'kind': CampaignKind.INVITATION, 'event': event.pk})}"


@login_required
def event_detail(request: KamRequest, pk: int) -> HttpResponse:
    event = selectors.event_detail(user=request.user, event_id=pk)
    status = request.GET.get("status") if request.GET.get("status") in GuestStatus else None
    guests = selectors.guests_of(event=event, status=status)
    page = Paginator(guests, GUESTS_PER_PAGE).get_page(request.GET.get("page"))
    can_change = access.can(request.user, event, "change")
    return render(
        request,
        "outreach/event_detail.html",
        {
            "event": event,
            "page": page,
            "guests": selectors.guest_rows(user=request.user, guests=list(page.object_list)),
            "status": status,
            "statuses": GuestStatus.choices,
            "leads": list(selectors.leads_of(event=event)[:50]),
            "report": selectors.event_report(event=event),
            "campaigns": selectors.invitation_campaigns(event=event),
            "invitation_url": invitation_url(event) if can_change else "",
            "can_change": can_change,
            "audit": record_history(user=request.user, record=event),
            "panels": registry.panels_for("outreach.event", request.user),
        },
    )


@login_required
def event_create(request: KamRequest) -> HttpResponse:
    form = EventForm(request.POST or None, user=request.user, initial={"currency": "EUR"})
    if request.method == "POST" and form.is_valid():
        try:
            event = services.event_create(user=request.user, data=form.service_data())
        except ApplicationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Event %s created.") % event.name)
            return redirect("outreach:event_detail", pk=event.pk)
    return render(request, "outreach/event_form.html", {"form": form, "event": None})


def _initial(event: Event) -> dict[str, Any]:
    initial = {name: getattr(event, name) for name in EventForm.base_fields if hasattr(event, name)}
    initial.update(
        owner=event.owner_id,
        staff=list(event.staff.values_list("pk", flat=True)),
        version=event.version,
    )
    return initial


@login_required
def event_edit(request: KamRequest, pk: int) -> HttpResponse:
    event = access_event(user=request.user, event_id=pk, action="change")
    form = EventForm(request.POST or None, user=request.user, initial=_initial(event))
    context: dict[str, Any] = {"form": form, "event": event}
    if request.method == "POST" and form.is_valid():
        try:
            services.event_update(
                user=request.user,
                event=event,
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
            return redirect("outreach:event_detail", pk=event.pk)
    return render(
        request, "outreach/event_form.html", context, status=409 if "conflict" in context else 200
    )


@login_required
@require_POST
def event_delete(request: KamRequest, pk: int) -> HttpResponse:
    event = access_event(user=request.user, event_id=pk, action="delete")
    services.event_delete(user=request.user, event=event)
    messages.success(request, _("Event %s moved to the trash.") % event.name)
    return redirect("outreach:event_list")


# --- Check-in at the door or the stand (phone-first, htmx live search) -----------------------


def _checkin_results(request: KamRequest, event: Event, query: str) -> dict[str, Any]:
    guests = selectors.guest_search(user=request.user, event=event, query=query)
    return {
        "event": event,
        "query": query,
        "guests": selectors.guest_rows(user=request.user, guests=guests),
        "walk_ins": selectors.walk_in_candidates(user=request.user, event=event, query=query)
        if len(query.strip()) >= selectors.CHECKIN_MIN_LENGTH
        else [],
    }


@login_required
def event_checkin(request: KamRequest, pk: int) -> HttpResponse:
    """The check-in page; with htmx, only the results for the typed query."""
    event = access_event(user=request.user, event_id=pk, action="change")
    query = request.GET.get("q", "")[:100]
    context = _checkin_results(request, event, query)
    if request.htmx:
        return render(request, "outreach/partials/_event_checkin_results.html", context)
    context["report"] = selectors.event_report(event=event)
    return render(request, "outreach/event_checkin.html", context)


def _after_checkin(request: KamRequest, event: Event, message: str) -> HttpResponse:
    if request.htmx:
        context = _checkin_results(request, event, request.POST.get("q", "")[:100])
        context["done"] = message
        return render(request, "outreach/partials/_event_checkin_results.html", context)
    messages.success(request, message)
    query = urlencode({"q": request.POST.get("q", "")[:100]})
    return redirect(f"{reverse('outreach:event_checkin', args=[event.pk])}?{query}")


@login_required
@require_POST
def guest_check_in(request: KamRequest, pk: int, guest_pk: int) -> HttpResponse:
    event = access_event(user=request.user, event_id=pk, action="change")
    guest = access_guest(user=request.user, event=event, guest_id=guest_pk)
    guest = services.guest_check_in(user=request.user, guest=guest)
    return _after_checkin(request, event, _("%s checked in.") % guest.contact)


@login_required
@require_POST
def guest_walk_in(request: KamRequest, pk: int) -> HttpResponse:
    event = access_event(user=request.user, event_id=pk, action="change")
    contact = access_contact(user=request.user, contact_id=request.POST.get("contact"))
    guest = services.guest_walk_in(user=request.user, event=event, contact=contact)
    return _after_checkin(request, event, _("%s checked in as a walk-in.") % guest.contact)


# --- Leads at the stand ----------------------------------------------------------------------


@login_required
def lead_capture(request: KamRequest, pk: int) -> HttpResponse:
    event = access_event(user=request.user, event_id=pk, action="change")
    form = LeadForm(request.POST or None, user=request.user)
    context: dict[str, Any] = {"event": event, "form": form}
    if request.method == "POST" and form.is_valid():
        try:
            lead = services.lead_capture(user=request.user, event=event, lead=form.lead_input())
        except services.PossibleDuplicatesError as error:
            context["duplicates"] = error.extra["duplicates"]
            confirmed = request.POST.copy()
            confirmed["ignore_duplicates"] = "on"
            form.data = confirmed
        except ApplicationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Lead %s captured.") % lead.account.name)
            return redirect("outreach:lead_capture", pk=event.pk)
    context["leads"] = list(selectors.leads_of(event=event)[:10])
    return render(request, "outreach/event_lead_form.html", context)


@login_required
def event_report(request: KamRequest, pk: int) -> HttpResponse:
    event = selectors.event_detail(user=request.user, event_id=pk)
    return render(
        request,
        "outreach/event_report.html",
        {"event": event, "report": selectors.event_report(event=event)},
    )


@login_required
def account_panel(request: KamRequest, pk: int) -> HttpResponse:
    account = access_account(user=request.user, account_id=pk)
    return render(
        request,
        "outreach/partials/_event_account_panel.html",
        {"guests": selectors.account_events(user=request.user, account=account)},
    )


# --- Public RSVP ------------------------------------------------------------------------------


@never_cache
def rsvp(request: HttpRequest, token: str) -> HttpResponse:
    """The invitation's answer page: the event and the guest's first name only; yes / no."""
    invitation = services.invitation_for_token(token)
    closed = services.rsvp_refusal(invitation.event)
    guest = invitation.guest
    form = RsvpForm(request.POST or None)
    if request.method == "POST" and not closed and form.is_valid():
        try:
            guest = services.rsvp_answer(
                token=token, is_attending=form.cleaned_data["answer"] == "yes"
            )
        except services.RsvpClosedError as error:
            closed = error.message
    response = render(
        request,
        "outreach/public_rsvp.html",
        {
            "event": invitation.event,
            "first_name": invitation.contact.first_name,
            "guest": guest,
            "closed": closed,
            "answered": request.method == "POST" and not closed and form.is_valid(),
        },
        status=400 if request.method == "POST" and not closed and not form.is_valid() else 200,
    )
    response["X-Robots-Tag"] = "noindex, nofollow"
    # Not "no-referrer": the browser would then send `Origin: null` and fail the CSRF check.
    response["Referrer-Policy"] = "same-origin"
    return response
