from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from kam.catalog.models import Product
from kam.core.api.mixins import ConfidentialFieldsMixin
from kam.orders.choices import TASK_DEPARTMENT_KINDS, Decision, OrderStatus
from kam.orders.models import (
    Approval,
    BonusSettlement,
    Delivery,
    DeliveryLine,
    Order,
    OrderLine,
    OrderTask,
    Quote,
    QuoteLine,
)
from kam.users.models import Department


class OrderLineOutputSerializer(ConfidentialFieldsMixin, serializers.ModelSerializer):
    product_sku = serializers.CharField(source="product.sku", read_only=True)
    product_name = serializers.CharField(source="product.name", read_only=True)
    is_on_time = serializers.BooleanField(read_only=True, allow_null=True)

    class Meta:
        model = OrderLine
        fields = [
            "id",
            "position",
            "product",
            "product_sku",
            "product_name",
            "quantity",
            "list_price",
            "priced_unit_price",
            "price_discount_percent",
            "discount_percent",
            "unit_price",
            "vat_rate",
            "total_net",
            "total_tax",
            "price_steps",
            "requested_date",
            "promised_date",
            "delivered_quantity",
            "completed_on",
            "is_on_time",
        ]
        read_only_fields = fields


class OrderListOutputSerializer(ConfidentialFieldsMixin, serializers.ModelSerializer):
    """One row of the order list: the header without the lines (they are in the detail)."""

    account_name = serializers.CharField(source="account.name", read_only=True)
    owner_name = serializers.CharField(source="owner.username", read_only=True)
    total_gross = serializers.DecimalField(max_digits=16, decimal_places=2, read_only=True)
    is_overdue = serializers.BooleanField(read_only=True)

    class Meta:
        model = Order
        fields = [
            "id",
            "number",
            "account",
            "account_name",
            "deal",
            "quote",
            "owner",
            "owner_name",
            "currency",
            "status",
            "requested_date",
            "promised_date",
            "total_net",
            "total_tax",
            "total_gross",
            "notes",
            "cancel_reason",
            "confirmed_at",
            "delivered_at",
            "closed_at",
            "cancelled_at",
            "is_on_time",
            "is_overdue",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class OrderOutputSerializer(OrderListOutputSerializer):
    """One order with its lines (each with `price_steps`: why this price)."""

    lines = OrderLineOutputSerializer(many=True, read_only=True)

    class Meta(OrderListOutputSerializer.Meta):
        fields = [*OrderListOutputSerializer.Meta.fields, "lines"]
        read_only_fields = fields


class LineInputSerializer(serializers.Serializer):  # type: ignore[type-arg]
    product = serializers.PrimaryKeyRelatedField(queryset=Product.objects.all())
    quantity = serializers.DecimalField(max_digits=12, decimal_places=3)
    discount_percent = serializers.DecimalField(
        max_digits=5, decimal_places=2, required=False, default=Decimal("0")
    )
    requested_date = serializers.DateField(required=False, allow_null=True)
    promised_date = serializers.DateField(required=False, allow_null=True)


class OrderInputSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """Shapes and types only; the service checks access, prices and the rules."""

    account = serializers.IntegerField(required=False)
    deal = serializers.IntegerField(required=False, allow_null=True)
    owner = serializers.IntegerField(required=False)
    requested_date = serializers.DateField(required=False, allow_null=True)
    promised_date = serializers.DateField(required=False, allow_null=True)
    notes = serializers.CharField(required=False, allow_blank=True)
    lines = LineInputSerializer(many=True, required=False)
    version = serializers.IntegerField(required=False, min_value=1)


class OrderTransitionInputSerializer(serializers.Serializer):  # type: ignore[type-arg]
    to = serializers.ChoiceField(choices=OrderStatus.choices)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=255)
    request_approval = serializers.BooleanField(required=False, default=False)
    version = serializers.IntegerField(required=False, min_value=1)


class DeliveryLineInputSerializer(serializers.Serializer):  # type: ignore[type-arg]
    line = serializers.IntegerField()
    quantity = serializers.DecimalField(max_digits=12, decimal_places=3)


