from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from rest_framework import serializers

from kam.catalog.choices import Channel, RuleScope
from kam.catalog.models import (
    Agreement,
    AgreementLineDiscount,
    BonusTier,
    BundleComponent,
    PriceList,
    PriceRule,
    Product,
    ProductLine,
    Promotion,
    VolumeTarget,
)
from kam.core import access
from kam.core.api.mixins import ConfidentialFieldsMixin

MAX_QUOTE_LINES = 1000
POSITIVE = Decimal("0")


def _sees_confidential(serializer: serializers.Serializer) -> bool:  # type: ignore[type-arg]
    request = serializer.context.get("request")
    return request is not None and access.can_see_confidential(request.user)


# --- Output -------------------------------------------------------------------------------------


class BundleComponentOutputSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="component.sku", read_only=True)
    name = serializers.CharField(source="component.name", read_only=True)

    class Meta:
        model = BundleComponent
        fields = ["component", "sku", "name", "quantity"]
        read_only_fields = fields


class ProductOutputSerializer(serializers.ModelSerializer):
    line_name = serializers.CharField(source="line.name", read_only=True, default="")
    components = BundleComponentOutputSerializer(many=True, read_only=True)

    class Meta:
        model = Product
        fields = [
            "id",
            "sku",
            "name",
            "description",
            "line",
            "line_name",
            "unit",
            "list_price",
            "currency",
            "vat_rate",
            "is_active",
            "launch_date",
            "discontinued_on",
            "related",
            "complementary",
            "components",
            "version",
        ]
        read_only_fields = fields


class PriceRuleOutputSerializer(ConfidentialFieldsMixin, serializers.ModelSerializer):
    class Meta:
        model = PriceRule
        fields = [
            "id",
            "scope",
            "product",
            "line",
            "min_quantity",
            "fixed_price",
            "discount_percent",
        ]
        read_only_fields = fields


class PriceListOutputSerializer(serializers.ModelSerializer):
    rules = PriceRuleOutputSerializer(many=True, read_only=True)

    class Meta:
        model = PriceList
        fields = [
            "id",
            "name",
            "currency",
            "valid_from",
            "valid_to",
            "is_active",
            "description",
            "rules",
            "version",
        ]
        read_only_fields = fields


class PromotionOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Promotion
        fields = [
            "id",
            "name",
            "description",
            "starts_on",
            "ends_on",
            "discount_percent",
            "products",
            "lines",
            "channels",
            "is_active",
            "version",
        ]
        read_only_fields = fields


class BonusTierOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = BonusTier
        fields = ["threshold_amount", "bonus_percent"]
        read_only_fields = fields


class VolumeTargetOutputSerializer(serializers.ModelSerializer):
    tiers = BonusTierOutputSerializer(many=True, read_only=True)

    class Meta:
        model = VolumeTarget
        fields = ["id", "period_start", "period_end", "target_amount", "tiers"]
        read_only_fields = fields


class LineDiscountOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = AgreementLineDiscount
        fields = ["line", "discount_percent"]
        read_only_fields = fields


class AgreementOutputSerializer(ConfidentialFieldsMixin, serializers.ModelSerializer):
    account_name = serializers.CharField(source="account.name", read_only=True)
    approved_by_name = serializers.CharField(
        source="approved_by.username", read_only=True, default=""
    )
    line_discounts = LineDiscountOutputSerializer(many=True, read_only=True)
    volume_targets = VolumeTargetOutputSerializer(many=True, read_only=True)

    class Meta:
        model = Agreement
        fields = [
            "id",
            "account",
            "account_name",
            "title",
            "status",
            "valid_from",
            "valid_to",
            "price_list",
            "extra_discount_percent",
            "line_discounts",
            "payment_terms_days",
            "credit_limit",
            "currency",
            "volume_targets",
            "notes",
            "submitted_at",
            "approved_at",
            "approved_by_name",
            "version",
        ]
        read_only_fields = fields


