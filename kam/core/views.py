from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST, require_safe

from kam.core import access, registry, selectors, services
from kam.core.errors import ApplicationError
from kam.core.filters import AuditEntryFilterSet
from kam.core.health import health
from kam.core.http import KamRequest


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    healthy, report = health()
    return JsonResponse(report, status=200 if healthy else 503)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    recent = selectors.audit_list(user=request.user).filter(actor=request.user)[:10]
    return render(request, "core/home.html", {"recent_changes": recent})


@login_required
@require_GET
def search_palette(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")[:200]
    hits = registry.search(request.user, query)
    nav = [
        item
        for item in registry.nav_items(request.user)
        if query.strip() and query.strip().lower() in str(item.label).lower()
    ]
    return render(
        request, "core/partials/_search_results.html", {"hits": hits, "nav": nav, "query": query}
    )


@login_required
def audit_list(request: KamRequest) -> HttpResponse:
    entries = AuditEntryFilterSet(request.GET, queryset=selectors.audit_list(user=request.user)).qs
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    template = "core/partials/_audit_rows.html" if request.htmx else "core/audit_list.html"
    return render(request, template, {"page": page, "sees_all": access.sees_all(request.user)})


@login_required
def trash(request: HttpRequest) -> HttpResponse:
    items = selectors.trash_list(user=request.user)
    return render(
        request,
        "core/trash.html",
        {
            "items": items,
            "can_purge": access.can_administer(request.user),
            "retention_days": settings.KAM_TRASH_RETENTION_DAYS,
        },
    )


def _trash_action(request: HttpRequest, model_label: str, pk: str, verb: str) -> HttpResponse:
    record = selectors.trash_get(user=request.user, model_label=model_label, pk=pk)
    label = str(record)
    try:
        if verb == "restore":
            services.restore(instance=record, user=request.user)
            messages.success(request, _("Restored “%(record)s”.") % {"record": label})
        else:
            services.purge(instance=record, user=request.user)
            messages.success(request, _("Deleted “%(record)s” for good.") % {"record": label})
    except ApplicationError as error:
        messages.error(request, error.message)
    return redirect("core:trash")


@login_required
@require_POST
def trash_restore(request: HttpRequest, model_label: str, pk: str) -> HttpResponse:
    return _trash_action(request, model_label, pk, "restore")


@login_required
@require_POST
def trash_purge(request: HttpRequest, model_label: str, pk: str) -> HttpResponse:
    return _trash_action(request, model_label, pk, "purge")
