"""The campaign pages: list, create and edit (optimistic locking), the page with its audience,
preview and actions (launch, cancel, delete, letters), the report and responses into deals."""

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
from kam.core.errors import ApplicationError, ConflictError, PermissionDeniedError
from kam.core.forms import apply_errors, rearm_after_conflict
from kam.core.http import KamRequest
from kam.core.selectors import record_history
from kam.outreach import choices, letters
from kam.outreach.forms_campaigns import (
    CampaignFilterSet,
    CampaignForm,
    PreviewForm,
    delivery_ids,
)
from kam.outreach.models import Campaign
from kam.outreach.permissions_campaigns import access_campaign
from kam.outreach.selectors import campaigns as selectors
from kam.outreach.services import campaigns as services

RECIPIENTS_PAGE = 50


@login_required
def campaign_list(request: KamRequest) -> HttpResponse:
    filters = CampaignFilterSet(request.GET, queryset=selectors.campaign_list(user=request.user))
    page = Paginator(filters.qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "outreach/campaign_list.html",
        {
            "filters": filters,
            "page": page,
            "query": request.GET.urlencode(),
            "can_add": services.can_create(request.user),
        },
    )


def _prefill(request: KamRequest) -> dict[str, Any]:
    """`?kind=invitation&event=<id>` (the event page's "Send invitations")."""
    initial: dict[str, Any] = {"channels": ["email"], "kind": choices.CampaignKind.NEWSLETTER}
    kind = request.GET.get("kind", "")
    if kind in choices.CampaignKind.values:
        initial["kind"] = kind
    event = selectors.visible_event(user=request.user, event_id=request.GET.get("event"))
    if event is not None:
        initial.update(
            event=event.pk,
            name=_("Invitation: %(event)s") % {"event": event.name},
            subject=_("You are invited: %(event)s") % {"event": event.name},
            body=_(
                "Dear {{ contact.first_name }},\n\nwe would be glad to welcome you at "
                "{{ event.name }} ({{ event.place }}, {{ event.starts_at|date }}).\n"
                "Please let us know whether you come: {{ rsvp_url }}\n"
            ),
        )
    if request.GET.get("audience"):
        initial["audience_query"] = request.GET["audience"]
    return initial


@login_required
def campaign_create(request: KamRequest) -> HttpResponse:
    if not services.can_create(request.user):
        raise PermissionDeniedError()
    form = CampaignForm(request.POST or None, user=request.user, initial=_prefill(request))
    if request.method == "POST" and form.is_valid():
        try:
            campaign = services.campaign_create(user=request.user, data=form.service_data())
        except ApplicationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Campaign “%s” created.") % campaign.name)
            return redirect("outreach:campaign_detail", pk=campaign.pk)
    return render(request, "outreach/campaign_form.html", {"form": form, "campaign": None})


def _initial(campaign: Campaign) -> dict[str, Any]:
    names = [n for n in CampaignForm.base_fields if n != "version"]
    initial = {name: getattr(campaign, name) for name in names}
    initial["version"] = campaign.version
    return initial


