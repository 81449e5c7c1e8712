"""What the catalog plugs into core: audit, navigation, search, the account page's agreement
panel, the products exporter and importer."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kam.core import access, audit, registry

SEARCH_MIN_LENGTH = 2


def _search(user: Any, query: str, limit: int) -> list[registry.SearchHit]:
    from django.db.models import Q

    from kam.catalog.selectors import product_list

    if len(query) < SEARCH_MIN_LENGTH:
        return []
    products = product_list(user=user).filter(Q(sku__icontains=query) | Q(name__icontains=query))
    lowered = query.lower()
    return [
        registry.SearchHit(
            kind=str(_("Product")),
            title=f"{product.sku} {product.name}",
            subtitle=f"{product.list_price} {product.currency}",
            url=reverse("catalog:product_detail", args=[product.pk]),
            score=0.9 if product.sku.lower() == lowered else 0.4,
        )
        for product in products[:limit]
    ]


def connect() -> None:
    from kam.catalog.exporting import EXPORTER
    from kam.catalog.importing import IMPORTER
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

    audit.register(ProductLine)
    audit.register(Product, m2m=("related", "complementary"))
    audit.register(BundleComponent)
    audit.register(PriceList)
    audit.register(PriceRule)
    audit.register(Promotion, m2m=("products", "lines"))
    audit.register(Agreement)
    audit.register(AgreementLineDiscount)
    audit.register(VolumeTarget)
    audit.register(BonusTier)
    registry.register_nav(
        registry.NavItem(
            "products", gettext_lazy("Products"), "catalog:product_list", "box-seam", order=40
        )
    )
    registry.register_search("products", _search)
    registry.register_panel(
        registry.Panel(
            key="catalog.account_agreement",
            title=gettext_lazy("Key-account agreement"),
            model="accounts.account",
            url_name="catalog:account_agreement_panel",
            order=15,
            visible=access.is_active_user,
        )
    )
    registry.register_exporter(EXPORTER)
    registry.register_importer(IMPORTER)
