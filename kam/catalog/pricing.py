"""The one pricing function: every price in KAM (quotes, orders, the API) comes from here.

Contract for callers (orders, quotes, the API), stable while the rules behind it grow:

    price_lines(account=..., lines=[PriceRequest(product, quantity), ...], on=date) -> PriceResult

It is deterministic (same inputs, same prices) and explains itself: every `PricedLine` carries the
ordered `steps` that turned the list price into the unit price.

Precedence, for each line (docs/catalog.md has the worked examples):

1. list price of the product, in the product's currency;
2. the rule of the price list of the agreement in force (`selectors.agreement_for`), when the
   price list is active and valid that day and in the product's currency (another currency: not
   applied, and a step says so). Among the rules whose minimum quantity the line reaches, the most
   specific wins (product > line > all products), then the highest minimum quantity, then the
   lowest resulting price; a fixed price replaces the unit price, a percent takes it off;
3. the best promotion valid that day (start and end included) for that channel (a promotion
   naming no channel is for every channel) covering the product or its line (one naming neither
   covers all products): its percent comes off the price so far; expired or future ones are
   ignored;
4. the agreement's extra discount: its discount for the product's line when it has one, else its
   overall one;
5. rounding half up to cents; the line total is unit price x quantity, rounded to cents.

All lines of one result are in one currency: lines whose currencies differ are refused
(`PricingError`); the catalog holds no exchange rates, so nothing converts between currencies.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.catalog.choices import SCOPE_RANK, RuleScope
from kam.catalog.errors import PricingError
from kam.catalog.models import Agreement, PriceRule, Product, Promotion

HUNDRED = Decimal("100")

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
    # Kinds written here: list_price, rule, price_list_skipped, promotion, agreement, rounding.
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
    The account's conditions are loaded once per call (a constant number of queries whatever
    the number of lines). Raises PricingError when the lines' currencies differ.
    """
    day = on or timezone.localdate()
    conditions = Conditions.load(account=account, lines=lines, on=day, channel=channel)
    priced = tuple(conditions.price(request) for request in lines)
    currencies = sorted({line.currency for line in priced})
    if len(currencies) > 1:
        raise PricingError(
            _(
                "The lines are in different currencies (%(currencies)s) and no price list "
                "converts between them: price them separately."
            )
            % {"currencies": ", ".join(currencies)},
            fields={"lines": [_("Mixed currencies: %s.") % ", ".join(currencies)]},
        )
    notes: tuple[str, ...] = ()
    if conditions.agreement is not None:
        notes = (_("Agreement “%s” applied.") % conditions.agreement.title,)
    return PriceResult(
        account_id=getattr(account, "pk", None),
        on=day,
        currency=currencies[0] if currencies else "EUR",
        lines=priced,
        notes=notes,
    )


def _label_number(value: Decimal) -> str:
    """2.000 -> "2", 12.50 -> "12.5": quantities and percents as a person writes them."""
    return format(value.normalize(), "f")


