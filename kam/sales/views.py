from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kam.accounts.models import Account
from kam.accounts.permissions import access_account
from kam.core import access, registry
from kam.core.errors import ApplicationError, ConflictError, NotFoundError
from kam.core.forms import apply_errors, rearm_after_conflict
from kam.core.http import KamRequest
from kam.core.selectors import record_history
from kam.sales import exporting, selectors, services
from kam.sales.filters import DealFilterSet
from kam.sales.forms import DealForm, MoveForm, NeedForm, ObjectionForm
from kam.sales.models import Pipeline, Stage
from kam.sales.permissions import access_deal, access_need, access_objection


def _messages_of(error: ApplicationError) -> str:
    return " ".join(m for ms in error.fields.values() for m in ms) or error.message


# --- Lists, board, forecast ------------------------------------------------------------------


@login_required
def deal_list(request: KamRequest) -> HttpResponse:
    filters = DealFilterSet(request.GET, queryset=selectors.deal_list(user=request.user))
    page = Paginator(filters.qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "sales/deal_list.html",
        {"filters": filters, "page": page, "query": request.GET.urlencode()},
    )


def _pipeline(request: KamRequest) -> Pipeline:
    raw = request.GET.get("pipeline")
    if raw:
        pipeline: Pipeline = access.get_for(request.user, Pipeline.objects.all(), raw)
        return pipeline
    return services.default_pipeline()


def _board_filters(request: KamRequest) -> dict[str, Any]:
    filters: dict[str, Any] = {}
    if request.GET.get("mine"):
        filters["owner"] = request.user
    return filters


@login_required
def board(request: KamRequest) -> HttpResponse:
    pipeline = _pipeline(request)
    stages = list(pipeline.stages.order_by("position", "pk"))
    return render(
        request,
        "sales/board.html",
        {
            "pipeline": pipeline,
            "pipelines": Pipeline.objects.order_by("-is_default", "name"),
            "columns": selectors.board(
                user=request.user, pipeline=pipeline, filters=_board_filters(request)
            ),
            "closing_stages": [stage for stage in stages if not stage.is_open],
            "mine": bool(request.GET.get("mine")),
            # Quick logging from a card: the deal-page panels other apps register for it.
            "deal_panels": registry.panels_for("sales.deal", request.user, quick_log=True),
        },
    )


@login_required
def board_column(request: KamRequest, stage_id: int) -> HttpResponse:
    """The next page of one column's cards (htmx: "show more")."""
    stage = access.get_for(request.user, Stage.objects.all(), stage_id)
    try:
        page = max(int(request.GET.get("page", "1")), 1)
    except ValueError:
        page = 1
    column = selectors.board_column(
        user=request.user, stage=stage, page=page, filters=_board_filters(request)
    )
    return render(
        request,
        "sales/partials/_board_cards.html",
        {
            "column": column,
            "mine": bool(request.GET.get("mine")),
            "deal_panels": registry.panels_for("sales.deal", request.user, quick_log=True),
        },
    )


@login_required
def forecast(request: KamRequest) -> HttpResponse:
    filters = DealFilterSet(request.GET, queryset=selectors.deal_list(user=request.user))
    result = selectors.forecast(user=request.user, deals=filters.qs)
    return render(request, "sales/forecast.html", {"filters": filters, "forecast": result})


@login_required
def deal_export(request: KamRequest) -> StreamingHttpResponse:
    fmt = request.GET.get("format", "csv")
    params = request.GET.copy()
    params.pop("format", None)
    try:
        stream = exporting.export_deals(
            user=request.user,
            queryset=exporting.filtered_deals(request.user, params),
            fmt=fmt,
            filters=params.dict(),
        )
    except ApplicationError:
        raise NotFoundError() from None
    content_types = {
        "csv": "text/csv; charset=utf-8",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    }
    response = StreamingHttpResponse(stream, content_type=content_types[fmt])
    response["Content-Disposition"] = f'attachment; filename="kam-deals.{fmt}"'
    return response


# --- One deal --------------------------------------------------------------------------------


@login_required
def deal_detail(request: KamRequest, pk: int) -> HttpResponse:
    deal = selectors.deal_detail(user=request.user, deal_id=pk)
    stages = list(deal.pipeline.stages.order_by("position", "pk"))
    return render(
        request,
        "sales/deal_detail.html",
        {
            "deal": deal,
            "stages": stages,
            "history": selectors.stage_history(deal=deal),
            "needs": selectors.needs_of(deal=deal),
            "objections": selectors.objections_of(deal=deal),
            "need_form": NeedForm(),
            "objection_form": ObjectionForm(),
            "can_change": access.can(request.user, deal, "change"),
            "panels": registry.panels_for("sales.deal", request.user),
            "audit": record_history(user=request.user, record=deal),
        },
    )


