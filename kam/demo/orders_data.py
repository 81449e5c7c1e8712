"""Demo orders for the demo's accounts: two years of ordering with realistic delays.

Each chosen account orders every few weeks over the past two years, from the products in the
database (priced through `catalog.pricing.price_lines`, so the lines explain their price). Orders
older than their promised date were delivered: most on time, some a few days late, some in two
partial deliveries; a few were cancelled with a reason. Recent orders are still open (received,
confirmed, in fulfilment, shipped), some with a partial delivery and some already past their
promised date (overdue). The repeat-business figures are rebuilt at the end.

Not wired into `kam demo`; call it after the demo (and after some products exist):

    from kam.demo.orders_data import generate_demo_orders
    generate_demo_orders(seed=1)
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import models, transaction
from django.db.models import Max
from django.utils import timezone

from kam.accounts.models import Account
from kam.catalog.models import Product
from kam.catalog.pricing import PriceRequest, money, price_lines
from kam.core.bulk import insert_rows
from kam.orders.models import Delivery, DeliveryLine, Order, OrderLine, OrderNumberCounter
from kam.orders.services import account_stats_rebuild

ACCOUNT_SHARE = 0.4  # of the accounts order at all
DAYS = 730
CANCEL_REASONS = [
    "Client postponed the project",
    "Ordered twice by mistake",
    "Budget withdrawn",
    "Replaced by a larger order",
]
HUNDRED = Decimal("100")


def generate_demo_orders(*, seed: int = 1, now: datetime | None = None) -> int:
    """Insert demo orders for the live accounts; returns the number of orders (0 without
    products)."""
    moment = (now or timezone.now()).replace(microsecond=0)
    rng = random.Random(seed)

    def insert(model: type[models.Model], rows: Iterable[Mapping[str, Any]]) -> None:
        insert_rows(model, rows, now=moment)

    with transaction.atomic():
        count = generate_orders(rng=rng, now=moment, insert=insert)
    if count:
        account_stats_rebuild()
    return count


def generate_orders(*, rng: random.Random, now: datetime, insert: Callable[..., None]) -> int:
    products = list(Product.objects.filter(is_active=True).order_by("pk")[:200])
    if not products:
        return 0
    accounts = [
        a
        for a in Account.objects.filter(deleted_at__isnull=True).order_by("pk")
        if rng.random() < ACCOUNT_SHARE
    ]
    counters = dict(OrderNumberCounter.objects.values_list("year", "last"))
    plans = [
        plan
        for account in accounts
        for plan in _account_plans(rng, now, account, products, counters)
    ]
    if not plans:
        return 0
    before = Order.all_objects.aggregate(top=Max("pk"))["top"] or 0
    insert(Order, (plan["order"] for plan in plans))
    by_number = dict(Order.all_objects.filter(pk__gt=before).values_list("number", "pk"))
    line_rows = [
        {**row, "order_id": by_number[plan["order"]["number"]]}
        for plan in plans
        for row in plan["lines"]
    ]
    insert(OrderLine, line_rows)
    _insert_deliveries(plans, by_number, insert)
    for year, last in counters.items():
        OrderNumberCounter.objects.update_or_create(year=year, defaults={"last": last})
    return len(plans)


def _account_plans(
    rng: random.Random,
    now: datetime,
    account: Account,
    products: list[Product],
    counters: dict[int, int],
) -> list[dict[str, Any]]:
    plans = []
    moment = now - timedelta(days=DAYS - rng.randint(0, 60))
    usual = rng.sample(products, min(len(products), rng.randint(2, 6)))
    currency = usual[0].currency
    usual = [p for p in usual if p.currency == currency]
    while moment < now:
        counters[moment.year] = counters.get(moment.year, 0) + 1
        number = f"O-{moment.year}-{counters[moment.year]:06d}"
        plans.append(_order_plan(rng, now, moment, account, usual, number))
        moment += timedelta(days=rng.randint(12, 70), hours=rng.randint(0, 8))
    return plans


def _order_plan(
    rng: random.Random,
    now: datetime,
    created: datetime,
    account: Account,
    products: list[Product],
    number: str,
) -> dict[str, Any]:
    today = now.date()
    chosen = rng.sample(products, rng.randint(1, min(4, len(products))))
    requests = [PriceRequest(p, Decimal(rng.choice([1, 2, 5, 10, 20, 50]))) for p in chosen]
    priced = price_lines(account=account, lines=requests, on=created.date())
    requested = created.date() + timedelta(days=rng.randint(5, 20))
    promised = requested + timedelta(days=rng.randint(0, 5))
    fate = _fate(rng, promised, today)
    lines: list[dict[str, Any]] = []
    for position, line in enumerate(priced.lines, start=1):
        extra = Decimal(rng.choice([0, 0, 0, 2, 5, 8]))
        unit = money(line.unit_price * (HUNDRED - extra) / HUNDRED)
        net = money(unit * line.quantity)
        steps = [
            {"kind": s.kind, "label": s.label, "unit_price": str(s.unit_price), "source": s.source}
            for s in line.steps
        ]
        if extra:
            steps.append(
                {
                    "kind": "manual_discount",
                    "label": f"Manual discount {extra}%",
                    "unit_price": str(unit),
                    "source": "",
                }
            )
        lines.append(
            {
                "position": position,
                "product_id": line.product_id,
                "quantity": line.quantity,
                "list_price": money(line.list_price),
                "priced_unit_price": line.unit_price,
                "price_discount_percent": line.discount_percent,
                "discount_percent": extra,
                "unit_price": unit,
                "vat_rate": line.vat_rate,
                "total_net": net,
                "total_tax": money(net * line.vat_rate / HUNDRED),
                "price_steps": steps,
                "requested_date": requested,
                "promised_date": promised,
            }
        )
    deliveries = _deliveries(rng, fate, lines, promised, today)
    complete = fate["kind"] in ("on_time", "late", "partial_on_time", "partial_late")
    order = {
        "number": number,
        "account_id": account.pk,
        "owner_id": account.owner_id,
        "created_by_id": account.owner_id,
        "currency": priced.currency,
        "status": fate["status"],
        "requested_date": requested,
        "promised_date": promised,
        "total_net": sum((row["total_net"] for row in lines), Decimal("0")),
        "total_tax": sum((row["total_tax"] for row in lines), Decimal("0")),
        "created_at": created,
        "confirmed_at": created + timedelta(hours=rng.randint(2, 48))
        if fate["status"] not in ("received", "cancelled")
        else None,
        "delivered_at": _at(fate["last_day"]) if complete else None,
        "closed_at": _at(fate["last_day"] + timedelta(days=14))
        if fate["status"] == "closed"
        else None,
        "cancelled_at": created + timedelta(days=rng.randint(1, 5))
        if fate["kind"] == "cancelled"
        else None,
        "cancel_reason": rng.choice(CANCEL_REASONS) if fate["kind"] == "cancelled" else "",
        "is_on_time": fate["kind"] in ("on_time", "partial_on_time") if complete else None,
        "open_promised_date": None if complete or fate["kind"] == "cancelled" else promised,
    }
    for row in lines:
        row["delivered_quantity"] = sum(
            (q for d in deliveries for pos, q in d["lines"] if pos == row["position"]),
            Decimal("0"),
        )
        row["completed_on"] = (
            fate["last_day"] if row["delivered_quantity"] == row["quantity"] else None
        )
        # Lines already past their promised date count as notified: a fresh demo must not
        # flood the owners with two years of alerts on the first beat.
        row["overdue_notified_at"] = now if promised < today else None
    return {"order": order, "lines": lines, "deliveries": deliveries}


def _at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 15, 0, tzinfo=timezone.get_current_timezone())


def _fate(rng: random.Random, promised: date, today: date) -> dict[str, Any]:
    """What became of the order: delivered (on time, late, in two parts), cancelled, or open."""
    roll = rng.random()
    if roll < 0.05:
        return {"kind": "cancelled", "status": "cancelled", "last_day": promised}
    delay = 0 if roll < 0.72 else rng.randint(1, 12)
    last_day = (
        promised - timedelta(days=rng.randint(0, 3))
        if delay == 0
        else promised + timedelta(days=delay)
    )
    partial = rng.random() < 0.15
    if last_day <= today - timedelta(days=1):
        kind = ("partial_" if partial else "") + ("on_time" if delay == 0 else "late")
        closed = last_day < today - timedelta(days=30)
        return {"kind": kind, "status": "closed" if closed else "delivered", "last_day": last_day}
    status = rng.choice(["received", "confirmed", "in_fulfilment", "shipped"])
    open_partial = status != "received" and partial
    return {
        "kind": "open_partial" if open_partial else "open",
        "status": status,
        "last_day": today - timedelta(days=1),
    }


def _deliveries(
    rng: random.Random,
    fate: dict[str, Any],
    lines: list[dict[str, Any]],
    promised: date,
    today: date,
) -> list[dict[str, Any]]:
    kind = fate["kind"]
    if kind in ("cancelled", "open"):
        return []
    last = fate["last_day"]
    if kind in ("on_time", "late"):
        return [{"day": last, "lines": [(r["position"], r["quantity"]) for r in lines]}]
    first_day = min(last - timedelta(days=rng.randint(1, 6)), today - timedelta(days=1))
    halves = [(r["position"], (r["quantity"] / 2).quantize(Decimal("0.001"))) for r in lines]
    first = {"day": first_day, "lines": halves}
    if kind == "open_partial":
        return [first]
    rest = [
        (r["position"], r["quantity"] - half) for r, (_pos, half) in zip(lines, halves, strict=True)
    ]
    return [first, {"day": last, "lines": rest}]


def _insert_deliveries(
    plans: list[dict[str, Any]], by_number: dict[str, int], insert: Callable[..., None]
) -> None:
    before = Delivery.objects.aggregate(top=Max("pk"))["top"] or 0
    rows = []
    for plan in plans:
        order_id = by_number[plan["order"]["number"]]
        for delivery in plan["deliveries"]:
            rows.append(
                {
                    "order_id": order_id,
                    "delivered_on": delivery["day"],
                    "created_by_id": plan["order"]["owner_id"],
                    "created_at": _at(delivery["day"]),
                }
            )
    insert(Delivery, rows)
    delivery_ids = list(
        Delivery.objects.filter(pk__gt=before).order_by("pk").values_list("pk", flat=True)
    )
    line_ids = {
        (order_id, position): pk
        for pk, order_id, position in OrderLine.objects.filter(
            order_id__in=list(by_number.values())
        ).values_list("pk", "order_id", "position")
    }
    delivery_lines = []
    index = 0
    for plan in plans:
        order_id = by_number[plan["order"]["number"]]
        for delivery in plan["deliveries"]:
            for position, quantity in delivery["lines"]:
                if quantity > 0:
                    delivery_lines.append(
                        {
                            "delivery_id": delivery_ids[index],
                            "line_id": line_ids[(order_id, position)],
                            "quantity": quantity,
                        }
                    )
            index += 1
    insert(DeliveryLine, delivery_lines)