@dataclass
class Conditions:
    """Everything that may change a price for one account on one day, loaded in a few queries."""

    day: date
    channel: str
    agreement: Agreement | None = None
    rules: list[PriceRule] = field(default_factory=list)
    promotions: list[Promotion] = field(default_factory=list)
    promotion_products: dict[int, set[int]] = field(default_factory=dict)
    promotion_lines: dict[int, set[int]] = field(default_factory=dict)
    line_discounts: dict[int, Decimal] = field(default_factory=dict)

    @classmethod
    def load(
        cls, *, account: Any | None, lines: Sequence[PriceRequest], on: date, channel: str
    ) -> Conditions:
        from kam.catalog.selectors import agreement_for

        conditions = cls(day=on, channel=channel)
        product_ids = {request.product.pk for request in lines}
        line_ids = {request.product.line_id for request in lines} - {None}
        if not product_ids:
            return conditions
        if account is not None and getattr(account, "pk", None) is not None:
            conditions.agreement = agreement_for(account=account, on=on)
        agreement = conditions.agreement
        if agreement is not None:
            conditions._load_agreement(agreement, product_ids, line_ids)
        conditions._load_promotions(product_ids, line_ids)
        return conditions

    def _load_agreement(
        self, agreement: Agreement, product_ids: set[int], line_ids: set[Any]
    ) -> None:
        self.line_discounts = dict(
            agreement.line_discounts.filter(line_id__in=line_ids).values_list(
                "line_id", "discount_percent"
            )
        )
        price_list = agreement.price_list
        if price_list is None or not price_list.is_valid_on(self.day):
            return
        self.rules = list(
            PriceRule.objects.filter(price_list=price_list).filter(
                Q(scope=RuleScope.ALL)
                | Q(scope=RuleScope.PRODUCT, product_id__in=product_ids)
                | Q(scope=RuleScope.LINE, line_id__in=line_ids)
            )
        )

    def _load_promotions(self, product_ids: set[int], line_ids: set[Any]) -> None:
        promotions = list(
            Promotion.objects.filter(
                is_active=True, starts_on__lte=self.day, ends_on__gte=self.day
            ).order_by("pk")
        )
        self.promotions = [p for p in promotions if _for_channel(p, self.channel)]
        ids = [p.pk for p in self.promotions]
        if not ids:
            return
        for promotion_id, product_id in Promotion.products.through.objects.filter(
            promotion_id__in=ids
        ).values_list("promotion_id", "product_id"):
            self.promotion_products.setdefault(promotion_id, set()).add(product_id)
        for promotion_id, line_id in Promotion.lines.through.objects.filter(
            promotion_id__in=ids
        ).values_list("promotion_id", "productline_id"):
            self.promotion_lines.setdefault(promotion_id, set()).add(line_id)

    # --- pricing one line -----------------------------------------------------------------

    def price(self, request: PriceRequest) -> PricedLine:
        product = request.product
        unit = product.list_price
        steps = [
            PriceStep(
                kind="list_price",
                label=_("List price %(price)s %(currency)s")
                % {"price": money(unit), "currency": product.currency},
                unit_price=unit,
            )
        ]
        unit = self._apply_price_list(product, request.quantity, unit, steps)
        unit = self._apply_promotion(product, unit, steps)
        unit = self._apply_agreement_discount(product, unit, steps)
        rounded = money(unit)
        steps.append(
            PriceStep(
                kind="rounding",
                label=_("Rounded to cents: %(price)s %(currency)s")
                % {"price": rounded, "currency": product.currency},
                unit_price=rounded,
            )
        )
        total = money(rounded * request.quantity)
        return PricedLine(
            product_id=product.pk,
            quantity=request.quantity,
            currency=product.currency,
            list_price=product.list_price,
            unit_price=rounded,
            total=total,
            vat_rate=product.vat_rate,
            tax=money(total * product.vat_rate / HUNDRED),
            steps=tuple(steps),
        )

    def _apply_price_list(
        self, product: Product, quantity: Decimal, unit: Decimal, steps: list[PriceStep]
    ) -> Decimal:
        agreement = self.agreement
        if agreement is None or agreement.price_list is None:
            return unit
        price_list = agreement.price_list
        source = f"catalog.pricelist:{price_list.pk}"
        if not price_list.is_valid_on(self.day):
            steps.append(
                PriceStep(
                    kind="price_list_skipped",
                    label=_("Price list %(name)s not applied: not active or not valid on %(day)s")
                    % {"name": price_list.name, "day": self.day.isoformat()},
                    unit_price=unit,
                    source=source,
                )
            )
            return unit
        if price_list.currency != product.currency:
            steps.append(
                PriceStep(
                    kind="price_list_skipped",
                    label=_(
                        "Price list %(name)s not applied: it is in %(list)s, the product in "
                        "%(product)s"
                    )
                    % {
                        "name": price_list.name,
                        "list": price_list.currency,
                        "product": product.currency,
                    },
                    unit_price=unit,
                    source=source,
                )
            )
            return unit
        matching = [
            (rule, _rule_price(rule, unit))
            for rule in self.rules
            if _rule_covers(rule, product) and rule.min_quantity <= quantity
        ]
        if not matching:
            return unit
        matching.sort(
            key=lambda pair: (
                -SCOPE_RANK[pair[0].scope],
                -pair[0].min_quantity,
                pair[1],
                pair[0].pk,
            )
        )
        rule, price = matching[0]
        steps.append(
            PriceStep(
                kind="rule",
                label=_rule_label(price_list.name, rule, product, len(matching) - 1),
                unit_price=price,
                source=f"catalog.pricerule:{rule.pk}",
            )
        )
        return price

    def _apply_promotion(self, product: Product, unit: Decimal, steps: list[PriceStep]) -> Decimal:
        covering = [p for p in self.promotions if self._promotion_covers(p, product)]
        if not covering:
            return unit
        covering.sort(key=lambda p: (-p.discount_percent, p.pk))
        best = covering[0]
        price = unit * (HUNDRED - best.discount_percent) / HUNDRED
        label = _("Promotion “%(name)s”: %(percent)s%% off (until %(end)s)") % {
            "name": best.name,
            "percent": _label_number(best.discount_percent),
            "end": best.ends_on.isoformat(),
        }
        if len(covering) > 1:
            label += " " + _("(the best of %d promotions)") % len(covering)
        steps.append(
            PriceStep(
                kind="promotion",
                label=label,
                unit_price=price,
                source=f"catalog.promotion:{best.pk}",
            )
        )
        return price

    def _promotion_covers(self, promotion: Promotion, product: Product) -> bool:
        products = self.promotion_products.get(promotion.pk, set())
        lines = self.promotion_lines.get(promotion.pk, set())
        if not products and not lines:
            return True
        return product.pk in products or (product.line_id is not None and product.line_id in lines)

    def _apply_agreement_discount(
        self, product: Product, unit: Decimal, steps: list[PriceStep]
    ) -> Decimal:
        agreement = self.agreement
        if agreement is None:
            return unit
        percent = self.line_discounts.get(product.line_id) if product.line_id else None
        if percent is not None:
            label = _("Agreement “%(title)s”: extra %(percent)s%% off on this product line")
        else:
            percent = agreement.extra_discount_percent
            label = _("Agreement “%(title)s”: extra %(percent)s%% off")
        if not percent:
            return unit
        price = unit * (HUNDRED - percent) / HUNDRED
        steps.append(
            PriceStep(
                kind="agreement",
                label=label % {"title": agreement.title, "percent": _label_number(percent)},
                unit_price=price,
                source=f"catalog.agreement:{agreement.pk}",
            )
        )
        return price