class DeliveryInputSerializer(serializers.Serializer):  # type: ignore[type-arg]
    delivered_on = serializers.DateField()
    note = serializers.CharField(required=False, allow_blank=True, max_length=255)
    lines = DeliveryLineInputSerializer(many=True)


class DeliveryLineOutputSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = DeliveryLine
        fields = ["id", "line", "quantity"]
        read_only_fields = fields


class DeliveryOutputSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    lines = DeliveryLineOutputSerializer(many=True, read_only=True)

    class Meta:
        model = Delivery
        fields = ["id", "order", "delivered_on", "note", "lines", "created_at"]
        read_only_fields = fields


def _subject(approval: Approval) -> str:
    """The model name of what an approval is about (content types are cached by Django)."""
    return ContentType.objects.get_for_id(approval.content_type_id).model


class ApprovalOutputSerializer(ConfidentialFieldsMixin, serializers.ModelSerializer):
    order = serializers.SerializerMethodField()
    quote = serializers.SerializerMethodField()
    requester_name = serializers.CharField(source="requester.username", read_only=True)
    decider_name = serializers.CharField(
        source="decider.username", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = Approval
        fields = [
            "id",
            "order",
            "quote",
            "reason",
            "detail",
            "amount",
            "currency",
            "status",
            "requester",
            "requester_name",
            "decider",
            "decider_name",
            "comment",
            "created_at",
            "decided_at",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.INT)
    def get_order(self, approval: Approval) -> int | None:
        """The order asked about (null when the approval is about a quote)."""
        return approval.object_id if _subject(approval) == "order" else None

    @extend_schema_field(OpenApiTypes.INT)
    def get_quote(self, approval: Approval) -> int | None:
        """The quote asked about (null when the approval is about an order)."""
        return approval.object_id if _subject(approval) == "quote" else None


class DecisionInputSerializer(serializers.Serializer):  # type: ignore[type-arg]
    decision = serializers.ChoiceField(choices=Decision.choices)
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class TransitionOutputSerializer(serializers.Serializer):  # type: ignore[type-arg]
    order = OrderOutputSerializer()
    approval = ApprovalOutputSerializer(allow_null=True)


class OrderTaskOutputSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    """No amounts: department staff read tasks without the order's money."""

    order_number = serializers.CharField(source="order.number", read_only=True, allow_null=True)
    contract_title = serializers.CharField(source="contract", read_only=True, allow_null=True)
    account_name = serializers.CharField(source="account.name", read_only=True, allow_null=True)
    department_name = serializers.CharField(source="department.name", read_only=True)

    class Meta:
        model = OrderTask
        fields = [
            "id",
            "order",
            "order_number",
            "contract",
            "contract_title",
            "account",
            "account_name",
            "department",
            "department_name",
            "title",
            "description",
            "due_date",
            "status",
            "closed_at",
            "closed_by",
            "escalated_at",
            "version",
            "created_at",
        ]
        read_only_fields = fields


class OrderTaskInputSerializer(serializers.Serializer):  # type: ignore[type-arg]
    order = serializers.IntegerField()
    department = serializers.PrimaryKeyRelatedField(
        queryset=Department.objects.filter(kind__in=TASK_DEPARTMENT_KINDS)
    )
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    due_date = serializers.DateField()


class BonusSettlementOutputSerializer(ConfidentialFieldsMixin, serializers.ModelSerializer):
    account_name = serializers.CharField(source="account.name", read_only=True)
    agreement_title = serializers.CharField(source="agreement.title", read_only=True)
    settled_by_name = serializers.CharField(
        source="settled_by.username", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = BonusSettlement
        fields = [
            "id",
            "target",
            "agreement",
            "agreement_title",
            "account",
            "account_name",
            "period_start",
            "period_end",
            "counted_until",
            "currency",
            "achieved_amount",
            "tier",
            "threshold_amount",
            "bonus_percent",
            "bonus_amount",
            "excluded",
            "settled_by",
            "settled_by_name",
            "created_at",
        ]
        read_only_fields = fields


class BonusSettleInputSerializer(serializers.Serializer):  # type: ignore[type-arg]
    target = serializers.IntegerField(min_value=1)


class ConfirmationInputSerializer(serializers.Serializer):  # type: ignore[type-arg]
    fmt = serializers.ChoiceField(choices=["pdf", "docx"], default="pdf")


class ConfirmationOutputSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """The generated confirmation: the document, its current version and where to fetch it."""

    document = serializers.IntegerField(source="pk")
    title = serializers.CharField()
    version = serializers.IntegerField(source="current_version.number")
    filename = serializers.CharField(source="current_version.filename", default="")
    download_url = serializers.SerializerMethodField()

    def get_download_url(self, document: Any) -> str:
        return reverse("documents:download", args=[document.pk, document.current_version.number])


# --- quotes -----------------------------------------------------------------------------------


class ClientQuoteLineOutputSerializer(ConfidentialFieldsMixin, serializers.ModelSerializer):
    product_sku = serializers.CharField(source="product.sku", read_only=True)
    product_name = serializers.CharField(source="product.name", read_only=True)

    class Meta:
        model = QuoteLine
        fields = [
            "id",
            "position",
            "product",
            "product_sku",
            "product_name",
            "quantity",
            "list_price",
            "priced_unit_price",
            "price_discount_percent",
            "discount_percent",
            "unit_price",
            "vat_rate",
            "total_net",
            "total_tax",
            "price_steps",
        ]
        read_only_fields = fields


class ClientQuoteListOutputSerializer(ConfidentialFieldsMixin, serializers.ModelSerializer):
    """One row of the quote list: the header without the lines (they are in the detail)."""

    account_name = serializers.CharField(source="account.name", read_only=True)
    owner_name = serializers.CharField(source="owner.username", read_only=True)
    total_gross = serializers.DecimalField(max_digits=16, decimal_places=2, read_only=True)
    is_expired = serializers.BooleanField(read_only=True)

    class Meta:
        model = Quote
        fields = [
            "id",
            "number",
            "account",
            "account_name",
            "deal",
            "owner",
            "owner_name",
            "currency",
            "status",
            "valid_until",
            "is_expired",
            "total_net",
            "total_tax",
            "total_gross",
            "notes",
            "reject_reason",
            "sent_at",
            "decided_at",
            "pdf_document",
            "docx_document",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ClientQuoteOutputSerializer(ClientQuoteListOutputSerializer):
    """One quote with its lines (each with `price_steps`: why this price) and its orders."""

    lines = ClientQuoteLineOutputSerializer(many=True, read_only=True)
    orders = serializers.PrimaryKeyRelatedField(many=True, read_only=True)  # type: ignore[var-annotated]

    class Meta(ClientQuoteListOutputSerializer.Meta):
        fields = [*ClientQuoteListOutputSerializer.Meta.fields, "lines", "orders"]
        read_only_fields = fields


class ClientQuoteLineInputSerializer(serializers.Serializer):  # type: ignore[type-arg]
    product = serializers.IntegerField()
    quantity = serializers.DecimalField(max_digits=12, decimal_places=3)
    discount_percent = serializers.DecimalField(
        max_digits=5, decimal_places=2, required=False, default=Decimal("0")
    )


class ClientQuoteInputSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """Shapes and types only; the service checks access, prices and the rules."""

    account = serializers.IntegerField(required=False)
    deal = serializers.IntegerField(required=False, allow_null=True)
    owner = serializers.IntegerField(required=False)
    valid_until = serializers.DateField(required=False, allow_null=True)
    notes = serializers.CharField(required=False, allow_blank=True)
    lines = ClientQuoteLineInputSerializer(many=True, required=False)
    version = serializers.IntegerField(required=False, min_value=1)


class ClientQuoteSendInputSerializer(serializers.Serializer):  # type: ignore[type-arg]
    docx = serializers.BooleanField(required=False, default=False)


class ClientQuoteRejectInputSerializer(serializers.Serializer):  # type: ignore[type-arg]
    reason = serializers.CharField(max_length=255)