# --- Input --------------------------------------------------------------------------------------


class ComponentInputSerializer(serializers.Serializer):
    component = serializers.PrimaryKeyRelatedField(queryset=Product.objects.all())
    quantity = serializers.DecimalField(max_digits=12, decimal_places=3, min_value=Decimal("0.001"))


class ProductInputSerializer(serializers.Serializer):
    sku = serializers.CharField(max_length=64, required=False)
    name = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    line = serializers.PrimaryKeyRelatedField(
        queryset=ProductLine.objects.all(), required=False, allow_null=True
    )
    unit = serializers.CharField(max_length=20, required=False)
    list_price = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=POSITIVE, required=False
    )
    currency = serializers.RegexField(r"^[A-Z]{3}$", required=False)
    vat_rate = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=POSITIVE, max_value=Decimal("100"), required=False
    )
    is_active = serializers.BooleanField(required=False)
    launch_date = serializers.DateField(required=False, allow_null=True)
    discontinued_on = serializers.DateField(required=False, allow_null=True)
    related = serializers.PrimaryKeyRelatedField(
        queryset=Product.objects.all(), many=True, required=False
    )
    complementary = serializers.PrimaryKeyRelatedField(
        queryset=Product.objects.all(), many=True, required=False
    )
    components = ComponentInputSerializer(many=True, required=False)
    version = serializers.IntegerField(required=False, min_value=1)


class PriceRuleInputSerializer(serializers.Serializer):
    scope = serializers.ChoiceField(choices=RuleScope.choices)
    product = serializers.PrimaryKeyRelatedField(
        queryset=Product.objects.all(), required=False, allow_null=True
    )
    line = serializers.PrimaryKeyRelatedField(
        queryset=ProductLine.objects.all(), required=False, allow_null=True
    )
    min_quantity = serializers.DecimalField(
        max_digits=12, decimal_places=3, min_value=POSITIVE, required=False
    )
    fixed_price = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=POSITIVE, required=False, allow_null=True
    )
    discount_percent = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        min_value=POSITIVE,
        max_value=Decimal("100"),
        required=False,
        allow_null=True,
    )


class PriceListInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120, required=False)
    currency = serializers.RegexField(r"^[A-Z]{3}$", required=False)
    valid_from = serializers.DateField(required=False, allow_null=True)
    valid_to = serializers.DateField(required=False, allow_null=True)
    is_active = serializers.BooleanField(required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    rules = PriceRuleInputSerializer(many=True, required=False)
    version = serializers.IntegerField(required=False, min_value=1)


class PromotionInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=160, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    starts_on = serializers.DateField(required=False)
    ends_on = serializers.DateField(required=False)
    discount_percent = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=POSITIVE, max_value=Decimal("100"), required=False
    )
    products = serializers.PrimaryKeyRelatedField(
        queryset=Product.objects.all(), many=True, required=False
    )
    lines = serializers.PrimaryKeyRelatedField(
        queryset=ProductLine.objects.all(), many=True, required=False
    )
    channels = serializers.ListField(
        child=serializers.ChoiceField(choices=Channel.choices), required=False
    )
    is_active = serializers.BooleanField(required=False)
    version = serializers.IntegerField(required=False, min_value=1)


class BonusTierInputSerializer(serializers.Serializer):
    threshold_amount = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=POSITIVE)
    bonus_percent = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=POSITIVE, max_value=Decimal("100")
    )


class VolumeTargetInputSerializer(serializers.Serializer):
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    target_amount = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=POSITIVE)
    tiers = BonusTierInputSerializer(many=True, required=False)


class LineDiscountInputSerializer(serializers.Serializer):
    line = serializers.PrimaryKeyRelatedField(queryset=ProductLine.objects.all())
    discount_percent = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=POSITIVE, max_value=Decimal("100")
    )


