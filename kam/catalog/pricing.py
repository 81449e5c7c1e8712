"""The one pricing function: every price in KAM (quotes, orders, the API) comes from here.

Contract for callers (orders, quotes, the API), stable while the rules behind it grow:

    price_lines(account=..., lines=[PriceRequest(product, quantity), ...], on=date) -> PriceResult

It is deterministic (same inputs, same prices) and explains itself: every `PricedLine` carries the
ordered `steps` that turned the list price into the unit price. A request's product is a `Product`
or anything with the same pricing fields (`Priceable`): a caller holding only product ids loads
them with `selectors.products_for_pricing` (one query, no model instances).

Cost: a constant number of queries whatever the number of lines (the agreement, its line
discounts, its price list's rules for these products, lines and all products, the running
promotions and what they name), read as values, indexed once per call (rules by product, by
line and for all products, ascending by quantity break); each step's label is made once per
call and shared by the lines it applies to (benchmarks/pricing.py measures it).

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
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from kam.catalog.choices import RuleScope
from kam.catalog.errors import PricingError
from kam.catalog.models import AgreementLineDiscount, PriceRule, Promotion

if TYPE_CHECKING:
    from kam.catalog.models import Agreement, PriceList

HUNDRED = Decimal("100")

CENT = Decimal("0.01")


def money(value: Decimal) -> Decimal:
    """Round half up to cents: the rounding every stored and shown amount uses."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


class Priceable(Protocol):
    """What pricing reads of a product: a `Product`, or the lighter `PricingProduct` that
    `selectors.products_for_pricing` loads (no model instances to build)."""

    @property
    def pk(self) -> Any: ...

    @property
    def line_id(self) -> int | None: ...

    @property
    def unit(self) -> str: ...

    @property
    def list_price(self) -> Decimal: ...

    @property
    def currency(self) -> str: ...

    @property
    def vat_rate(self) -> Decimal: ...


