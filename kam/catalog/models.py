"""The assortment (lines, products, bundles), prices on special conditions (price lists, rules,
promotions) and the key-account agreement. Pricing itself lives in `pricing.py`."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from kam.catalog.choices import AgreementStatus, RuleScope
from kam.core.access import AccessSpec
from kam.core.models import SoftDeleteModel, TimeStampedModel, live_unique

PERCENT = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))]
POSITIVE = [MinValueValidator(Decimal("0"))]


def _amount(label: StrOrPromise, **extra: Any) -> Any:
    return models.DecimalField(
        label,
        max_digits=14,
        decimal_places=2,
        validators=POSITIVE,
        **extra,
    )


def _percent(label: StrOrPromise, **extra: Any) -> Any:
    return models.DecimalField(
        label,
        max_digits=5,
        decimal_places=2,
        validators=PERCENT,
        **extra,
    )


class ProductLine(SoftDeleteModel):
    """A family of products the account manager presents together (the whole range, by line)."""

    name = models.CharField(_("name"), max_length=120)
    code = models.CharField(_("code"), max_length=40, blank=True)
    description = models.TextField(_("description"), blank=True)

    # Everyone reads the assortment; only admins and heads of sales change it (services).
    access: ClassVar[AccessSpec] = AccessSpec(public=True)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("product line")
        constraints = [live_unique("name", name="product_line_name_unique_live")]

    def __str__(self) -> str:
        return self.name


class Product(SoftDeleteModel):
    """One sellable item: list price in its currency, VAT rate, launch and discontinuation dates."""

    sku = models.CharField(_("SKU"), max_length=64)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    line = models.ForeignKey(
        ProductLine,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="products",
        verbose_name=_("product line"),
    )
    unit = models.CharField(_("unit"), max_length=20, default="pcs")
    list_price = models.DecimalField(
        _("list price"),
        max_digits=14,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
    )
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    vat_rate = models.DecimalField(
        _("VAT rate (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("20.00"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    is_active = models.BooleanField(_("active"), default=True)
    launch_date = models.DateField(_("launch date"), null=True, blank=True)
    discontinued_on = models.DateField(_("discontinued on"), null=True, blank=True)
    # Offered together (alternatives, the same item in another size): both ways.
    related = models.ManyToManyField(
        "self", blank=True, symmetrical=True, verbose_name=_("related products")
    )
    # Sold alongside (the cartridge for the printer): one way, from the main product.
    complementary = models.ManyToManyField(
        "self",
        blank=True,
        symmetrical=False,
        related_name="complements_of",
        verbose_name=_("complementary products"),
    )

    access: ClassVar[AccessSpec] = AccessSpec(public=True)

    class Meta:
        ordering = ["sku", "pk"]
        verbose_name = _("product")
        constraints = [live_unique("sku", name="product_sku_unique_live")]
        indexes = [models.Index(fields=["line", "is_active"], name="product_line_active")]

    def __str__(self) -> str:
        return f"{self.sku} {self.name}"


class BundleComponent(TimeStampedModel):
    """One part of a bundle: a bundle is a product made of `quantity` of each component."""

    bundle = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="components", verbose_name=_("bundle")
    )
    component = models.ForeignKey(
        Product, on_delete=models.PROTECT, related_name="in_bundles", verbose_name=_("component")
    )
    quantity = models.DecimalField(
        _("quantity"),
        max_digits=12,
        decimal_places=3,
        default=Decimal("1"),
        validators=[MinValueValidator(Decimal("0.001"))],
    )

    access: ClassVar[AccessSpec] = AccessSpec(public=True)

    class Meta:
        ordering = ["bundle", "component__sku", "pk"]
        verbose_name = _("bundle component")
        constraints = [
            models.UniqueConstraint(fields=["bundle", "component"], name="bundle_component_unique")
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.component_id} in {self.bundle_id}"

    def clean(self) -> None:
        if self.bundle_id is not None and self.bundle_id == self.component_id:
            raise ValidationError({"component": _("A bundle cannot contain itself.")})


# --- Prices on special conditions -------------------------------------------------------------


class PriceList(SoftDeleteModel):
    """Special prices in one currency, valid for a period; assigned to clients by agreements."""

    name = models.CharField(_("name"), max_length=120)
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    description = models.TextField(_("description"), blank=True)

    access: ClassVar[AccessSpec] = AccessSpec(public=True)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("price list")
        constraints = [live_unique("name", name="price_list_name_unique_live")]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            raise ValidationError({"valid_to": _("The end comes before the start.")})

    def is_valid_on(self, day: date) -> bool:
        return (
            self.is_active
            and self.deleted_at is None
            and (self.valid_from is None or self.valid_from <= day)
            and (self.valid_to is None or day <= self.valid_to)
        )


class PriceRule(TimeStampedModel):
    """From `min_quantity` units on, a fixed unit price or a percent off, for one product, one
    line or all products of the price list. Values are special conditions (confidential)."""

    price_list = models.ForeignKey(
        PriceList, on_delete=models.CASCADE, related_name="rules", verbose_name=_("price list")
    )
    scope = models.CharField(_("applies to"), max_length=8, choices=RuleScope.choices)
    product = models.ForeignKey(
        Product,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="price_rules",
        verbose_name=_("product"),
    )
    line = models.ForeignKey(
        ProductLine,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="price_rules",
        verbose_name=_("product line"),
    )
    min_quantity = models.DecimalField(
        _("from quantity"),
        max_digits=12,
        decimal_places=3,
        default=Decimal("1"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    fixed_price = _amount(_("fixed unit price"), null=True, blank=True)
    discount_percent = _percent(_("discount (%)"), null=True, blank=True)

    access: ClassVar[AccessSpec] = AccessSpec(
        via="price_list", confidential=("fixed_price", "discount_percent")
    )

    class Meta:
        ordering = ["price_list", "scope", "min_quantity", "pk"]
        verbose_name = _("price rule")
        indexes = [models.Index(fields=["price_list", "scope"], name="price_rule_list_scope")]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(fixed_price__isnull=False, discount_percent__isnull=True)
                    | models.Q(fixed_price__isnull=True, discount_percent__isnull=False)
                ),
                name="price_rule_one_kind_of_price",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.price_list_id}: {self.scope} from {self.min_quantity}"

    def clean(self) -> None:
        errors: dict[str, StrOrPromise] = {}
        if (self.fixed_price is None) == (self.discount_percent is None):
            errors["fixed_price"] = _("Give either a fixed price or a discount percent.")
        if self.scope == RuleScope.PRODUCT and self.product_id is None:
            errors["product"] = _("Choose the product this rule prices.")
        if self.scope == RuleScope.LINE and self.line_id is None:
            errors["line"] = _("Choose the product line this rule prices.")
        if self.scope != RuleScope.PRODUCT and self.product_id is not None:
            errors["product"] = _("Only a product rule names a product.")
        if self.scope != RuleScope.LINE and self.line_id is not None:
            errors["line"] = _("Only a line rule names a product line.")
        if errors:
            raise ValidationError(errors)


class Promotion(SoftDeleteModel):
    """A discount for a period on some products and/or lines (all products when it names none),
    in some channels (all when it names none); campaigns announce it."""

    name = models.CharField(_("name"), max_length=160)
    description = models.TextField(_("description"), blank=True)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    discount_percent = _percent(_("discount (%)"))
    products = models.ManyToManyField(
        Product, blank=True, related_name="promotions", verbose_name=_("products")
    )
    lines = models.ManyToManyField(
        ProductLine, blank=True, related_name="promotions", verbose_name=_("product lines")
    )
    channels = models.JSONField(_("channels"), default=list, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    access: ClassVar[AccessSpec] = AccessSpec(public=True)

    class Meta:
        ordering = ["-starts_on", "pk"]
        verbose_name = _("promotion")
        indexes = [models.Index(fields=["starts_on", "ends_on"], name="promotion_period")]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": _("The end comes before the start.")})


# --- The key-account agreement ----------------------------------------------------------------


class Agreement(SoftDeleteModel):
    """Special conditions negotiated with one client or a whole group (its subsidiaries inherit
    it unless they have their own): price list, extra discounts, payment terms, credit limit,
    volume targets with bonus tiers. Applies only once approved by a head of sales."""

    account = models.ForeignKey(
        "accounts.Account",
        on_delete=models.PROTECT,
        related_name="agreements",
        verbose_name=_("account"),
    )
    title = models.CharField(_("title"), max_length=160)
    status = models.CharField(
        _("status"), max_length=10, choices=AgreementStatus.choices, default=AgreementStatus.DRAFT
    )
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    price_list = models.ForeignKey(
        PriceList,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="agreements",
        verbose_name=_("price list"),
    )
    extra_discount_percent = _percent(_("extra discount (%)"), default=Decimal("0"))
    payment_terms_days = models.PositiveSmallIntegerField(
        _("payment terms (days)"), null=True, blank=True
    )
    credit_limit = _amount(_("credit limit"), null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    notes = models.TextField(_("notes"), blank=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True, editable=False)
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True, editable=False)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("approved by"),
    )

    access: ClassVar[AccessSpec] = AccessSpec(
        via="account",
        confidential=(
            "extra_discount_percent",
            "credit_limit",
            "line_discounts",
            "volume_targets",
        ),
    )

    class Meta:
        ordering = ["account", "-valid_from", "pk"]
        verbose_name = _("key-account agreement")
        indexes = [
            models.Index(fields=["account", "status", "valid_from"], name="agreement_account_idx")
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            raise ValidationError({"valid_to": _("The end comes before the start.")})

    def is_valid_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


class AgreementLineDiscount(TimeStampedModel):
    """An extra discount on one product line that replaces the agreement's overall one there."""

    agreement = models.ForeignKey(
        Agreement, on_delete=models.CASCADE, related_name="line_discounts"
    )
    line = models.ForeignKey(
        ProductLine, on_delete=models.CASCADE, related_name="agreement_discounts"
    )
    discount_percent = _percent(_("discount (%)"))

    access: ClassVar[AccessSpec] = AccessSpec(via="agreement", confidential=("discount_percent",))

    class Meta:
        ordering = ["agreement", "line__name", "pk"]
        verbose_name = _("agreement line discount")
        constraints = [
            models.UniqueConstraint(fields=["agreement", "line"], name="agreement_line_unique")
        ]

    def __str__(self) -> str:
        return f"{self.discount_percent}% on {self.line_id}"


