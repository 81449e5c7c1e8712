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

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from kam.catalog.choices import RuleScope
from kam.catalog.errors import PricingError
from kam.catalog.models import Agreement, AgreementLineDiscount, PriceRule, Product, Promotion

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


# The texts of the steps, marked for translation and translated once per call (not per line).
LIST_PRICE = gettext_noop("List price %(price)s %(currency)s")
ROUNDED = gettext_noop("Rounded to cents: %(price)s %(currency)s")
LIST_NOT_VALID = gettext_noop("Price list %(name)s not applied: not active or not valid on %(day)s")
LIST_CURRENCY = gettext_noop(
    "Price list %(name)s not applied: it is in %(list)s, the product in %(product)s"
)
RULE = gettext_noop("Price list %(name)s, %(scope)s from %(quantity)s %(unit)s: %(what)s")
RULE_WON = gettext_noop(
    "(won over %d other matching rule(s): most specific, then highest minimum "
    "quantity, then lowest price)"
)
SCOPES = {
    RuleScope.PRODUCT: gettext_noop("product rule"),
    RuleScope.LINE: gettext_noop("product line rule"),
    RuleScope.ALL: gettext_noop("all-products rule"),
}
FIXED = gettext_noop("fixed price %(price)s")
PERCENT_OFF = gettext_noop("%(percent)s%% off")
PROMOTION = gettext_noop("Promotion “%(name)s”: %(percent)s%% off (until %(end)s)")
PROMOTION_BEST = gettext_noop("(the best of %d promotions)")
AGREEMENT_LINE = gettext_noop("Agreement “%(title)s”: extra %(percent)s%% off on this product line")
AGREEMENT_ALL = gettext_noop("Agreement “%(title)s”: extra %(percent)s%% off")


@dataclass(frozen=True)
class RuleGroup:
    """Rules of one scope for one product (or line, or all products), ascending by minimum
    quantity then age."""

    minimums: tuple[Decimal, ...]
    rules: tuple[PriceRule, ...]

    @classmethod
    def of(cls, rules: list[PriceRule]) -> RuleGroup:
        ordered = sorted(rules, key=lambda rule: (rule.min_quantity, rule.pk))
        return cls(tuple(rule.min_quantity for rule in ordered), tuple(ordered))

    def reached(self, quantity: Decimal) -> tuple[int, tuple[PriceRule, ...]]:
        """How many rules `quantity` reaches, and those at the highest break it reaches."""
        count = bisect_right(self.minimums, quantity)
        if not count:
            return 0, ()
        first = bisect_left(self.minimums, self.minimums[count - 1])
        return count, self.rules[first:count]


