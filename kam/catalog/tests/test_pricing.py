"""The pricing function against hand-computed cases (docs/catalog.md, "Precedence")."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest

from kam.accounts.tests.factories import AccountFactory
from kam.catalog.choices import AgreementStatus, RuleScope
from kam.catalog.errors import PricingError
from kam.catalog.pricing import PriceRequest, price_lines
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


def _one(account: Any, product: Any, quantity: str = "1", **kwargs: Any) -> Any:
    result = price_lines(
        account=account, lines=[PriceRequest(product, D(quantity))], on=DAY, **kwargs
    )
    return result.lines[0]


def _kinds(line: Any) -> list[str]:
    return [step.kind for step in line.steps]


def test_a_prospect_pays_the_list_price() -> None:
    product = ProductFactory(list_price=D("19.99"), vat_rate=D("20.00"))

    line = _one(None, product, "3")

    assert (line.unit_price, line.total, line.tax) == (D("19.99"), D("59.97"), D("11.99"))
    assert _kinds(line) == ["list_price", "rounding"]
    assert line.steps[0].label == "List price 19.99 EUR"


def test_agreement_price_list_then_promotion_then_extra_discount_then_rounding() -> None:
    # Given list 100.00; rule 10% off; promotion 5%; agreement extra 3%:
    # 100 x 0.90 = 90; x 0.95 = 85.5; x 0.97 = 82.935 -> 82.94; x 7 = 580.58
    line_ = ProductLineFactory(name="Pumps")
    product = ProductFactory(line=line_, list_price=D("100.00"), unit="pcs")
    price_list = PriceListFactory(name="Key 2026")
    PriceRuleFactory(price_list=price_list, scope=RuleScope.ALL, discount_percent=D("10"))
    PromotionFactory(name="June", discount_percent=D("5"), products=[product])
    agreement = AgreementFactory(
        title="Frame", price_list=price_list, extra_discount_percent=D("3")
    )

    line = _one(agreement.account, product, "7")

    assert [step.unit_price for step in line.steps] == [
        D("100.00"),
        D("90.0000"),
        D("85.500000"),
        D("82.93500000"),
        D("82.94"),
    ]
    assert _kinds(line) == ["list_price", "rule", "promotion", "agreement", "rounding"]
    assert (line.unit_price, line.total) == (D("82.94"), D("580.58"))
    assert line.steps[1].label == "Price list Key 2026, all-products rule from 1 pcs: 10% off"
    assert line.steps[2].label == "Promotion “June”: 5% off (until 2026-06-30)"
    assert line.steps[3].label == "Agreement “Frame”: extra 3% off"
    assert line.discount_percent == D("17.06")


def test_overlapping_rules_most_specific_wins_then_highest_quantity_then_lowest_price() -> None:
    line_ = ProductLineFactory()
    product = ProductFactory(line=line_, list_price=D("50.00"))
    price_list = PriceListFactory(name="Overlap")
    PriceRuleFactory(price_list=price_list, scope=RuleScope.ALL, discount_percent=D("40"))
    PriceRuleFactory(
        price_list=price_list, scope=RuleScope.LINE, line=line_, discount_percent=D("30")
    )
    PriceRuleFactory(
        price_list=price_list,
        scope=RuleScope.PRODUCT,
        product=product,
        discount_percent=None,
        fixed_price=D("45.00"),
    )
    big = PriceRuleFactory(
        price_list=price_list,
        scope=RuleScope.PRODUCT,
        product=product,
        min_quantity=D("100"),
        discount_percent=None,
        fixed_price=D("44.00"),
    )
    PriceRuleFactory(  # same scope and break, lower price: wins the tie on price
        price_list=price_list,
        scope=RuleScope.PRODUCT,
        product=product,
        min_quantity=D("100"),
        discount_percent=D("20"),
    )
    agreement = AgreementFactory(price_list=price_list)

    small = _one(agreement.account, product, "99")
    large = _one(agreement.account, product, "100")

    # Below the break: the product rule (45.00) beats the cheaper line (35) and all (30) rules.
    assert small.unit_price == D("45.00")
    assert "product rule from 1 pcs: fixed price 45.00" in small.steps[1].label
    assert "won over 2 other matching rule(s)" in small.steps[1].label
    # At 100: the two product rules at the highest break; 20% off (40.00) is below 44.00.
    assert large.unit_price == D("40.00")
    assert large.steps[1].source != f"catalog.pricerule:{big.pk}"
    assert "from 100 pcs: 20% off" in large.steps[1].label


def test_a_line_rule_beats_an_all_products_rule_with_a_higher_break() -> None:
    line_ = ProductLineFactory()
    product = ProductFactory(line=line_, list_price=D("10.00"))
    price_list = PriceListFactory()
    PriceRuleFactory(
        price_list=price_list, scope=RuleScope.ALL, min_quantity=D("10"), discount_percent=D("50")
    )
    PriceRuleFactory(
        price_list=price_list, scope=RuleScope.LINE, line=line_, discount_percent=D("10")
    )
    agreement = AgreementFactory(price_list=price_list)

    line = _one(agreement.account, product, "10")

    assert line.unit_price == D("9.00")


def test_quantity_below_every_break_keeps_the_list_price() -> None:
    product = ProductFactory(list_price=D("10.00"))
    price_list = PriceListFactory()
    PriceRuleFactory(price_list=price_list, min_quantity=D("5"), discount_percent=D("10"))
    agreement = AgreementFactory(price_list=price_list)

    line = _one(agreement.account, product, "4.5")

    assert (line.unit_price, line.total) == (D("10.00"), D("45.00"))
    assert _kinds(line) == ["list_price", "rounding"]


def test_expired_and_future_promotions_and_other_channels_are_ignored() -> None:
    product = ProductFactory(list_price=D("100.00"))
    PromotionFactory(
        starts_on=datetime.date(2026, 5, 1),
        ends_on=datetime.date(2026, 6, 14),
        discount_percent=D("50"),
    )
    PromotionFactory(
        starts_on=datetime.date(2026, 6, 16),
        ends_on=datetime.date(2026, 7, 1),
        discount_percent=D("40"),
    )
    PromotionFactory(discount_percent=D("30"), channels=["web"])
    PromotionFactory(discount_percent=D("20"), is_active=False)

    direct = _one(None, product, channel="direct")
    web = _one(None, product, channel="web")

    assert direct.unit_price == D("100.00")
    assert web.unit_price == D("70.00")


def test_the_best_promotion_of_several_wins_and_its_last_day_counts() -> None:
    line_ = ProductLineFactory()
    product = ProductFactory(line=line_, list_price=D("80.00"))
    other = ProductFactory(list_price=D("80.00"))
    PromotionFactory(name="Line", discount_percent=D("15"), lines=[line_], ends_on=DAY)
    PromotionFactory(name="Item", discount_percent=D("10"), products=[product])
    PromotionFactory(name="Other", discount_percent=D("25"), products=[other])

    line = _one(None, product)

    assert line.unit_price == D("68.00")
    assert line.steps[1].label == (
        "Promotion “Line”: 15% off (until 2026-06-15) (the best of 2 promotions)"
    )


def test_a_price_list_in_another_currency_is_not_applied_and_says_so() -> None:
    product = ProductFactory(list_price=D("100.00"), currency="EUR")
    price_list = PriceListFactory(name="Dollar list", currency="USD")
    PriceRuleFactory(price_list=price_list, discount_percent=D("10"))
    agreement = AgreementFactory(price_list=price_list)

    line = _one(agreement.account, product)

    assert line.unit_price == D("100.00")
    assert line.steps[1].kind == "price_list_skipped"
    assert line.steps[1].label == (
        "Price list Dollar list not applied: it is in USD, the product in EUR"
    )


def test_lines_in_different_currencies_are_refused() -> None:
    euro = ProductFactory(currency="EUR")
    dollar = ProductFactory(currency="USD")

    with pytest.raises(PricingError) as error:
        price_lines(
            account=None,
            lines=[PriceRequest(euro, D("1")), PriceRequest(dollar, D("1"))],
            on=DAY,
        )

    assert "different currencies (EUR, USD)" in error.value.message


def test_an_expired_price_list_is_not_applied() -> None:
    product = ProductFactory(list_price=D("100.00"))
    price_list = PriceListFactory(valid_to=datetime.date(2026, 6, 14))
    PriceRuleFactory(price_list=price_list, discount_percent=D("10"))
    agreement = AgreementFactory(price_list=price_list)

    line = _one(agreement.account, product)

    assert line.unit_price == D("100.00")
    assert "not active or not valid on 2026-06-15" in line.steps[1].label


def test_the_line_discount_replaces_the_overall_extra_discount() -> None:
    pumps = ProductLineFactory()
    pump = ProductFactory(line=pumps, list_price=D("200.00"))
    valve = ProductFactory(list_price=D("200.00"))
    agreement = AgreementFactory(title="Deal", extra_discount_percent=D("2"))
    AgreementLineDiscountFactory(agreement=agreement, line=pumps, discount_percent=D("7.5"))

    result = price_lines(
        account=agreement.account,
        lines=[PriceRequest(pump, D("1")), PriceRequest(valve, D("1"))],
        on=DAY,
    )

    assert [line.unit_price for line in result.lines] == [D("185.00"), D("196.00")]
    assert result.lines[0].steps[1].label == (
        "Agreement “Deal”: extra 7.5% off on this product line"
    )
    assert result.total == D("381.00")
    assert result.notes == ("Agreement “Deal” applied.",)


def test_rounding_half_up_on_the_unit_price_then_on_the_total() -> None:
    # 9.99 x 0.85 = 8.4915 -> 8.49; x 3 = 25.47 (not 8.4915 x 3 = 25.4745)
    product = ProductFactory(list_price=D("9.99"), vat_rate=D("7.00"))
    agreement = AgreementFactory(extra_discount_percent=D("15"))
    # 0.125 rounds up: 0.25 x 0.5 = 0.125 -> 0.13
    cheap = ProductFactory(list_price=D("0.25"), vat_rate=D("0"))
    half = AgreementFactory(extra_discount_percent=D("50"))

    line = _one(agreement.account, product, "3")
    cheap_line = _one(half.account, cheap, "1")

    assert (line.unit_price, line.total, line.tax) == (D("8.49"), D("25.47"), D("1.78"))
    assert cheap_line.unit_price == D("0.13")


def test_a_subsidiary_inherits_the_group_agreement_unless_it_has_its_own() -> None:
    product = ProductFactory(list_price=D("100.00"))
    group = AccountFactory()
    daughter = AccountFactory(parent=group)
    granddaughter = AccountFactory(parent=daughter)
    own = AccountFactory(parent=group)
    AgreementFactory(account=group, extra_discount_percent=D("10"))
    AgreementFactory(account=own, extra_discount_percent=D("20"))
    AgreementFactory(  # a draft of its own does not replace the group's
        account=daughter, extra_discount_percent=D("50"), status=AgreementStatus.DRAFT
    )

    prices = [_one(account, product).unit_price for account in (granddaughter, own, daughter)]

    assert prices == [D("90.00"), D("80.00"), D("90.00")]


def test_the_number_of_queries_does_not_grow_with_the_lines(
    django_assert_max_num_queries: Any,
) -> None:
    line_ = ProductLineFactory()
    price_list = PriceListFactory()
    PriceRuleFactory(price_list=price_list, discount_percent=D("10"))
    PriceRuleFactory(
        price_list=price_list, scope=RuleScope.LINE, line=line_, discount_percent=D("12")
    )
    PromotionFactory(discount_percent=D("5"), lines=[line_])
    agreement = AgreementFactory(price_list=price_list, extra_discount_percent=D("1"))
    AgreementLineDiscountFactory(agreement=agreement, line=line_)
    products = [ProductFactory(line=line_) for _ in range(40)]

    def run(count: int) -> Any:
        requests = [PriceRequest(p, D("2")) for p in products[:count]]
        return price_lines(account=agreement.account, lines=requests, on=DAY)

    with django_assert_max_num_queries(8) as few:
        run(2)
    with django_assert_max_num_queries(len(few.captured_queries)):
        result = run(40)
    assert len(result.lines) == 40
