from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import Prefetch, QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from kam.accounts.permissions import access_account
from kam.catalog.models import Product
from kam.core import access
from kam.core.api.mixins import ETagMixin, VersionedUpdateMixin, etag
from kam.core.errors import PermissionDeniedError
from kam.orders import bonus, confirmations, quotes_selectors, quotes_services, selectors, services
from kam.orders.api import serializers as s
from kam.orders.errors import OrderError, QuoteError
from kam.orders.filters import (
    ApprovalFilterSet,
    BonusSettlementFilterSet,
    OrderFilterSet,
    OrderTaskFilterSet,
    QuoteFilterSet,
)
from kam.orders.models import (
    Approval,
    BonusSettlement,
    Order,
    OrderLine,
    OrderTask,
    Quote,
    QuoteLine,
)
from kam.orders.permissions import access_order
from kam.sales.models import Deal


def _refuse_read_only(request: Request) -> None:
    if access.is_read_only(request.user):
        raise PermissionDeniedError()


def _deal(user: Any, deal_id: int | None) -> Deal | None:
    if deal_id is None:
        return None
    deal: Deal | None = Deal.objects.visible_to(user).filter(pk=deal_id).first()
    if deal is None:
        raise OrderError(fields={"deal": ["Choose one of your deals."]})
    return deal


def _owner(owner_id: int | None) -> Any:
    from django.contrib.auth import get_user_model

    if owner_id is None:
        return None
    owner = get_user_model().objects.filter(pk=owner_id, is_active=True).first()
    if owner is None:
        raise OrderError(fields={"owner": ["The owner must be an active user."]})
    return owner


def _lines(rows: list[dict[str, Any]] | None) -> list[services.LineInput] | None:
    if rows is None:
        return None
    return [services.LineInput(**row) for row in rows]