def _form_account(request: KamRequest, fallback: Account | None) -> Account | None:
    raw = request.POST.get("account") or request.GET.get("account")
    if raw:
        try:
            return access_account(user=request.user, account_id=raw, action="change")
        except ApplicationError:
            return None
    return fallback


@login_required
def deal_create(request: KamRequest) -> HttpResponse:
    account = _form_account(request, None)
    form = DealForm(
        request.POST or None,
        user=request.user,
        account=account,
        editing=False,
        initial={"account": account.pk if account else None, "currency": "EUR"},
    )
    if request.method == "POST" and form.is_valid():
        try:
            deal = services.deal_create(user=request.user, data=form.service_data())
        except ApplicationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Deal “%s” created.") % deal.title)
            return redirect("sales:deal_detail", pk=deal.pk)
    return render(request, "sales/deal_form.html", {"form": form, "deal": None, "account": account})


@login_required
def deal_edit(request: KamRequest, pk: int) -> HttpResponse:
    deal = access_deal(user=request.user, deal_id=pk, action="change")
    initial = {name: getattr(deal, name) for name in DealForm.base_fields if hasattr(deal, name)}
    initial.update(
        account=deal.account_id,
        owner=deal.owner_id,
        contacts=list(deal.contacts.values_list("pk", flat=True)),
        probability=deal.probability if deal.probability_overridden else None,
        version=deal.version,
    )
    account = _form_account(request, deal.account)
    form = DealForm(
        request.POST or None, user=request.user, account=account, editing=True, initial=initial
    )
    context: dict[str, Any] = {"form": form, "deal": deal, "account": account}
    if request.method == "POST" and form.is_valid():
        try:
            services.deal_update(
                user=request.user,
                deal=deal,
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
            return redirect("sales:deal_detail", pk=deal.pk)
    return render(request, "sales/deal_form.html", context)


@login_required
@require_POST
def deal_move(request: KamRequest, pk: int) -> HttpResponse:
    """Move a deal (the board's drop, the detail page's stage buttons). The board asks for JSON:
    `{"ok": true, ...}` or `{"ok": false, "reason": ...}` with status 400 and nothing changed."""
    deal = access_deal(user=request.user, deal_id=pk)
    form = MoveForm(request.POST)
    wants_json = "application/json" in request.headers.get("Accept", "")
    if not form.is_valid():
        reason = _("Choose a stage of this deal's pipeline.")
        return _move_answer(request, deal.pk, wants_json, ok=False, reason=reason)
    try:
        moved = services.deal_move(
            user=request.user,
            deal=deal,
            stage=form.cleaned_data["stage"],
            lost_reason=form.cleaned_data["lost_reason"],
            lost_to=form.cleaned_data["lost_to"],
        )
    except ApplicationError as error:
        return _move_answer(request, deal.pk, wants_json, ok=False, reason=error.message)
    return _move_answer(
        request,
        deal.pk,
        wants_json,
        ok=True,
        reason=_("Moved to %s.") % moved.stage.name,
        extra={"stage": moved.stage_id, "status": moved.status, "version": moved.version},
    )


def _move_answer(
    request: KamRequest,
    pk: int,
    wants_json: bool,
    *,
    ok: bool,
    reason: str,
    extra: dict[str, Any] | None = None,
) -> HttpResponse:
    if wants_json:
        return JsonResponse(
            {"ok": ok, "reason": reason, **(extra or {})}, status=200 if ok else 400
        )
    (messages.success if ok else messages.error)(request, reason)
    return redirect("sales:deal_detail", pk=pk)


@login_required
@require_POST
def deal_delete(request: KamRequest, pk: int) -> HttpResponse:
    deal = access_deal(user=request.user, deal_id=pk)
    try:
        services.deal_delete(user=request.user, deal=deal)
    except ApplicationError as error:
        messages.error(request, error.message)
        return redirect("sales:deal_detail", pk=pk)
    messages.success(request, _("Deal “%s” moved to the trash.") % deal.title)
    return redirect("sales:deal_list")


@login_required
def account_options(request: KamRequest) -> HttpResponse:
    """`<option>`s of the accounts the user may change whose name contains `q` (the form's
    account picker)."""
    query = request.GET.get("account_search", "").strip()
    accounts = (
        Account.objects.visible_to(request.user, "change").filter(name__icontains=query)[:20]
        if len(query) >= 2
        else []
    )
    return render(request, "sales/partials/_account_options.html", {"accounts": accounts})


# --- Needs and objections, edited in place (htmx) -------------------------------------------


def _section(
    request: KamRequest, deal: Any, kind: str, *, editing: int | None = None, form: Any = None
) -> HttpResponse:
    items = selectors.needs_of(deal=deal) if kind == "needs" else selectors.objections_of(deal=deal)
    blank = NeedForm() if kind == "needs" else ObjectionForm()
    return render(
        request,
        f"sales/partials/_{kind}.html",
        {
            "deal": deal,
            "needs" if kind == "needs" else "objections": items,
            "editing": editing,
            "edit_form": form if editing else None,
            "need_form" if kind == "needs" else "objection_form": form
            if form is not None and not editing
            else blank,
            "can_change": access.can(request.user, deal, "change"),
        },
    )


@login_required
@require_POST
def need_add(request: KamRequest, pk: int) -> HttpResponse:
    deal = access_deal(user=request.user, deal_id=pk, action="change")
    form = NeedForm(request.POST)
    if form.is_valid():
        try:
            services.need_create(
                user=request.user,
                deal=deal,
                description=form.cleaned_data["description"],
                priority=form.cleaned_data["priority"],
                products=form.cleaned_data["products"],
            )
        except ApplicationError as error:
            apply_errors(form, error)
        else:
            return _section(request, deal, "needs")
    return _section(request, deal, "needs", form=form)


@login_required
def need_edit(request: KamRequest, pk: int) -> HttpResponse:
    need = access_need(user=request.user, need_id=pk, action="change")
    return _edit_item(
        request,
        need,
        "needs",
        NeedForm,
        ("description", "priority", "products"),
        lambda version, data: services.need_update(
            user=request.user, need=need, expected_version=version, data=data
        ),
    )


def _edit_item(
    request: KamRequest,
    item: Any,
    kind: str,
    form_class: Any,
    fields: tuple[str, ...],
    save: Callable[[int, dict[str, Any]], Any],
) -> HttpResponse:
    """A need or an objection edited in place: GET the inline form, POST saves (version checked)
    and answers the section again, with the form and its errors when something was wrong."""
    if request.method != "POST":
        form = form_class(
            initial={**{f: getattr(item, f) for f in fields}, "version": item.version}
        )
        return _section(request, item.deal, kind, editing=item.pk, form=form)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            save(form.cleaned_data["version"] or 0, form.cleaned_data)
        except ApplicationError as error:
            apply_errors(form, error)
        else:
            return _section(request, item.deal, kind)
    return _section(request, item.deal, kind, editing=item.pk, form=form)


@login_required
@require_POST
def need_delete(request: KamRequest, pk: int) -> HttpResponse:
    need = access_need(user=request.user, need_id=pk, action="change")
    deal = need.deal
    services.need_delete(user=request.user, need=need)
    return _section(request, deal, "needs")


@login_required
@require_POST
def objection_add(request: KamRequest, pk: int) -> HttpResponse:
    deal = access_deal(user=request.user, deal_id=pk, action="change")
    form = ObjectionForm(request.POST)
    if form.is_valid():
        try:
            services.objection_create(
                user=request.user,
                deal=deal,
                kind=form.cleaned_data["kind"],
                description=form.cleaned_data["description"],
                answer=form.cleaned_data["answer"],
                is_resolved=form.cleaned_data["is_resolved"],
            )
        except ApplicationError as error:
            apply_errors(form, error)
        else:
            return _section(request, deal, "objections")
    return _section(request, deal, "objections", form=form)


@login_required
def objection_edit(request: KamRequest, pk: int) -> HttpResponse:
    objection = access_objection(user=request.user, objection_id=pk, action="change")
    return _edit_item(
        request,
        objection,
        "objections",
        ObjectionForm,
        ("kind", "description", "answer", "is_resolved"),
        lambda version, data: services.objection_update(
            user=request.user, objection=objection, expected_version=version, data=data
        ),
    )


@login_required
@require_POST
def objection_delete(request: KamRequest, pk: int) -> HttpResponse:
    objection = access_objection(user=request.user, objection_id=pk, action="change")
    deal = objection.deal
    services.objection_delete(user=request.user, objection=objection)
    return _section(request, deal, "objections")


# --- The account page's panel ---------------------------------------------------------------


@login_required
def account_deals_panel(request: KamRequest, pk: int) -> HttpResponse:
    account = access_account(user=request.user, account_id=pk)
    return render(
        request,
        "sales/partials/_account_deals.html",
        {
            "account": account,
            "can_add": access.can(request.user, account, "change"),
            **selectors.account_deals(user=request.user, account=account),
        },
    )
