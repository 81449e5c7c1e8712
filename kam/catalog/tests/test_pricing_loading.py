"""How price_lines loads and reuses the conditions: light products, the rules it reads, the
steps it keeps per call (kam/catalog/pricing.py, `Conditions`)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from kam.catalog.choices import RuleScope
from kam.catalog.pricing import PriceRequest, price_lines
from kam.catalog.selectors import PricingProduct, products_by_id, products_for_pricing
from kam.catalog.tests.factories import (
    AgreementFactory,
    AgreementLineDiscountFactory,
    PriceListFactory,
    PriceRuleFactory,
    ProductFactory,
    ProductLineFactory,
    PromotionFactory,
)

pytestmark = pytest.mark.django_db
DAY = datetime.date(2026, 6, 15)
D = Decimal


def _labels(line: Any) -> list[str]:
    return [step.label for step in line.steps]


def _conditions() -> tuple[Any, list[Any]]:
    """An agreement with rules of every scope, a line discount and promotions; four products."""
    pumps, valves = ProductLineFactory(name="Pumps"), ProductLineFactory(name="Valves")
    pump = ProductFactory(line=pumps, list_price=D("120.00"), vat_rate=D("20.00"))
    small_pump = ProductFactory(line=pumps, list_price=D("40.00"), unit="kg")
    valve = ProductFactory(line=valves, list_price=D("15.50"), vat_rate=D("7.00"))
    loose = ProductFactory(line=None, list_price=D("9.99"))
    price_list = PriceListFactory(name="Key")
    PriceRuleFactory(price_list=price_list, scope=RuleScope.ALL, discount_percent=D("5"))
    PriceRuleFactory(
        price_list=price_list,
        scope=RuleScope.LINE,
        line=pumps,
        min_quantity=D("10"),
        discount_percent=D("12"),
    )
    PriceRuleFactory(
        price_list=price_list,
        scope=RuleScope.PRODUCT,
        product=pump,
        min_quantity=D("20"),
        discount_percent=None,
        fixed_price=D("99.00"),
    )
    PromotionFactory(name="Pump week", discount_percent=D("3"), lines=[pumps])
    PromotionFactory(name="Valve day", discount_percent=D("8"), products=[valve])
    agreement = AgreementFactory(
        title="Frame", price_list=price_list, extra_discount_percent=D("1.5")
    )
    AgreementLineDiscountFactory(agreement=agreement, line=valves, discount_percent=D("4"))
    return agreement, [pump, small_pump, valve, loose]


def test_light_products_price_exactly_as_model_instances() -> None:
    # Given the same order, once with Product instances and once with products_for_pricing
    agreement, products = _conditions()
    quantities = [D("25"), D("10"), D("3"), D("1")]
    ids = [product.pk for product in products]
    instances = products_by_id(ids=ids)
    light = products_for_pricing(ids=ids)

    def run(loaded: dict[int, Any]) -> Any:
        requests = [PriceRequest(loaded[pk], q) for pk, q in zip(ids, quantities, strict=True)]
        return price_lines(account=agreement.account, lines=requests, on=DAY)

    # When both are priced
    with_instances, with_light = run(instances), run(light)

    # Then every line, step and total is the same
    assert with_light == with_instances
    assert isinstance(light[ids[0]], PricingProduct)
    # pump: fixed 99.00 from 20, then the line promotion 3%, then the overall 1.5%
    assert [step.unit_price for step in with_light.lines[0].steps] == [
        D("120.00"),
        D("99.00"),
        D("96.0300"),
        D("94.58955000"),
        D("94.59"),
    ]
    assert with_light.lines[1].steps[1].label == (
        "Price list Key, product line rule from 10 kg: 12% off "
        "(won over 1 other matching rule(s): most specific, then highest minimum quantity, "
        "then lowest price)"
    )
    # valve: all-products 5%, its own promotion 8%, the line discount 4% (not the overall one)
    assert _labels(with_light.lines[2])[1:4] == [
        "Price list Key, all-products rule from 1 pcs: 5% off",
        "Promotion “Valve day”: 8% off (until 2026-06-30)",
        "Agreement “Frame”: extra 4% off on this product line",
    ]
    # 94.59 x 25 + 33.63 x 10 + 13.01 x 3 + 9.35 x 1; VAT 20%, 20%, 7%, 20% of each line
    assert [line.total for line in with_light.lines] == [
        D("2364.75"),
        D("336.30"),
        D("39.03"),
        D("9.35"),
    ]
    assert (with_light.total, with_light.tax) == (D("2749.43"), D("544.81"))


def test_products_for_pricing_leaves_out_the_trash_and_unknown_ids() -> None:
    kept = ProductFactory(list_price=D("12.30"), unit="m", currency="EUR", vat_rate=D("10.00"))
    binned = ProductFactory(deleted_at=timezone.now())

    loaded = products_for_pricing(ids=[kept.pk, binned.pk, kept.pk + binned.pk + 1000])

    assert list(loaded) == [kept.pk]
    assert loaded[kept.pk] == PricingProduct(
        kept.pk, kept.line_id, "m", D("12.30"), "EUR", D("10.00")
    )


def test_a_promotion_of_one_product_does_not_spread_to_its_line() -> None:
    # Given two products of one line, a promotion on the line and a better one on the first
    line_ = ProductLineFactory()
    first = ProductFactory(line=line_, list_price=D("100.00"))
    second = ProductFactory(line=line_, list_price=D("100.00"))
    PromotionFactory(name="Line", discount_percent=D("10"), lines=[line_])
    PromotionFactory(name="First", discount_percent=D("20"), products=[first])

    # When the second is priced after the first, and before it in another call
    after = price_lines(
        account=None, lines=[PriceRequest(first, D("1")), PriceRequest(second, D("1"))], on=DAY
    )
    before = price_lines(
        account=None, lines=[PriceRequest(second, D("1")), PriceRequest(first, D("1"))], on=DAY
    )

    # Then each keeps its own best promotion whatever the order
    assert [line.unit_price for line in after.lines] == [D("80.00"), D("90.00")]
    assert [line.unit_price for line in before.lines] == [D("90.00"), D("80.00")]
    assert after.lines[0].steps[1].label == (
        "Promotion “First”: 20% off (until 2026-06-30) (the best of 2 promotions)"
    )
    assert after.lines[1].steps[1].label == "Promotion “Line”: 10% off (until 2026-06-30)"


def test_one_rule_winning_on_several_lines_says_what_it_won_over_on_each() -> None:
    # Given an all-products rule and a higher break for one product only
    product = ProductFactory(list_price=D("10.00"), unit="box")
    other = ProductFactory(list_price=D("10.00"), unit="pcs")
    price_list = PriceListFactory(name="Breaks")
    PriceRuleFactory(price_list=price_list, scope=RuleScope.ALL, discount_percent=D("10"))
    PriceRuleFactory(
        price_list=price_list,
        scope=RuleScope.ALL,
        min_quantity=D("50"),
        discount_percent=D("15"),
    )
    PriceRuleFactory(  # another product's rule: not a matching rule for these lines
        price_list=price_list,
        scope=RuleScope.PRODUCT,
        product=ProductFactory(),
        discount_percent=D("90"),
    )
    agreement = AgreementFactory(price_list=price_list)

    # When the same rules decide several lines with other units and quantities
    result = price_lines(
        account=agreement.account,
        lines=[
            PriceRequest(product, D("5")),
            PriceRequest(other, D("5")),
            PriceRequest(product, D("60")),
            PriceRequest(other, D("60")),
        ],
        on=DAY,
    )

    # Then each label names the line's unit and the rules it won over
    assert [line.steps[1].label for line in result.lines] == [
        "Price list Breaks, all-products rule from 1 box: 10% off",
        "Price list Breaks, all-products rule from 1 pcs: 10% off",
        "Price list Breaks, all-products rule from 50 box: 15% off (won over 1 other matching "
        "rule(s): most specific, then highest minimum quantity, then lowest price)",
        "Price list Breaks, all-products rule from 50 pcs: 15% off (won over 1 other matching "
        "rule(s): most specific, then highest minimum quantity, then lowest price)",
    ]
    assert [line.unit_price for line in result.lines] == [
        D("9.00"),
        D("9.00"),
        D("8.50"),
        D("8.50"),
    ]


def test_a_promotion_in_the_trash_is_ignored() -> None:
    product = ProductFactory(list_price=D("50.00"))
    PromotionFactory(discount_percent=D("30"), products=[product], deleted_at=timezone.now())

    result = price_lines(account=None, lines=[PriceRequest(product, D("2"))], on=DAY)

    assert (result.lines[0].unit_price, result.total) == (D("50.00"), D("100.00"))


def test_the_queries_of_a_call_are_counted_and_do_not_depend_on_the_lines(
    django_assert_num_queries: Any,
) -> None:
    # Given conditions of every kind and products loaded light
    agreement, products = _conditions()
    loaded = products_for_pricing(ids=[product.pk for product in products])
    requests = [PriceRequest(loaded[product.pk], D("30")) for product in products]

    # Then: the agreement, its line discounts, its rules, the running promotions and what
    # they name (products, lines): six queries for one line as for four
    with django_assert_num_queries(6):
        one = price_lines(account=agreement.account, lines=requests[:1], on=DAY)
    with django_assert_num_queries(6):
        four = price_lines(account=agreement.account, lines=requests, on=DAY)
    assert (one.lines[0], len(four.lines)) == (four.lines[0], 4)