@dataclass
class Conditions:
    """Everything that may change a price for one account on one day, loaded in a few queries
    and indexed by product and line, so that pricing a line looks at its own rules only."""

    day: date
    channel: str
    agreement: Agreement | None = None
    # Rules by product, by line and for all products, each ascending by minimum quantity
    # (`RuleGroup`), so that a line finds the breaks it reaches by bisection.
    rules_by_product: dict[int, RuleGroup] = field(default_factory=dict)
    rules_by_line: dict[int, RuleGroup] = field(default_factory=dict)
    rules_for_all: RuleGroup | None = None
    promotions_for_all: list[Promotion] = field(default_factory=list)
    promotions_by_product: dict[int, list[Promotion]] = field(default_factory=dict)
    promotions_by_line: dict[int, list[Promotion]] = field(default_factory=dict)
    line_discounts: dict[int, Decimal] = field(default_factory=dict)
    _texts: dict[str, str] = field(default_factory=dict)
    _labels: dict[Any, str] = field(default_factory=dict)

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
            AgreementLineDiscount.objects.filter(
                agreement_id=agreement.pk, line_id__in=line_ids
            ).values_list("line_id", "discount_percent")
        )
        price_list = agreement.price_list
        if price_list is None or not price_list.is_valid_on(self.day):
            return
        rules = PriceRule.objects.filter(price_list=price_list).filter(
            Q(scope=RuleScope.ALL)
            | Q(scope=RuleScope.PRODUCT, product_id__in=product_ids)
            | Q(scope=RuleScope.LINE, line_id__in=line_ids)
        )
        by_product: dict[int, list[PriceRule]] = {}
        by_line: dict[int, list[PriceRule]] = {}
        for_all: list[PriceRule] = []
        for rule in rules.order_by("min_quantity", "pk"):
            if rule.scope == RuleScope.PRODUCT and rule.product_id is not None:
                by_product.setdefault(rule.product_id, []).append(rule)
            elif rule.scope == RuleScope.LINE and rule.line_id is not None:
                by_line.setdefault(rule.line_id, []).append(rule)
            elif rule.scope == RuleScope.ALL:
                for_all.append(rule)
        self.rules_by_product = {key: RuleGroup.of(group) for key, group in by_product.items()}
        self.rules_by_line = {key: RuleGroup.of(group) for key, group in by_line.items()}
        self.rules_for_all = RuleGroup.of(for_all) if for_all else None

    def _load_promotions(self, product_ids: set[int], line_ids: set[Any]) -> None:
        promotions = {
            p.pk: p
            for p in Promotion.objects.filter(
                is_active=True, starts_on__lte=self.day, ends_on__gte=self.day
            ).order_by("pk")
            if _for_channel(p, self.channel)
        }
        if not promotions:
            return
        named: set[int] = set()
        for promotion_id, product_id in Promotion.products.through.objects.filter(
            promotion_id__in=list(promotions)
        ).values_list("promotion_id", "product_id"):
            named.add(promotion_id)
            if product_id in product_ids:
                self.promotions_by_product.setdefault(product_id, []).append(
                    promotions[promotion_id]
                )
        for promotion_id, line_id in Promotion.lines.through.objects.filter(
            promotion_id__in=list(promotions)
        ).values_list("promotion_id", "productline_id"):
            named.add(promotion_id)
            if line_id in line_ids:
                self.promotions_by_line.setdefault(line_id, []).append(promotions[promotion_id])
        self.promotions_for_all = [p for pk, p in promotions.items() if pk not in named]

    def text(self, message: str) -> str:
        """`message` translated into the active language (once per call)."""
        translated = self._texts.get(message)
        if translated is None:
            translated = self._texts[message] = _(message)
        return translated

    # --- pricing one line -----------------------------------------------------------------

    def price(self, request: PriceRequest) -> PricedLine:
        product = request.product
        unit = product.list_price
        currency = product.currency
        steps = [
            PriceStep(
                kind="list_price",
                label=self.text(LIST_PRICE) % {"price": money(unit), "currency": currency},
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
                label=self.text(ROUNDED) % {"price": rounded, "currency": currency},
                unit_price=rounded,
            )
        )
        total = money(rounded * request.quantity)
        return PricedLine(
            product_id=product.pk,
            quantity=request.quantity,
            currency=currency,
            list_price=product.list_price,
            unit_price=rounded,
            total=total,
            vat_rate=product.vat_rate,
            tax=money(total * product.vat_rate / HUNDRED),
            steps=tuple(steps),
        )

    def _skip_price_list(self, product: Product) -> str | None:
        """Why the agreement's price list does not apply to `product` (None: it applies)."""
        key = ("skip", product.currency)
        if key not in self._labels:
            self._labels[key] = self._why_not_applied(product) or ""
        return self._labels[key] or None

    def _why_not_applied(self, product: Product) -> str | None:
        price_list = self.agreement.price_list if self.agreement else None
        if price_list is None:
            return None
        if not price_list.is_valid_on(self.day):
            return self.text(LIST_NOT_VALID) % {
                "name": price_list.name,
                "day": self.day.isoformat(),
            }
        if price_list.currency != product.currency:
            return self.text(LIST_CURRENCY) % {
                "name": price_list.name,
                "list": price_list.currency,
                "product": product.currency,
            }
        return None

    def _apply_price_list(
        self, product: Product, quantity: Decimal, unit: Decimal, steps: list[PriceStep]
    ) -> Decimal:
        agreement = self.agreement
        if agreement is None or agreement.price_list is None:
            return unit
        price_list = agreement.price_list
        skipped = self._skip_price_list(product)
        if skipped is not None:
            steps.append(
                PriceStep(
                    kind="price_list_skipped",
                    label=skipped,
                    unit_price=unit,
                    source=f"catalog.pricelist:{price_list.pk}",
                )
            )
            return unit
        # The most specific group with a break the quantity reaches decides.
        groups = (
            self.rules_by_product.get(product.pk),
            self.rules_by_line.get(product.line_id) if product.line_id else None,
            self.rules_for_all,
        )
        winners: Sequence[PriceRule] = ()
        reached = 0
        for group in groups:
            if group is None:
                continue
            count, top = group.reached(quantity)
            reached += count
            if not winners and count:
                winners = top
        if not winners:
            return unit
        price, _pk, rule = min((_rule_price(rule, unit), rule.id, rule) for rule in winners)
        steps.append(
            PriceStep(
                kind="rule",
                label=self._rule_label(price_list.name, rule, product.unit, reached - 1),
                unit_price=price,
                source=f"catalog.pricerule:{rule.pk}",
            )
        )
        return price

    def _rule_label(self, list_name: str, rule: PriceRule, unit: str, others: int) -> str:
        key = (rule.pk, unit, others)
        label = self._labels.get(key)
        if label is not None:
            return label
        if rule.fixed_price is not None:
            what = self.text(FIXED) % {"price": rule.fixed_price}
        else:
            percent = _label_number(rule.discount_percent or Decimal("0"))
            what = self.text(PERCENT_OFF) % {"percent": percent}
        label = self.text(RULE) % {
            "name": list_name,
            "scope": self.text(SCOPES[RuleScope(rule.scope)]),
            "quantity": _label_number(rule.min_quantity),
            "unit": unit,
            "what": what,
        }
        if others:
            label += " " + self.text(RULE_WON) % others
        self._labels[key] = label
        return label

    def _apply_promotion(self, product: Product, unit: Decimal, steps: list[PriceStep]) -> Decimal:
        if not (self.promotions_for_all or self.promotions_by_product or self.promotions_by_line):
            return unit
        covering = {
            p.pk: p
            for p in (
                *self.promotions_for_all,
                *self.promotions_by_product.get(product.pk, ()),
                *(self.promotions_by_line.get(product.line_id, ()) if product.line_id else ()),
            )
        }
        if not covering:
            return unit
        best = min(covering.values(), key=lambda p: (-p.discount_percent, p.pk))
        price = unit * (HUNDRED - best.discount_percent) / HUNDRED
        key = ("promotion", best.pk, len(covering))
        label = self._labels.get(key)
        if label is None:
            label = self.text(PROMOTION) % {
                "name": best.name,
                "percent": _label_number(best.discount_percent),
                "end": best.ends_on.isoformat(),
            }
            if len(covering) > 1:
                label += " " + self.text(PROMOTION_BEST) % len(covering)
            self._labels[key] = label
        steps.append(
            PriceStep(
                kind="promotion",
                label=label,
                unit_price=price,
                source=f"catalog.promotion:{best.pk}",
            )
        )
        return price

    def _apply_agreement_discount(
        self, product: Product, unit: Decimal, steps: list[PriceStep]
    ) -> Decimal:
        agreement = self.agreement
        if agreement is None:
            return unit
        percent = self.line_discounts.get(product.line_id) if product.line_id else None
        template = AGREEMENT_LINE
        if percent is None:
            percent, template = agreement.extra_discount_percent, AGREEMENT_ALL
        if not percent:
            return unit
        key = ("agreement", template, percent)
        label = self._labels.get(key)
        if label is None:
            label = self._labels[key] = self.text(template) % {
                "title": agreement.title,
                "percent": _label_number(percent),
            }
        price = unit * (HUNDRED - percent) / HUNDRED
        steps.append(
            PriceStep(
                kind="agreement",
                label=label,
                unit_price=price,
                source=f"catalog.agreement:{agreement.pk}",
            )
        )
        return price


def _for_channel(promotion: Promotion, channel: str) -> bool:
    channels = promotion.channels or []
    return not channels or channel in channels


def _rule_price(rule: PriceRule, unit: Decimal) -> Decimal:
    if rule.fixed_price is not None:
        return rule.fixed_price
    return unit * (HUNDRED - (rule.discount_percent or Decimal("0"))) / HUNDRED