def _for_channel(promotion: Promotion, channel: str) -> bool:
    channels = promotion.channels or []
    return not channels or channel in channels


def _rule_covers(rule: PriceRule, product: Product) -> bool:
    if rule.scope == RuleScope.PRODUCT:
        return rule.product_id == product.pk
    if rule.scope == RuleScope.LINE:
        return product.line_id is not None and rule.line_id == product.line_id
    return True


def _rule_price(rule: PriceRule, unit: Decimal) -> Decimal:
    if rule.fixed_price is not None:
        return rule.fixed_price
    return unit * (HUNDRED - (rule.discount_percent or Decimal("0"))) / HUNDRED


def _rule_label(list_name: str, rule: PriceRule, product: Product, others: int) -> str:
    scope = {
        RuleScope.PRODUCT: _("product rule"),
        RuleScope.LINE: _("product line rule"),
        RuleScope.ALL: _("all-products rule"),
    }[RuleScope(rule.scope)]
    if rule.fixed_price is not None:
        what = _("fixed price %(price)s") % {"price": rule.fixed_price}
    else:
        what = _("%(percent)s%% off") % {
            "percent": _label_number(rule.discount_percent or Decimal("0"))
        }
    label = _("Price list %(name)s, %(scope)s from %(quantity)s %(unit)s: %(what)s") % {
        "name": list_name,
        "scope": scope,
        "quantity": _label_number(rule.min_quantity),
        "unit": product.unit,
        "what": what,
    }
    if others:
        label += (
            " "
            + _(
                "(won over %d other matching rule(s): most specific, then highest minimum "
                "quantity, then lowest price)"
            )
            % others
        )
    return label
