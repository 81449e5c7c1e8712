"""The demo orders: two years, mostly on time, some late, some partial, consistent rows."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.db.models import Sum

from kam.accounts.tests.factories import AccountFactory
from kam.demo.orders_data import generate_demo_orders
from kam.orders.models import AccountOrderStats, Order, OrderLine, OrderNumberCounter
from kam.orders.tests.factories import ProductFactory

pytestmark = pytest.mark.django_db
NOW = datetime.datetime(2026, 11, 20, 9, 0, tzinfo=datetime.UTC)


def test_demo_orders_are_realistic_and_consistent(org: Any) -> None:
    for n in range(25):
        AccountFactory(owner=org.owner, name=f"Demo {n}")
    for n in range(5):
        ProductFactory(list_price=Decimal(10 + n))

    count = generate_demo_orders(seed=3, now=NOW)

    orders = Order.objects.all()
    assert orders.count() == count
    assert count > 50
    delivered = orders.filter(status__in=["delivered", "closed"])
    on_time = delivered.filter(is_on_time=True).count()
    late = delivered.filter(is_on_time=False).count()
    assert on_time > late > 0
    assert orders.filter(status="cancelled").exclude(cancel_reason="").count() > 0
    assert orders.filter(status__in=["received", "confirmed", "in_fulfilment", "shipped"]).exists()
    earliest = orders.order_by("created_at").first()
    assert earliest is not None
    assert earliest.created_at < NOW - datetime.timedelta(days=600)
    # Delivered lines are complete; open lines never exceed what was ordered.
    assert not OrderLine.objects.filter(
        order__status__in=["delivered", "closed"], completed_on__isnull=True
    ).exists()
    for order in orders.filter(status__in=["delivered", "closed"])[:20]:
        sums = order.lines.aggregate(net=Sum("total_net"))
        assert sums["net"] == order.total_net
    partial = OrderLine.objects.filter(delivery_lines__isnull=False).distinct()
    assert partial.count() > 0
    assert AccountOrderStats.objects.count() == orders.values("account_id").distinct().count()
    top = OrderNumberCounter.objects.get(year=2026).last
    assert orders.filter(number=f"O-2026-{top:06d}").exists()


def test_no_products_no_orders(org: Any) -> None:
    AccountFactory(owner=org.owner)

    assert generate_demo_orders(seed=1, now=NOW) == 0
    assert Order.all_objects.count() == 0
