"""Catalog pages: the product list (search, filters, export), a product's page, and the account
page's panel with the key-account agreement in force."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone

from kam.catalog import exporting, selectors
from kam.catalog.filters import ProductFilterSet
from kam.catalog.permissions import access_account, access_product
from kam.catalog.services import can_edit_catalog
from kam.core import access, tabular
from kam.core.errors import ApplicationError, NotFoundError
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
        {"filters": filters, "page": page, "query": params.urlencode()},
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