@dataclass(frozen=True)
class PriceRequest:
    product: Priceable
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
    price = conditions.price
    priced = tuple([price(request) for request in lines])
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
SCOPES: dict[str, str] = {
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


class Rule(NamedTuple):
    """What pricing reads of a `PriceRule` (loaded with `values_list`, no model instances)."""

    pk: int
    scope: str
    min_quantity: Decimal
    fixed_price: Decimal | None
    discount_percent: Decimal | None


class RunningPromotion(NamedTuple):
    """What pricing reads of a running `Promotion`."""

    pk: int
    name: str
    ends_on: date
    discount_percent: Decimal


@dataclass(frozen=True)
class RuleGroup:
    """Rules of one scope for one product (or line, or all products), ascending by minimum
    quantity then age."""

    minimums: tuple[Decimal, ...]
    rules: tuple[Rule, ...]

    @classmethod
    def of(cls, rules: list[Rule]) -> RuleGroup:
        ordered = sorted(rules, key=lambda rule: (rule.min_quantity, rule.pk))
        return cls(tuple(rule.min_quantity for rule in ordered), tuple(ordered))

    def reached(self, quantity: Decimal) -> tuple[int, tuple[Rule, ...]]:
        """How many rules `quantity` reaches, and those at the highest break it reaches."""
        count = bisect_right(self.minimums, quantity)
        if not count:
            return 0, ()
        first = bisect_left(self.minimums, self.minimums[count - 1])
        return count, self.rules[first:count]


# What a step adds, found once per call and kept (label, source): per rule and per line.
_Made = tuple[str, str]


@dataclass
class Conditions:
    """Everything that may change a price for one account on one day, loaded in a few queries
    and indexed by product and line, so that pricing a line looks at its own rules only.

    The labels of the steps are made once per call and kept, so the same rule, promotion or
    discount on many lines costs one formatting."""

    day: date
    channel: str
    agreement: Agreement | None = None
    # The agreement's price list when it applies that day (loaded rules), else None.
    price_list: PriceList | None = None
    # Rules by product, by line and for all products, each ascending by minimum quantity
    # (`RuleGroup`), so that a line finds the breaks it reaches by bisection.
    rules_by_product: dict[int, RuleGroup] = field(default_factory=dict)
    rules_by_line: dict[int, RuleGroup] = field(default_factory=dict)
    rules_for_all: RuleGroup | None = None
    promotions_for_all: list[RunningPromotion] = field(default_factory=list)
    promotions_by_product: dict[int, list[RunningPromotion]] = field(default_factory=dict)
    promotions_by_line: dict[int, list[RunningPromotion]] = field(default_factory=dict)
    line_discounts: dict[int, Decimal] = field(default_factory=dict)
    _texts: dict[str, str] = field(default_factory=dict)
    _labels: dict[Any, _Made] = field(default_factory=dict)
    # Per currency: the step saying why the price list does not apply ("": it applies).
    _skipped: dict[str, str] = field(default_factory=dict)
    # Per product line (None: no line): the best promotion's step and percent, or None.
    _promotion_of_line: dict[int | None, tuple[Decimal, str, str] | None] = field(
        default_factory=dict
    )
    # Per product line (None: no line): the agreement's discount and its step, or None.
    _discount_of_line: dict[int | None, tuple[Decimal, str, str] | None] = field(
        default_factory=dict
    )
    # Set by `_prepare` once loaded.
    _list_price_text: str = ""
    _rounded_text: str = ""
    _has_price_list: bool = False
    _has_promotions: bool = False

    @classmethod
    def load(
        cls, *, account: Any | None, lines: Sequence[PriceRequest], on: date, channel: str
    ) -> Conditions:
        """Load the conditions: the agreement in force with its price list (one query, plus
        one per group level above the account), its line discounts and the rules of its price
        list for these products, lines and all products (one query each), the promotions
        running that day and what they cover (two queries when some run, one otherwise)."""
        from kam.catalog.selectors import agreement_for

        conditions = cls(day=on, channel=channel)
        if not lines:
            conditions._prepare()
            return conditions
        if account is not None and getattr(account, "pk", None) is not None:
            conditions.agreement = agreement_for(account=account, on=on)
        product_ids = {request.product.pk for request in lines}
        line_ids = {request.product.line_id for request in lines} - {None}
        if conditions.agreement is not None:
            conditions._load_agreement(conditions.agreement, product_ids, line_ids)
        conditions._load_promotions(product_ids, line_ids)
        conditions._prepare()
        return conditions

    def _prepare(self) -> None:
        """What every line asks, answered once: the texts of the steps each line has, and
        which steps may apply at all."""
        self._list_price_text = self.text(LIST_PRICE)
        self._rounded_text = self.text(ROUNDED)
        agreement = self.agreement
        self._has_price_list = agreement is not None and agreement.price_list_id is not None
        self._has_promotions = bool(
            self.promotions_for_all or self.promotions_by_product or self.promotions_by_line
        )

    def _load_agreement(
        self, agreement: Agreement, product_ids: set[Any], line_ids: set[Any]
    ) -> None:
        # All the agreement's line discounts (a handful): cheaper than naming the lines.
        self.line_discounts = dict(
            AgreementLineDiscount.objects.filter(agreement_id=agreement.pk)
            .order_by()
            .values_list("line_id", "discount_percent")
        )
        price_list = agreement.price_list
        if price_list is None or not price_list.is_valid_on(self.day):
            return
        self.price_list = price_list
        rules = (
            PriceRule.objects.filter(price_list_id=price_list.pk)
            .filter(
                Q(scope=RuleScope.ALL)
                # `product__pk__in`, not `product_id__in`: the same SQL, without the checks
                # Django makes on each value of a relation's lookup (200 ids: about 0.3 ms).
                | Q(scope=RuleScope.PRODUCT, product__pk__in=product_ids)
                | Q(scope=RuleScope.LINE, line__pk__in=line_ids)
            )
            .order_by()
            .values_list(
                "pk",
                "scope",
                "product_id",
                "line_id",
                "min_quantity",
                "fixed_price",
                "discount_percent",
            )
        )
        by_product: dict[int, list[Rule]] = {}
        by_line: dict[int, list[Rule]] = {}
        for_all: list[Rule] = []
        for pk, scope, product_id, line_id, minimum, fixed, percent in rules:
            rule = Rule(pk, scope, minimum, fixed, percent)
            if scope == RuleScope.PRODUCT and product_id is not None:
                by_product.setdefault(product_id, []).append(rule)
            elif scope == RuleScope.LINE and line_id is not None:
                by_line.setdefault(line_id, []).append(rule)
            elif scope == RuleScope.ALL:
                for_all.append(rule)
        self.rules_by_product = {key: RuleGroup.of(group) for key, group in by_product.items()}
        self.rules_by_line = {key: RuleGroup.of(group) for key, group in by_line.items()}
        self.rules_for_all = RuleGroup.of(for_all) if for_all else None

    def _load_promotions(self, product_ids: set[Any], line_ids: set[Any]) -> None:
        running = Promotion.objects.filter(
            is_active=True, starts_on__lte=self.day, ends_on__gte=self.day
        ).order_by()
        channel = self.channel
        promotions = {
            pk: RunningPromotion(pk, name, ends_on, percent)
            for pk, name, ends_on, percent, channels in running.values_list(
                "pk", "name", "ends_on", "discount_percent", "channels"
            )
            if not channels or channel in channels
        }
        if not promotions:
            return
        named: set[int] = set()
        for promotion_id, target_id, is_line in _promotion_targets(list(promotions)):
            named.add(promotion_id)
            if is_line:
                if target_id in line_ids:
                    self.promotions_by_line.setdefault(target_id, []).append(
                        promotions[promotion_id]
                    )
            elif target_id in product_ids:
                self.promotions_by_product.setdefault(target_id, []).append(
                    promotions[promotion_id]
                )
        self.promotions_for_all = [p for pk, p in sorted(promotions.items()) if pk not in named]

    def text(self, message: str) -> str:
        """`message` translated into the active language (once per call)."""
        translated = self._texts.get(message)
        if translated is None:
            translated = self._texts[message] = _(message)
        return translated

    # --- pricing one line -----------------------------------------------------------------

    def price(self, request: PriceRequest) -> PricedLine:
        product = request.product
        quantity = request.quantity
        list_price = unit = product.list_price
        currency = product.currency
        line_id = product.line_id
        steps = [
            PriceStep(
                "list_price",
                self._list_price_text % {"price": money(list_price), "currency": currency},
                list_price,
            )
        ]
        if self._has_price_list:
            unit = self._apply_price_list(product, quantity, unit, steps)
        if self._has_promotions:
            unit = self._apply_promotion(product.pk, line_id, unit, steps)
        if self.agreement is not None:
            unit = self._apply_agreement_discount(line_id, unit, steps)
        rounded = unit.quantize(CENT, rounding=ROUND_HALF_UP)
        steps.append(
            PriceStep(
                "rounding",
                self._rounded_text % {"price": rounded, "currency": currency},
                rounded,
            )
        )
        total = (rounded * quantity).quantize(CENT, rounding=ROUND_HALF_UP)
        vat_rate = product.vat_rate
        return PricedLine(
            product.pk,
            quantity,
            currency,
            list_price,
            rounded,
            total,
            vat_rate,
            (total * vat_rate / HUNDRED).quantize(CENT, rounding=ROUND_HALF_UP),
            tuple(steps),
        )

    def _skip_price_list(self, currency: str) -> str:
        """Why the agreement's price list does not apply to a product in `currency` ("": it
        applies)."""
        skipped = self._skipped.get(currency)
        if skipped is None:
            skipped = self._skipped[currency] = self._why_not_applied(currency) or ""
        return skipped

    def _why_not_applied(self, currency: str) -> str | None:
        price_list = self.agreement.price_list if self.agreement else None
        if price_list is None:
            return None
        if not price_list.is_valid_on(self.day):
            return self.text(LIST_NOT_VALID) % {
                "name": price_list.name,
                "day": self.day.isoformat(),
            }
        if price_list.currency != currency:
            return self.text(LIST_CURRENCY) % {
                "name": price_list.name,
                "list": price_list.currency,
                "product": currency,
            }
        return None

    def _apply_price_list(
        self, product: Priceable, quantity: Decimal, unit: Decimal, steps: list[PriceStep]
    ) -> Decimal:
        skipped = self._skip_price_list(product.currency)
        if skipped:
            price_list = self.agreement.price_list if self.agreement else None
            source = f"catalog.pricelist:{price_list.pk if price_list else ''}"
            steps.append(PriceStep("price_list_skipped", skipped, unit, source))
            return unit
        # The most specific group with a break the quantity reaches decides.
        line_id = product.line_id
        winners: tuple[Rule, ...] = ()
        reached = 0
        for group in (
            self.rules_by_product.get(product.pk),
            self.rules_by_line.get(line_id) if line_id else None,
            self.rules_for_all,
        ):
            if group is not None:
                count, top = group.reached(quantity)
                if count:
                    reached += count
                    if not winners:
                        winners = top
        if not winners:
            return unit
        if len(winners) == 1:
            rule = winners[0]
            price = _rule_price(rule, unit)
        else:
            price, _pk, rule = min((_rule_price(rule, unit), rule.pk, rule) for rule in winners)
        label, source = self._rule_step(rule, product.unit, reached - 1)
        steps.append(PriceStep("rule", label, price, source))
        return price

    def _rule_step(self, rule: Rule, unit: str, others: int) -> _Made:
        key = (rule.pk, unit, others)
        made = self._labels.get(key)
        if made is None:
            label, source = self._rule_base(rule, unit)
            if others:
                label += " " + self.text(RULE_WON) % others
            made = self._labels[key] = (label, source)
        return made

    def _rule_base(self, rule: Rule, unit: str) -> _Made:
        """The label of `rule` for products sold in `unit`, before "(won over ...)"."""
        key = (rule.pk, unit)
        made = self._labels.get(key)
        if made is not None:
            return made
        if rule.fixed_price is not None:
            what = self.text(FIXED) % {"price": rule.fixed_price}
        else:
            percent = _label_number(rule.discount_percent or Decimal("0"))
            what = self.text(PERCENT_OFF) % {"percent": percent}
        label = self.text(RULE) % {
            "name": self.price_list.name if self.price_list else "",
            "scope": self.text(SCOPES[rule.scope]),
            "quantity": _label_number(rule.min_quantity),
            "unit": unit,
            "what": what,
        }
        made = self._labels[key] = (label, f"catalog.pricerule:{rule.pk}")
        return made

    def _apply_promotion(
        self, product_id: Any, line_id: int | None, unit: Decimal, steps: list[PriceStep]
    ) -> Decimal:
        own = self.promotions_by_product.get(product_id)
        if own:
            best = self._best_promotion(own, line_id)  # rare: not shared with other products
        else:
            known = self._promotion_of_line
            best = (
                known[line_id]
                if line_id in known
                else known.setdefault(line_id, self._best_promotion((), line_id))
            )
        if best is None:
            return unit
        percent, label, source = best
        price = unit * (HUNDRED - percent) / HUNDRED
        steps.append(PriceStep("promotion", label, price, source))
        return price

    def _best_promotion(
        self, own: Sequence[RunningPromotion], line_id: int | None
    ) -> tuple[Decimal, str, str] | None:
        """The best promotion covering a product with promotions `own` in line `line_id`: its
        percent and its step (label, source); None when none covers it."""
        covering = {
            p.pk: p
            for p in (
                *self.promotions_for_all,
                *own,
                *(self.promotions_by_line.get(line_id, ()) if line_id else ()),
            )
        }
        if not covering:
            return None
        best = min(covering.values(), key=lambda p: (-p.discount_percent, p.pk))
        key = ("promotion", best.pk, len(covering))
        made = self._labels.get(key)
        if made is None:
            label = self.text(PROMOTION) % {
                "name": best.name,
                "percent": _label_number(best.discount_percent),
                "end": best.ends_on.isoformat(),
            }
            if len(covering) > 1:
                label += " " + self.text(PROMOTION_BEST) % len(covering)
            made = self._labels[key] = (label, f"catalog.promotion:{best.pk}")
        return best.discount_percent, made[0], made[1]

    def _apply_agreement_discount(
        self, line_id: int | None, unit: Decimal, steps: list[PriceStep]
    ) -> Decimal:
        known = self._discount_of_line
        discount = (
            known[line_id]
            if line_id in known
            else known.setdefault(line_id, self._agreement_discount(line_id))
        )
        if discount is None:
            return unit
        percent, label, source = discount
        price = unit * (HUNDRED - percent) / HUNDRED
        steps.append(PriceStep("agreement", label, price, source))
        return price

    def _agreement_discount(self, line_id: int | None) -> tuple[Decimal, str, str] | None:
        """The agreement's discount on products of line `line_id` and its step (label,
        source): its discount for the line when it has one, else its overall one."""
        agreement = self.agreement
        if agreement is None:
            return None
        percent = self.line_discounts.get(line_id) if line_id else None
        template = AGREEMENT_LINE
        if percent is None:
            percent, template = agreement.extra_discount_percent, AGREEMENT_ALL
        if not percent:
            return None
        label = self.text(template) % {
            "title": agreement.title,
            "percent": _label_number(percent),
        }
        return percent, label, f"catalog.agreement:{agreement.pk}"


def _promotion_targets(promotion_ids: list[int]) -> list[tuple[int, int, bool]]:
    """What the promotions name, in one query: (promotion id, product or line id, is_line)."""
    products = Promotion.products.through.objects.filter(promotion_id__in=promotion_ids)
    lines = Promotion.lines.through.objects.filter(promotion_id__in=promotion_ids)
    return [
        *((p, target, False) for p, target in products.values_list("promotion_id", "product_id")),
        *((p, target, True) for p, target in lines.values_list("promotion_id", "productline_id")),
    ]


def _rule_price(rule: Rule, unit: Decimal) -> Decimal:
    if rule.fixed_price is not None:
        return rule.fixed_price
    return unit * (HUNDRED - (rule.discount_percent or Decimal("0"))) / HUNDRED
