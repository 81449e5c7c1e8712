"""Catalog pages: the product list (search, filters, export), a product's page, and the account
page's panel with the key-account agreement in force."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.catalog import exporting, selectors, services
from kam.catalog.filters import ProductFilterSet
from kam.catalog.forms import ProductForm
from kam.catalog.permissions import access_account, access_product
from kam.catalog.services import can_edit_catalog
from kam.core import access, tabular
from kam.core.errors import ApplicationError, ConflictError, NotFoundError, PermissionDeniedError
from kam.core.forms import apply_errors, rearm_after_conflict
from kam.core.http import KamRequest


@login_required
def product_list(request: KamRequest) -> HttpResponse:
    filters = ProductFilterSet(request.GET, queryset=selectors.product_list(user=request.user))
    page = Paginator(filters.qs, 50).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "catalog/product_list.html",
        {
            "filters": filters,
            "page": page,
            "query": params.urlencode(),
            "can_edit": can_edit_catalog(request.user),
        },
    )


@login_required
def product_export(request: KamRequest) -> StreamingHttpResponse:
    fmt = request.GET.get("format", "csv")
    params = request.GET.copy()
    params.pop("format", None)
    params.pop("page", None)
    try:
        stream = exporting.export_products(
            user=request.user,
            queryset=exporting.filtered_products(request.user, params),
            fmt=fmt,
            filters=params.dict(),
        )
    except ApplicationError:
        raise NotFoundError() from None
    response = StreamingHttpResponse(stream, content_type=tabular.CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="kam-products.{fmt}"'
    return response


@login_required
def product_detail(request: KamRequest, pk: int) -> HttpResponse:
    product = access_product(user=request.user, product_id=pk)
    return render(
        request,
        "catalog/product_detail.html",
        {
            "product": product,
            "price_lists": selectors.price_lists_of_product(product=product),
            "in_bundles": product.in_bundles.select_related("bundle").order_by("bundle__sku"),
            "can_edit": can_edit_catalog(request.user),
        },
    )


def _require_editor(request: KamRequest) -> None:
    if not can_edit_catalog(request.user):
        raise PermissionDeniedError(_("Only administrators and heads of sales edit the catalog."))


@login_required
def product_create(request: KamRequest) -> HttpResponse:
    _require_editor(request)
    form = ProductForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            product = services.product_create(user=request.user, data=form.service_data())
        except ApplicationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Product %s created.") % product.sku)
            return redirect("catalog:product_detail", pk=product.pk)
    return render(request, "catalog/product_form.html", {"form": form, "product": None})


@login_required
def product_edit(request: KamRequest, pk: int) -> HttpResponse:
    product = access_product(user=request.user, product_id=pk)
    _require_editor(request)
    initial = {name: getattr(product, name) for name in ProductForm.base_fields}
    initial["line"] = product.line_id
    form = ProductForm(request.POST or None, initial=initial)
    context: dict[str, Any] = {"form": form, "product": product}
    if request.method == "POST" and form.is_valid():
        try:
            services.product_update(
                user=request.user,
                product=product,
                data=form.service_data(),
                expected_version=form.cleaned_data["version"] or 0,
            )
        except ConflictError as error:
            apply_errors(form, error)
            context["conflict"] = rearm_after_conflict(form, request.POST, error)
        except ApplicationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("catalog:product_detail", pk=product.pk)
    return render(request, "catalog/product_form.html", context)


@login_required
def account_agreement_panel(request: KamRequest, pk: int) -> HttpResponse:
    account = access_account(user=request.user, account_id=pk)
    today = timezone.localdate()
    agreement = selectors.agreement_for(account=account, on=today)
    targets = []
    if agreement is not None:
        agreement = selectors.agreement_list(user=request.user).filter(pk=agreement.pk).first()
    if agreement is not None:
        targets = list(agreement.volume_targets.all())
    return render(
        request,
        "catalog/partials/_account_agreement.html",
        {
            "account": account,
            "agreement": agreement,
            "inherited": agreement is not None and agreement.account_id != account.pk,
            "targets": targets,
            "confidential": access.can_see_confidential(request.user),
        },
    )
