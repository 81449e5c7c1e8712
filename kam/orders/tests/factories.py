from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import factory

from kam.catalog.models import Product
from kam.orders import services
from kam.orders.models import Order


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    name = factory.Sequence(lambda n: f"Widget {n}")
    list_price = Decimal("100.00")
    currency = "EUR"
    vat_rate = Decimal("20.00")


def line(product: Product, quantity: str = "1", **extra: Any) -> services.LineInput:
    return services.LineInput(product=product, quantity=Decimal(quantity), **extra)


def make_order(
    *, user: Any, account: Any, products: list[tuple[Product, str]] | None = None, **extra: Any
) -> Order:
    """An order created through the service (priced, numbered, counted)."""
    rows = products or [(ProductFactory(), "2")]
    extra.setdefault("requested_date", datetime.date(2026, 12, 1))
    extra.setdefault("promised_date", datetime.date(2026, 12, 10))
    return services.order_create(
        user=user, account=account, lines=[line(p, q) for p, q in rows], **extra
    )
