from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from kam.catalog import permissions, selectors, services
from kam.catalog.api import serializers as s
from kam.catalog.filters import AgreementFilterSet, ProductFilterSet, PromotionFilterSet
from kam.catalog.models import Agreement, PriceList, Product, Promotion
from kam.catalog.pricing import PriceRequest, price_lines
from kam.core import access
from kam.core.api.mixins import ETagMixin, etag, expected_version
from kam.core.errors import PermissionDeniedError


def _version(request: Request) -> int | None:
    """The version read, when the client sends one (optional for catalog writes)."""
    body = request.data if isinstance(request.data, dict) else {}
    if body.get("version") is None and not request.headers.get("If-Match"):
        return None
    return expected_version(request)


def _split(data: dict[str, Any], *names: str) -> tuple[dict[str, Any], dict[str, Any]]:
    data = dict(data)
    data.pop("version", None)
    parts = {name: data.pop(name) for name in names if name in data}
    return data, parts


class _CatalogViewSet(
    ETagMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    input_serializer_class: type[Any]

    def _input(self, request: Request, *, partial: bool) -> dict[str, Any]:
        serializer = self.input_serializer_class(
            data=request.data, partial=partial, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)

    def _answer(self, instance: Any, code: int = status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=instance.pk)
        return Response(
            self.get_serializer(fresh).data, status=code, headers={"ETag": etag(fresh.version)}
        )


class ProductViewSet(_CatalogViewSet):
    """The assortment. Everyone reads; admins and heads of sales create and change (`related`,
    `complementary` and bundle `components` given replace the current ones)."""

    serializer_class = s.ProductOutputSerializer
    input_serializer_class = s.ProductInputSerializer
    filterset_class = ProductFilterSet

    def get_queryset(self) -> QuerySet[Product]:
        return selectors.product_detail_queryset(user=self.request.user)

    @extend_schema(request=s.ProductInputSerializer, responses={201: s.ProductOutputSerializer})
    def create(self, request: Request) -> Response:
        services._require_editor(request.user)
        data, parts = _split(
            self._input(request, partial=False), "related", "complementary", "components"
        )
        product = services.product_create(user=request.user, data=data, **parts)
        return self._answer(product, status.HTTP_201_CREATED)

    @extend_schema(request=s.ProductInputSerializer, responses={200: s.ProductOutputSerializer})
    def partial_update(self, request: Request, pk: Any = None) -> Response:
        product = permissions.access_product(user=request.user, product_id=pk)
        services._require_editor(request.user)
        data, parts = _split(
            self._input(request, partial=True), "related", "complementary", "components"
        )
        updated = services.product_update(
            user=request.user,
            product=product,
            data=data,
            expected_version=_version(request),
            **parts,
        )
        return self._answer(updated)

    def destroy(self, request: Request, pk: Any = None) -> Response:
        product = permissions.access_product(user=request.user, product_id=pk)
        services.product_delete(user=request.user, product=product)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PriceListViewSet(_CatalogViewSet):
    """Price lists with their rules (rule values are confidential). Everyone reads; admins and
    heads of sales write (`rules` given replace all the list's rules)."""

    serializer_class = s.PriceListOutputSerializer
    input_serializer_class = s.PriceListInputSerializer
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[PriceList]:
        return selectors.price_list_list(user=self.request.user)

    @extend_schema(request=s.PriceListInputSerializer, responses={201: s.PriceListOutputSerializer})
    def create(self, request: Request) -> Response:
        services._require_editor(request.user)
        data, parts = _split(self._input(request, partial=False), "rules")
        price_list = services.price_list_create(user=request.user, data=data, **parts)
        return self._answer(price_list, status.HTTP_201_CREATED)

    @extend_schema(request=s.PriceListInputSerializer, responses={200: s.PriceListOutputSerializer})
    def partial_update(self, request: Request, pk: Any = None) -> Response:
        price_list = permissions.access_price_list(user=request.user, price_list_id=pk)
        services._require_editor(request.user)
        data, parts = _split(self._input(request, partial=True), "rules")
        updated = services.price_list_update(
            user=request.user,
            price_list=price_list,
            data=data,
            expected_version=_version(request),
            **parts,
        )
        return self._answer(updated)


class PromotionViewSet(_CatalogViewSet):
    """Promotions: a percent off in a period for products and/or lines (none named: all), in
    some channels (none named: all). Everyone reads; admins and heads of sales write."""

    serializer_class = s.PromotionOutputSerializer
    input_serializer_class = s.PromotionInputSerializer
    filterset_class = PromotionFilterSet

    def get_queryset(self) -> QuerySet[Promotion]:
        return selectors.promotion_list(user=self.request.user)

    @extend_schema(request=s.PromotionInputSerializer, responses={201: s.PromotionOutputSerializer})
    def create(self, request: Request) -> Response:
        services._require_editor(request.user)
        data, parts = _split(self._input(request, partial=False), "products", "lines")
        promotion = services.promotion_create(user=request.user, data=data, **parts)
        return self._answer(promotion, status.HTTP_201_CREATED)

    @extend_schema(request=s.PromotionInputSerializer, responses={200: s.PromotionOutputSerializer})
    def partial_update(self, request: Request, pk: Any = None) -> Response:
        promotion = permissions.access_promotion(user=request.user, promotion_id=pk)
        services._require_editor(request.user)
        data, parts = _split(self._input(request, partial=True), "products", "lines")
        updated = services.promotion_update(
            user=request.user,
            promotion=promotion,
            data=data,
            expected_version=_version(request),
            **parts,
        )
        return self._answer(updated)


class AgreementViewSet(_CatalogViewSet):
    """Key-account agreements of the accounts the user may see (confidential terms hidden from
    roles without the permission). Written while draft by who may change the account; `submit`
    asks for approval, `approve` / `reject` are for heads of sales."""

    serializer_class = s.AgreementOutputSerializer
    input_serializer_class = s.AgreementInputSerializer
    filterset_class = AgreementFilterSet

    def get_queryset(self) -> QuerySet[Agreement]:
        return selectors.agreement_list(user=self.request.user)

    @extend_schema(request=s.AgreementInputSerializer, responses={201: s.AgreementOutputSerializer})
    def create(self, request: Request) -> Response:
        data, parts = _split(
            self._input(request, partial=False), "line_discounts", "volume_targets"
        )
        if "account" not in data:
            raise ValidationError({"account": [_("This field is required.")]})
        account = permissions.access_account(user=request.user, account_id=data.pop("account"))
        agreement = services.agreement_create(
            user=request.user, account=account, data=data, **parts
        )
        return self._answer(agreement, status.HTTP_201_CREATED)

    @extend_schema(request=s.AgreementInputSerializer, responses={200: s.AgreementOutputSerializer})
    def partial_update(self, request: Request, pk: Any = None) -> Response:
        agreement = permissions.access_agreement(user=request.user, agreement_id=pk)
        data, parts = _split(self._input(request, partial=True), "line_discounts", "volume_targets")
        if "account" in data:
            raise ValidationError({"account": [_("An agreement cannot move to another account.")]})
        updated = services.agreement_update(
            user=request.user,
            agreement=agreement,
            data=data,
            expected_version=_version(request),
            **parts,
        )
        return self._answer(updated)

    def _transition(self, request: Request, pk: Any, service: Any) -> Response:
        agreement = permissions.access_agreement(user=request.user, agreement_id=pk)
        updated = service(
            user=request.user, agreement=agreement, expected_version=_version(request)
        )
        return self._answer(updated)

    @extend_schema(
        request=s.TransitionInputSerializer, responses={200: s.AgreementOutputSerializer}
    )
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: Any = None) -> Response:
        return self._transition(request, pk, services.agreement_submit)

    @extend_schema(
        request=s.TransitionInputSerializer, responses={200: s.AgreementOutputSerializer}
    )
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: Any = None) -> Response:
        return self._transition(request, pk, services.agreement_approve)

    @extend_schema(
        request=s.TransitionInputSerializer, responses={200: s.AgreementOutputSerializer}
    )
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: Any = None) -> Response:
        return self._transition(request, pk, services.agreement_reject)


class PriceQuoteView(APIView):
    """Price lines for an account as `price_lines` does for orders: each line's unit price,
    total and `explanation` (the ordered steps), plus totals. Only for users who may see the
    account and its confidential conditions."""

    @extend_schema(request=s.QuoteInputSerializer, responses={200: s.QuoteOutputSerializer})
    def post(self, request: Request) -> Response:
        data = s.QuoteInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        account = permissions.access_account(
            user=request.user, account_id=data.validated_data["account"]
        )
        if not access.can_see_confidential(request.user):
            raise PermissionDeniedError(_("You may not see this account's special prices."))
        lines = data.validated_data["lines"]
        products = selectors.products_for_pricing(ids=[line["product"] for line in lines])
        unknown = [
            {"product": [_("Unknown product %s.") % line["product"]]}
            if line["product"] not in products
            else {}
            for line in lines
        ]
        if any(unknown):
            raise ValidationError({"lines": unknown})
        result = price_lines(
            account=account,
            lines=[PriceRequest(products[line["product"]], line["quantity"]) for line in lines],
            on=data.validated_data.get("on"),
            channel=data.validated_data.get("channel", ""),
        )
        return Response(s.QuoteOutputSerializer(result).data)