class VolumeTarget(TimeStampedModel):
    """What the client means to buy in a period (net amount in the agreement's currency); the
    orders app accrues the delivered amount against it and `selectors.bonus_for` says the bonus."""

    agreement = models.ForeignKey(
        Agreement, on_delete=models.CASCADE, related_name="volume_targets"
    )
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    target_amount = _amount(_("target amount"))

    access: ClassVar[AccessSpec] = AccessSpec(via="agreement", confidential=("target_amount",))

    class Meta:
        ordering = ["agreement", "period_start", "pk"]
        verbose_name = _("volume target")

    def __str__(self) -> str:
        return f"{self.target_amount} {self.period_start}..{self.period_end}"

    def clean(self) -> None:
        if self.period_start and self.period_end and self.period_end < self.period_start:
            raise ValidationError({"period_end": _("The end comes before the start.")})


class BonusTier(TimeStampedModel):
    """From `threshold_amount` bought in the target's period, `bonus_percent` of it comes back."""

    target = models.ForeignKey(VolumeTarget, on_delete=models.CASCADE, related_name="tiers")
    threshold_amount = _amount(_("from amount"))
    bonus_percent = _percent(_("bonus (%)"))

    access: ClassVar[AccessSpec] = AccessSpec(
        via="target", confidential=("threshold_amount", "bonus_percent")
    )

    class Meta:
        ordering = ["target", "threshold_amount", "pk"]
        verbose_name = _("bonus tier")
        constraints = [
            models.UniqueConstraint(fields=["target", "threshold_amount"], name="bonus_tier_unique")
        ]

    def __str__(self) -> str:
        return f"{self.bonus_percent}% from {self.threshold_amount}"
