"""The assortment: product lines and products. Prices, rules and agreements join them here."""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from kam.core.access import AccessSpec
from kam.core.models import SoftDeleteModel, live_unique


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

    access: ClassVar[AccessSpec] = AccessSpec(public=True)

    class Meta:
        ordering = ["sku", "pk"]
        verbose_name = _("product")
        constraints = [live_unique("sku", name="product_sku_unique_live")]
        indexes = [models.Index(fields=["line", "is_active"], name="product_line_active")]

    def __str__(self) -> str:
        return f"{self.sku} {self.name}"
