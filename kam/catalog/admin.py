"""Administrators may browse and fix the catalog here; people edit it through the API (products,
price lists, promotions) and agreements go through their approval there, not here."""

from __future__ import annotations

from django.contrib import admin

from kam.catalog.models import (
    Agreement,
    BundleComponent,
    PriceList,
    PriceRule,
    Product,
    ProductLine,
    Promotion,
)


@admin.register(ProductLine)
class ProductLineAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["name", "code"]
    search_fields = ["name", "code"]


class BundleComponentInline(admin.TabularInline):  # type: ignore[type-arg]
    model = BundleComponent
    fk_name = "bundle"
    raw_id_fields = ["component"]
    extra = 0


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["sku", "name", "line", "list_price", "currency", "is_active", "launch_date"]
    list_filter = ["is_active", "line"]
    search_fields = ["sku", "name"]
    raw_id_fields = ["related", "complementary"]
    inlines = [BundleComponentInline]


class PriceRuleInline(admin.TabularInline):  # type: ignore[type-arg]
    model = PriceRule
    raw_id_fields = ["product"]
    extra = 0


@admin.register(PriceList)
class PriceListAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["name", "currency", "valid_from", "valid_to", "is_active"]
    inlines = [PriceRuleInline]


@admin.register(Promotion)
class PromotionAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["name", "starts_on", "ends_on", "discount_percent", "is_active"]
    raw_id_fields = ["products"]


@admin.register(Agreement)
class AgreementAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["title", "account", "status", "valid_from", "valid_to"]
    list_filter = ["status"]
    raw_id_fields = ["account", "price_list"]
    readonly_fields = ["status"]
