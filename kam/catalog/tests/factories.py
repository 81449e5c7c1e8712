from __future__ import annotations

import datetime
from decimal import Decimal

import factory

from kam.accounts.tests.factories import AccountFactory
from kam.catalog.choices import AgreementStatus, RuleScope
from kam.catalog.models import (
    Agreement,
    AgreementLineDiscount,
    BonusTier,
    BundleComponent,
    PriceList,
    PriceRule,
    Product,
    ProductLine,
    Promotion,
    VolumeTarget,
)


class ProductLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProductLine

    name = factory.Sequence(lambda n: f"Line {n}")
    code = factory.Sequence(lambda n: f"L{n}")


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product
        skip_postgeneration_save = True

    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    name = factory.Sequence(lambda n: f"Product {n}")
    line = factory.SubFactory(ProductLineFactory)
    list_price = Decimal("100.00")
    currency = "EUR"
    vat_rate = Decimal("20.00")


class BundleComponentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BundleComponent

    bundle = factory.SubFactory(ProductFactory)
    component = factory.SubFactory(ProductFactory)
    quantity = Decimal("1")


class PriceListFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PriceList

    name = factory.Sequence(lambda n: f"Price list {n}")
    currency = "EUR"
    valid_from = datetime.date(2026, 1, 1)
    valid_to = datetime.date(2026, 12, 31)


class PriceRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PriceRule

    price_list = factory.SubFactory(PriceListFactory)
    scope = RuleScope.ALL
    min_quantity = Decimal("1")
    discount_percent = Decimal("10.00")


class PromotionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Promotion
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Promotion {n}")
    starts_on = datetime.date(2026, 6, 1)
    ends_on = datetime.date(2026, 6, 30)
    discount_percent = Decimal("5.00")
    channels: list[str] = []

    @factory.post_generation
    def products(self, create: bool, extracted: list[Product] | None, **kwargs: object) -> None:
        if create and extracted:
            self.products.set(extracted)  # type: ignore[attr-defined]

    @factory.post_generation
    def lines(self, create: bool, extracted: list[ProductLine] | None, **kwargs: object) -> None:
        if create and extracted:
            self.lines.set(extracted)  # type: ignore[attr-defined]


class AgreementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agreement

    account = factory.SubFactory(AccountFactory)
    title = factory.Sequence(lambda n: f"Agreement {n}")
    status = AgreementStatus.APPROVED
    valid_from = datetime.date(2026, 1, 1)
    valid_to = datetime.date(2026, 12, 31)
    extra_discount_percent = Decimal("0")
    currency = "EUR"


class AgreementLineDiscountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AgreementLineDiscount

    agreement = factory.SubFactory(AgreementFactory)
    line = factory.SubFactory(ProductLineFactory)
    discount_percent = Decimal("3.00")


class VolumeTargetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = VolumeTarget

    agreement = factory.SubFactory(AgreementFactory)
    period_start = datetime.date(2026, 1, 1)
    period_end = datetime.date(2026, 12, 31)
    target_amount = Decimal("100000.00")


class BonusTierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BonusTier

    target = factory.SubFactory(VolumeTargetFactory)
    threshold_amount = Decimal("50000.00")
    bonus_percent = Decimal("1.00")