class AgreementInputSerializer(serializers.Serializer):
    account = serializers.IntegerField(required=False)
    title = serializers.CharField(max_length=160, required=False)
    valid_from = serializers.DateField(required=False)
    valid_to = serializers.DateField(required=False, allow_null=True)
    price_list = serializers.PrimaryKeyRelatedField(
        queryset=PriceList.objects.all(), required=False, allow_null=True
    )
    extra_discount_percent = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=POSITIVE, max_value=Decimal("100"), required=False
    )
    payment_terms_days = serializers.IntegerField(
        min_value=0, max_value=365, required=False, allow_null=True
    )
    credit_limit = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=POSITIVE, required=False, allow_null=True
    )
    currency = serializers.RegexField(r"^[A-Z]{3}$", required=False)
    notes = serializers.CharField(required=False, allow_blank=True)
    line_discounts = LineDiscountInputSerializer(many=True, required=False)
    volume_targets = VolumeTargetInputSerializer(many=True, required=False)
    version = serializers.IntegerField(required=False, min_value=1)


class TransitionInputSerializer(serializers.Serializer):
    version = serializers.IntegerField(required=False, min_value=1)


# --- The price quote ------------------------------------------------------------------------------


class QuoteLineInputSerializer(serializers.Serializer):
    product = serializers.IntegerField()
    quantity = serializers.DecimalField(max_digits=12, decimal_places=3, min_value=Decimal("0.001"))


class QuoteInputSerializer(serializers.Serializer):
    account = serializers.IntegerField()
    lines = QuoteLineInputSerializer(many=True, allow_empty=False)
    on = serializers.DateField(required=False)
    channel = serializers.ChoiceField(choices=Channel.choices, required=False, allow_blank=True)

    def validate_lines(self, lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if len(lines) > MAX_QUOTE_LINES:
            raise serializers.ValidationError(
                _("At most %(max)d lines per quote, not %(count)d.")
                % {"max": MAX_QUOTE_LINES, "count": len(lines)}
            )
        return lines


def step_amount(value: Decimal) -> str:
    """An intermediate unit price as exact as computed (to 6 places), at least to cents:
    82.935 stays "82.935" before the rounding step makes it "82.94"."""
    text = format(value.quantize(Decimal("0.000001")), "f").rstrip("0")
    whole, _, fraction = text.partition(".")
    return f"{whole}.{fraction.ljust(2, '0')}"


class PriceStepOutputSerializer(serializers.Serializer):
    kind = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    unit_price = serializers.SerializerMethodField()
    source = serializers.CharField()  # type: ignore[assignment]

    def get_unit_price(self, step: Any) -> str:
        return step_amount(step.unit_price)


class QuoteLineOutputSerializer(serializers.Serializer):
    product = serializers.IntegerField(source="product_id")
    quantity = serializers.DecimalField(max_digits=12, decimal_places=3)
    currency = serializers.CharField()
    list_price = serializers.DecimalField(max_digits=14, decimal_places=2)
    unit_price = serializers.DecimalField(max_digits=14, decimal_places=2)
    discount_percent = serializers.DecimalField(max_digits=7, decimal_places=2)
    total = serializers.DecimalField(max_digits=16, decimal_places=2)
    vat_rate = serializers.DecimalField(max_digits=5, decimal_places=2)
    tax = serializers.DecimalField(max_digits=16, decimal_places=2)
    explanation = PriceStepOutputSerializer(source="steps", many=True)


class QuoteOutputSerializer(serializers.Serializer):
    account = serializers.IntegerField(source="account_id")
    on = serializers.DateField()
    currency = serializers.CharField()
    lines = QuoteLineOutputSerializer(many=True)
    total = serializers.DecimalField(max_digits=18, decimal_places=2)
    tax = serializers.DecimalField(max_digits=18, decimal_places=2)
    total_with_tax = serializers.SerializerMethodField()
    notes = serializers.ListField(child=serializers.CharField())

    def get_total_with_tax(self, result: Any) -> str:
        return str(result.total + result.tax)