@login_required
def campaign_edit(request: KamRequest, pk: int) -> HttpResponse:
    campaign = access_campaign(user=request.user, campaign_id=pk, action="change")
    form = CampaignForm(request.POST or None, user=request.user, initial=_initial(campaign))
    context: dict[str, Any] = {"form": form, "campaign": campaign}
    if request.method == "POST" and form.is_valid():
        try:
            services.campaign_update(
                user=request.user,
                campaign=campaign,
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
            return redirect("outreach:campaign_detail", pk=campaign.pk)
    return render(request, "outreach/campaign_form.html", context)


@login_required
def campaign_detail(request: KamRequest, pk: int) -> HttpResponse:
    campaign = selectors.campaign_detail(user=request.user, campaign_id=pk)
    is_open = campaign.status in choices.CAMPAIGN_OPEN
    return render(
        request,
        "outreach/campaign_detail.html",
        {
            "campaign": campaign,
            "can_change": access.can(request.user, campaign, "change"),
            "is_open": is_open,
            **_report_context(None if is_open else selectors.campaign_report(campaign=campaign)),
            "has_letters": bool({"post", "fax"} & set(campaign.channels)),
            "audit": record_history(user=request.user, record=campaign, limit=20),
        },
    )


@login_required
def campaign_audience(request: KamRequest, pk: int) -> HttpResponse:
    """The audience preview (an htmx fragment of the campaign page): who it would reach now."""
    campaign = access_campaign(user=request.user, campaign_id=pk)
    preview = selectors.audience_preview(campaign=campaign).as_dict()
    return render(
        request,
        "outreach/partials/_campaign_audience.html",
        {"campaign": campaign, "preview": preview},
    )


@login_required
@require_POST
def audience_save(request: KamRequest, pk: int) -> HttpResponse:
    """ "Save as audience": the campaign's filters under a name, to pick for later campaigns."""
    campaign = access_campaign(user=request.user, campaign_id=pk)
    try:
        saved = services.saved_audience_create(
            user=request.user, name=request.POST.get("name", ""), query=campaign.audience_query
        )
    except ApplicationError as error:
        messages.error(
            request, " ".join(m for ms in error.fields.values() for m in ms) or error.message
        )
    else:
        messages.success(request, _("Audience “%s” saved.") % saved.name)
    return redirect("outreach:campaign_detail", pk=pk)


@login_required
def campaign_preview(request: KamRequest, pk: int) -> HttpResponse:
    """The message as one contact would get it (an htmx fragment)."""
    campaign = access_campaign(user=request.user, campaign_id=pk)
    form = PreviewForm(request.GET)
    context: dict[str, Any] = {"campaign": campaign, "preview": None, "error": ""}
    if form.is_valid():
        try:
            context["preview"] = services.campaign_preview(
                user=request.user, campaign=campaign, contact_id=form.cleaned_data["contact"]
            )
        except ApplicationError as error:
            context["error"] = " ".join(m for ms in error.fields.values() for m in ms)
    else:
        context["error"] = _("Give the number of a contact.")
    return render(request, "outreach/partials/_campaign_preview.html", context)


def _act(request: KamRequest, pk: int, act: Any, done: str) -> HttpResponse:
    campaign = access_campaign(user=request.user, campaign_id=pk)
    try:
        act(user=request.user, campaign=campaign)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, done)
    return redirect("outreach:campaign_detail", pk=pk)


@login_required
@require_POST
def campaign_launch(request: KamRequest, pk: int) -> HttpResponse:
    return _act(request, pk, services.campaign_launch, _("The campaign is being sent."))


@login_required
@require_POST
def campaign_cancel(request: KamRequest, pk: int) -> HttpResponse:
    return _act(request, pk, services.campaign_cancel, _("The campaign was cancelled."))


@login_required
@require_POST
def campaign_delete(request: KamRequest, pk: int) -> HttpResponse:
    campaign = access_campaign(user=request.user, campaign_id=pk)
    try:
        services.campaign_delete(user=request.user, campaign=campaign)
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("outreach:campaign_detail", pk=pk)
    messages.success(request, _("Campaign “%s” moved to the trash.") % campaign.name)
    return redirect("outreach:campaign_list")


@login_required
@require_POST
def campaign_letters(request: KamRequest, pk: int) -> HttpResponse:
    """The post and fax letters as one PDF (a POST: the first download marks them sent)."""
    campaign = access_campaign(user=request.user, campaign_id=pk, action="change")
    data, _marked = letters.campaign_letters(user=request.user, campaign=campaign)
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="campaign-{campaign.pk}-letters.pdf"'
    return response


def _report_context(report: dict[str, Any] | None) -> dict[str, Any]:
    if report is None:
        return {"report": None}
    return {
        "report": report,
        "count_rows": selectors.labelled(report["counts"], selectors.STATUS_LABELS),
        "rate_rows": selectors.labelled(report["rates"], selectors.RATE_LABELS),
    }


@login_required
def campaign_report(request: KamRequest, pk: int) -> HttpResponse:
    campaign = access_campaign(user=request.user, campaign_id=pk)
    status = request.GET.get("status", "")
    rows = selectors.campaign_recipients(user=request.user, campaign=campaign, status=status)
    page = Paginator(rows, RECIPIENTS_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "outreach/campaign_report.html",
        {
            "campaign": campaign,
            **_report_context(selectors.campaign_report(campaign=campaign)),
            "failures": selectors.reason_counts(
                campaign=campaign, status=choices.DeliveryStatus.FAILED
            ),
            "suppressions": selectors.reason_counts(
                campaign=campaign, status=choices.DeliveryStatus.SUPPRESSED
            ),
            "page": page,
            "status": status,
            "query": f"status={status}" if status else "",
            "can_open_deals": not access.is_read_only(request.user),
        },
    )


@login_required
@require_POST
def campaign_deals(request: KamRequest, pk: int) -> HttpResponse:
    """ "Turn into a deal" for the ticked responders, or (`all`) for every responder."""
    campaign = access_campaign(user=request.user, campaign_id=pk)
    ids = None if request.POST.get("all") else delivery_ids(request.POST.getlist("delivery"))
    try:
        opened = services.responses_to_deals(user=request.user, campaign=campaign, delivery_ids=ids)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("%d deals opened.") % opened)
    return redirect("outreach:campaign_report", pk=pk)
