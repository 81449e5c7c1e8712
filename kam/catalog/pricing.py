"""The one pricing function: every price in KAM (quotes, orders, the API) comes from here.

Contract for callers (orders, quotes, the API), stable while the rules behind it grow:

    price_lines(account=..., lines=[PriceRequest(product, quantity), ...], on=date) -> PriceResult

It is deterministic (same inputs, same prices) and explains itself: every `PricedLine` carries the
ordered `steps` that turned the list price into the unit price.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.utils import timezone

from kam.catalog.models import Product

CENT = Decimal("0.01")


def money(value: Decimal) -> Decimal:
    """Round half up to cents: the rounding every stored and shown amount uses."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class PriceRequest:
    product: Product
    quantity: Decimal


@dataclass(frozen=True)
class PriceStep:
    """One step of a line's price: what was applied, and the unit price after it."""

    kind: str  # "list_price", "price_list", "rule", "promotion", "agreement", "rounding", ...
    label: str  # what a user reads: "Price list Key accounts 2026: 12% from 100 pcs"
    unit_price: Decimal  # the unit price after this step
    source: str = ""  # "catalog.pricerule:12": the record that caused it, empty for list price


@dataclass(frozen=True)
class PricedLine:
    product_id: int
    quantity: Decimal
    currency: str
    list_price: Decimal
    unit_price: Decimal
    total: Decimal  # net: unit_price x quantity, rounded to cents
    vat_rate: Decimal
    tax: Decimal
    steps: tuple[PriceStep, ...]

    @property
    def discount_percent(self) -> Decimal:
        """The whole reduction from the list price, in percent (0 when priced at list)."""
        if not self.list_price:
            return Decimal("0")
        return money((self.list_price - self.unit_price) * 100 / self.list_price)


@dataclass(frozen=True)
class PriceResult:
    account_id: int | None
    on: date
    currency: str
    lines: tuple[PricedLine, ...]
    notes: tuple[str, ...] = field(default=())

    @property
    def total(self) -> Decimal:
        return sum((line.total for line in self.lines), Decimal("0"))

    @property
    def tax(self) -> Decimal:
        return sum((line.tax for line in self.lines), Decimal("0"))


def price_lines(
    *,
    account: Any | None,
    lines: Sequence[PriceRequest],
    on: date | None = None,
    channel: str = "",
) -> PriceResult:
    """Price `lines` for `account` (None: a prospect with no conditions) on day `on` (today).

    Preconditions: quantities are positive; products are live. Reads only; no side effects.
    """
    day = on or timezone.localdate()
    priced = tuple(_list_price_line(request) for request in lines)
    currency = priced[0].currency if priced else "EUR"
    return PriceResult(
        account_id=getattr(account, "pk", None), on=day, currency=currency, lines=priced
    )


def _list_price_line(request: PriceRequest) -> PricedLine:
    product = request.product
    unit = money(product.list_price)
    total = money(unit * request.quantity)
    return PricedLine(
        product_id=product.pk,
        quantity=request.quantity,
        currency=product.currency,
        list_price=product.list_price,
        unit_price=unit,
        total=total,
        vat_rate=product.vat_rate,
        tax=money(total * product.vat_rate / 100),
        steps=(
            PriceStep(
                kind="list_price", label=f"List price {unit} {product.currency}", unit_price=unit
            ),
        ),
    )
