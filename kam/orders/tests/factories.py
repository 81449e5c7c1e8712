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


def bulk_orders(*, account: Any, owner: Any, count: int, product: Product) -> list[Order]:
    """`count` received orders of one line each, written straight to the tables (query-count
    tests need many rows fast; the services are tested elsewhere)."""
    from kam.orders.models import OrderLine

    start = Order.all_objects.count()
    orders = Order.objects.bulk_create(
        Order(
            number=f"B-{start + index:08d}",
            account=account,
            owner=owner,
            created_by=owner,
            total_net=Decimal("10.00"),
            total_tax=Decimal("2.00"),
            promised_date=datetime.date(2026, 1, 1),
            open_promised_date=datetime.date(2026, 1, 1),
        )
        for index in range(count)
    )
    OrderLine.objects.bulk_create(
        OrderLine(
            order=order,
            product=product,
            quantity=Decimal("1"),
            unit_price=Decimal("10.00"),
            total_net=Decimal("10.00"),
            total_tax=Decimal("2.00"),
            promised_date=datetime.date(2026, 1, 1),
        )
        for order in orders
    )
    return orders