class OrderViewSet(
    ETagMixin,
    VersionedUpdateMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Orders the user may see (through their account, or as their owner). Filters: q, status,
    account, deal, owner, overdue, on_time, created_from/to, promised_from/to; `ordering`.
    Statuses change only through `transition`; goods through `deliveries`."""

    serializer_class = s.OrderOutputSerializer
    update_serializer_class = s.OrderInputSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = OrderFilterSet

    def get_queryset(self) -> QuerySet[Order]:
        orders = selectors.order_list(user=self.request.user)
        if self.action == "list":
            return orders
        return orders.prefetch_related(
            Prefetch("lines", queryset=OrderLine.objects.select_related("product"))
        )

    def get_serializer_class(self) -> Any:
        if self.action == "list":
            return s.OrderListOutputSerializer
        return s.OrderOutputSerializer

    def apply_update(self, instance: Any, expected: int, changes: dict[str, Any]) -> Any:
        if "account" in changes:
            raise OrderError(fields={"account": ["An order stays with its account."]})
        if "deal" in changes:
            changes["deal"] = _deal(self.request.user, changes["deal"])
        if "owner" in changes:
            changes["owner"] = _owner(changes["owner"])
        if "lines" in changes:
            changes["lines"] = _lines(changes["lines"])
        return services.order_update(
            user=self.request.user, order=instance, expected_version=expected, data=changes
        )

    @extend_schema(request=s.OrderInputSerializer, responses={201: s.OrderOutputSerializer})
    def create(self, request: Request) -> Response:
        _refuse_read_only(request)
        data = s.OrderInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        missing = {n: ["This field is required."] for n in ("account", "lines") if n not in values}
        if missing:
            raise OrderError(fields=missing)
        account = access_account(user=request.user, account_id=values["account"])
        order = services.order_create(
            user=request.user,
            account=account,
            lines=_lines(values["lines"]) or [],
            deal=_deal(request.user, values.get("deal")),
            owner=_owner(values.get("owner")),
            requested_date=values.get("requested_date"),
            promised_date=values.get("promised_date"),
            notes=values.get("notes", ""),
        )
        return Response(
            self.get_serializer(self.get_queryset().get(pk=order.pk)).data,
            status=status.HTTP_201_CREATED,
            headers={"ETag": etag(order.version)},
        )

    def perform_destroy(self, instance: Order) -> None:
        services.order_delete(user=self.request.user, order=instance)

    @extend_schema(
        request=s.OrderTransitionInputSerializer,
        responses={200: s.OrderOutputSerializer, 202: s.TransitionOutputSerializer},
    )
    @action(detail=True, methods=["post"])
    def transition(self, request: Request, pk: str | None = None) -> Response:
        """Move the order (`to`: confirmed, in_fulfilment, shipped, closed, cancelled with a
        `reason`). Confirming over the credit limit answers 400 `credit_limit_exceeded`, or with
        `request_approval: true` 202 with the approval request (the order stays received)."""
        order = self.get_object()
        data = s.OrderTransitionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = services.order_transition(
            user=request.user,
            order=order,
            to=data.validated_data["to"],
            reason=data.validated_data.get("reason", ""),
            request_approval=data.validated_data.get("request_approval", False),
            expected_version=data.validated_data.get("version"),
        )
        body = self.get_serializer(self.get_queryset().get(pk=order.pk)).data
        if result.approval is not None:
            approval = s.ApprovalOutputSerializer(
                result.approval, context=self.get_serializer_context()
            ).data
            return Response({"order": body, "approval": approval}, status=status.HTTP_202_ACCEPTED)
        return Response(body, headers={"ETag": etag(result.order.version)})

    @extend_schema(
        request=s.DeliveryInputSerializer,
        responses={200: s.DeliveryOutputSerializer(many=True), 201: s.DeliveryOutputSerializer},
    )
    @action(detail=True, methods=["get", "post"])
    def deliveries(self, request: Request, pk: str | None = None) -> Response:
        """GET: the order's deliveries. POST: record one (`lines`: [{line, quantity}])."""
        order = self.get_object()
        if request.method == "GET":
            rows = order.deliveries.prefetch_related("lines").order_by("delivered_on", "pk")
            return Response(s.DeliveryOutputSerializer(rows, many=True).data)
        data = s.DeliveryInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        delivery = services.delivery_create(
            user=request.user,
            order=order,
            delivered_on=values["delivered_on"],
            note=values.get("note", ""),
            lines=[(row["line"], row["quantity"]) for row in values["lines"]],
        )
        return Response(s.DeliveryOutputSerializer(delivery).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=s.ConfirmationInputSerializer, responses={201: s.ConfirmationOutputSerializer}
    )
    @action(detail=True, methods=["post"])
    def confirmation(self, request: Request, pk: str | None = None) -> Response:
        """Generate the order confirmation (`fmt`: pdf, the default, or docx) and store it on
        the order: the next version of its confirmation document."""
        order = self.get_object()
        data = s.ConfirmationInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        document = confirmations.order_confirmation_generate(
            user=request.user, order=order, fmt=data.validated_data["fmt"]
        )
        return Response(
            s.ConfirmationOutputSerializer(document, context={"request": request}).data,
            status=status.HTTP_201_CREATED,
        )


class ApprovalViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Approval requests: the requester's own (and his team's for a lead), all for heads of
    sales, auditors and admins. Filters: status, reason, order. Heads of sales `decide`."""

    serializer_class = s.ApprovalOutputSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = ApprovalFilterSet

    def get_queryset(self) -> QuerySet[Approval]:
        return selectors.approval_list(user=self.request.user)

    @extend_schema(request=s.DecisionInputSerializer, responses=s.ApprovalOutputSerializer)
    @action(detail=True, methods=["post"])
    def decide(self, request: Request, pk: str | None = None) -> Response:
        """`decision`: approve or reject (a `comment` is required to reject). Only heads of
        sales and admins (403 for others); a decided request answers 400 `approval_invalid`."""
        approval = self.get_object()
        data = s.DecisionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        decided = services.approval_decide(
            user=request.user,
            approval=approval,
            decision=data.validated_data["decision"],
            comment=data.validated_data.get("comment", ""),
        )
        return Response(self.get_serializer(decided).data)


class OrderTaskViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Department tasks of orders: the order's people and the department's staff see them.
    Filters: status, department, order. `close` marks one done."""

    serializer_class = s.OrderTaskOutputSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = OrderTaskFilterSet

    def get_queryset(self) -> QuerySet[OrderTask]:
        return selectors.task_list(user=self.request.user)

    @extend_schema(request=s.OrderTaskInputSerializer, responses={201: s.OrderTaskOutputSerializer})
    def create(self, request: Request) -> Response:
        _refuse_read_only(request)
        data = s.OrderTaskInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        order = access_order(user=request.user, order_id=values.pop("order"))
        task = services.order_task_create(user=request.user, order=order, **values)
        return Response(
            self.get_serializer(self.get_queryset().get(pk=task.pk)).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=None, responses=s.OrderTaskOutputSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: str | None = None) -> Response:
        task = self.get_object()
        closed = services.order_task_close(user=request.user, task=task)
        return Response(self.get_serializer(self.get_queryset().get(pk=closed.pk)).data)


class BonusSettlementViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Settled volume bonuses of the agreements of accounts one may see (figures confidential).
    Filters: account, agreement, target, period_end_from/to. Heads of sales `settle` a target
    now."""

    serializer_class = s.BonusSettlementOutputSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = BonusSettlementFilterSet

    def get_queryset(self) -> QuerySet[BonusSettlement]:
        return bonus.settlement_list(user=self.request.user)

    @extend_schema(
        request=s.BonusSettleInputSerializer, responses={201: s.BonusSettlementOutputSerializer}
    )
    @action(detail=False, methods=["post"])
    def settle(self, request: Request) -> Response:
        """`{"target": <volume target id>}`: settle it now, counting deliveries up to today.
        A target one may not see: 404; not a head of sales or admin: 403; a period not begun
        or already settled: 400 `bonus_invalid`."""
        data = s.BonusSettleInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        settlement = bonus.bonus_settle_now(
            user=request.user, target_id=data.validated_data["target"]
        )
        return Response(
            self.get_serializer(self.get_queryset().get(pk=settlement.pk)).data,
            status=status.HTTP_201_CREATED,
        )


# --- quotes -----------------------------------------------------------------------------------


def _quote_lines(rows: list[dict[str, Any]] | None) -> list[quotes_services.QuoteLineInput] | None:
    """The entered lines with their products; an unknown product is a field error."""
    if rows is None:
        return None
    ids = {row["product"] for row in rows}
    products = Product.objects.in_bulk(ids)
    lines = []
    for index, row in enumerate(rows):
        product = products.get(row["product"])
        if product is None:
            raise QuoteError(fields={f"lines.{index}.product": ["Unknown product."]})
        lines.append(
            quotes_services.QuoteLineInput(
                product=product,
                quantity=row["quantity"],
                discount_percent=row.get("discount_percent", Decimal("0")),
            )
        )
    return lines


class QuoteViewSet(
    ETagMixin,
    VersionedUpdateMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Quotes the user may see (through their account, or as their owner). Filters: q, status,
    account, deal, owner, valid_from/to; `ordering`. A draft is edited and deleted; `send`
    renders the PDF and marks it sent; `accept` makes the order; `reject` records the refusal."""

    serializer_class = s.ClientQuoteOutputSerializer
    update_serializer_class = s.ClientQuoteInputSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = QuoteFilterSet

    def get_queryset(self) -> QuerySet[Quote]:
        quotes = quotes_selectors.quote_list(user=self.request.user)
        if self.action == "list":
            return quotes
        return quotes.prefetch_related(
            Prefetch("lines", queryset=QuoteLine.objects.select_related("product")), "orders"
        )

    def get_serializer_class(self) -> Any:
        if self.action == "list":
            return s.ClientQuoteListOutputSerializer
        return s.ClientQuoteOutputSerializer

    def _answer(self, quote: Quote, code: int = status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=quote.pk)
        return Response(
            self.get_serializer(fresh).data, status=code, headers={"ETag": etag(fresh.version)}
        )

    def apply_update(self, instance: Any, expected: int, changes: dict[str, Any]) -> Any:
        if "account" in changes:
            raise QuoteError(fields={"account": ["A quote stays with its account."]})
        if "deal" in changes:
            changes["deal"] = _deal(self.request.user, changes["deal"])
        if "owner" in changes:
            changes["owner"] = _owner(changes["owner"])
        if "lines" in changes:
            changes["lines"] = _quote_lines(changes["lines"])
        return quotes_services.quote_update(
            user=self.request.user, quote=instance, expected_version=expected, data=changes
        )

    @extend_schema(
        request=s.ClientQuoteInputSerializer, responses={201: s.ClientQuoteOutputSerializer}
    )
    def create(self, request: Request) -> Response:
        _refuse_read_only(request)
        data = s.ClientQuoteInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        missing = {n: ["This field is required."] for n in ("account", "lines") if n not in values}
        if missing:
            raise QuoteError(fields=missing)
        account = access_account(user=request.user, account_id=values["account"])
        quote = quotes_services.quote_create(
            user=request.user,
            account=account,
            lines=_quote_lines(values["lines"]) or [],
            deal=_deal(request.user, values.get("deal")),
            owner=_owner(values.get("owner")),
            valid_until=values.get("valid_until"),
            notes=values.get("notes", ""),
        )
        return self._answer(quote, status.HTTP_201_CREATED)

    def perform_destroy(self, instance: Quote) -> None:
        quotes_services.quote_delete(user=self.request.user, quote=instance)

    @extend_schema(
        request=s.ClientQuoteSendInputSerializer, responses=s.ClientQuoteOutputSerializer
    )
    @action(detail=True, methods=["post"])
    def send(self, request: Request, pk: str | None = None) -> Response:
        """Render the PDF (and the DOCX with `docx: true`), store them on the quote, mark it
        sent. Without the discount's approval: 400 `approval_required`."""
        quote = self.get_object()
        data = s.ClientQuoteSendInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        sent = quotes_services.quote_send(
            user=request.user, quote=quote, with_docx=data.validated_data["docx"]
        )
        return self._answer(sent)

    @extend_schema(request=None, responses={201: s.OrderOutputSerializer})
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk: str | None = None) -> Response:
        """The client accepted: 201 with the new order. Expired: 400 `quote_expired`."""
        quote = self.get_object()
        order = quotes_services.quote_accept(user=request.user, quote=quote)
        fresh = selectors.order_list(user=request.user).prefetch_related("lines__product")
        body = s.OrderOutputSerializer(
            fresh.get(pk=order.pk), context=self.get_serializer_context()
        ).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=s.ClientQuoteRejectInputSerializer, responses=s.ClientQuoteOutputSerializer
    )
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str | None = None) -> Response:
        """The client declined (`reason` required)."""
        quote = self.get_object()
        data = s.ClientQuoteRejectInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        rejected = quotes_services.quote_reject(
            user=request.user, quote=quote, reason=data.validated_data["reason"]
        )
        return self._answer(rejected)
