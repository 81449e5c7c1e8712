"""Demo catalog: product lines and a few hundred products (related, complementary, bundles),
price lists with rules, promotions (past, running, coming) and approved key-account agreements
with volume targets and bonus tiers for the key accounts (their subsidiaries inherit them).
Deterministic for a given `rng` and day.

Call it after `generator.generate()` (it needs the accounts and a head of sales):

    tables = catalog_data.generate(rng=random.Random(seed * 15485863 + 8), size=size)
    for table, count in tables.items():
        result.tables[table] = result.tables.get(table, 0) + count
        result.rows += count
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from kam.accounts.models import Account
from kam.catalog.choices import AgreementStatus, Channel, RuleScope
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
from kam.core.roles import Role
from kam.users.models import User

LINES = [
    ("Pumps", "PMP", "pcs", ("Centrifugal pump", "Submersible pump", "Dosing pump", "Booster")),
    ("Valves", "VLV", "pcs", ("Ball valve", "Gate valve", "Check valve", "Butterfly valve")),
    ("Pipes and fittings", "PIP", "m", ("Steel pipe", "PE pipe", "Elbow", "Tee", "Coupling")),
    ("Sensors", "SNS", "pcs", ("Pressure sensor", "Flow meter", "Level switch", "Thermometer")),
    ("Controllers", "CTL", "pcs", ("Pump controller", "PLC module", "Frequency drive")),
    ("Seals and spare parts", "SPR", "pcs", ("Mechanical seal", "O-ring kit", "Impeller")),
    ("Filters", "FLT", "pcs", ("Cartridge filter", "Strainer", "Bag filter")),
    ("Services", "SRV", "h", ("Installation", "Commissioning", "Maintenance visit")),
]
SIZES = ["DN15", "DN25", "DN40", "DN50", "DN80", "DN100", "DN150"]
PRODUCTS_PER_SIZE = {"small": 300, "medium": 400, "large": 500}
KEY_TIERS = ("key", "strategic")


def generate(
    *,
    rng: random.Random,
    size: str = "small",
    accounts: Sequence[Account] | None = None,
    today: date | None = None,
) -> dict[str, int]:
    """Insert the demo catalog; returns the rows written per table.

    `accounts`: those that get agreements (default: the live key accounts, at most 40).
    """
    today = today or timezone.localdate()
    with transaction.atomic():
        lines = _lines()
        products = _products(rng, lines, PRODUCTS_PER_SIZE.get(size, 300), today)
        links = _relations(rng, products)
        bundles = _bundles(rng, lines, products, today)
        price_lists, rules = _price_lists(rng, lines, products, today)
        promotions = _promotions(rng, lines, products, today)
        chosen = list(accounts) if accounts is not None else _key_accounts()
        counts = _agreements(rng, chosen, price_lists, lines, today)
    return {
        ProductLine._meta.db_table: len(lines),
        Product._meta.db_table: len(products) + bundles[0],
        "catalog_product_related": links[0],
        "catalog_product_complementary": links[1],
        BundleComponent._meta.db_table: bundles[1],
        PriceList._meta.db_table: len(price_lists),
        PriceRule._meta.db_table: rules,
        Promotion._meta.db_table: promotions,
        **counts,
    }


def _lines() -> list[ProductLine]:
    return ProductLine.objects.bulk_create(
        ProductLine(name=name, code=code, description=f"{name}: the whole range.")
        for name, code, _unit, _kinds in LINES
    )


def _products(
    rng: random.Random, lines: list[ProductLine], count: int, today: date
) -> list[Product]:
    rows = []
    for n in range(count):
        index = n % len(LINES)
        name, code, unit, kinds = LINES[index]
        kind = kinds[(n // len(LINES)) % len(kinds)]
        size_label = SIZES[n % len(SIZES)]
        launched = today - timedelta(days=rng.randrange(0, 6 * 365))
        recent = rng.random() < 0.08
        rows.append(
            Product(
                sku=f"{code}-{n + 1:04d}",
                name=f"{kind} {size_label}" if code != "SRV" else f"{kind}, {name.lower()}",
                description=f"{kind} of the {name.lower()} range, size {size_label}.",
                line=lines[index],
                unit=unit,
                list_price=Decimal(rng.randrange(500, 250_000)) / 100,
                currency="EUR",
                vat_rate=Decimal("20.00") if code != "SRV" else Decimal("10.00"),
                is_active=rng.random() > 0.05,
                launch_date=today - timedelta(days=rng.randrange(0, 60)) if recent else launched,
                discontinued_on=today - timedelta(days=rng.randrange(1, 200))
                if rng.random() < 0.03
                else None,
            )
        )
    return Product.objects.bulk_create(rows)


def _relations(rng: random.Random, products: list[Product]) -> tuple[int, int]:
    by_line: dict[int, list[Product]] = {}
    for product in products:
        by_line.setdefault(product.line_id or 0, []).append(product)
    related, complementary = set(), set()
    lines = list(by_line.values())
    for product in products:
        same = by_line[product.line_id or 0]
        for other in rng.sample(same, k=min(2, len(same))):
            if other.pk != product.pk:
                related.add((min(product.pk, other.pk), max(product.pk, other.pk)))
        if rng.random() < 0.4:
            other_line = rng.choice(lines)
            other = rng.choice(other_line)
            if other.pk != product.pk:
                complementary.add((product.pk, other.pk))
    related_rows = Product.related.through
    rows = [related_rows(from_product_id=a, to_product_id=b) for a, b in related]
    rows += [related_rows(from_product_id=b, to_product_id=a) for a, b in related]
    related_rows.objects.bulk_create(rows)
    complement_rows = Product.complementary.through
    complement_rows.objects.bulk_create(
        complement_rows(from_product_id=a, to_product_id=b) for a, b in complementary
    )
    return len(rows), len(complementary)


def _bundles(
    rng: random.Random, lines: list[ProductLine], products: list[Product], today: date
) -> tuple[int, int]:
    pumps = [p for p in products if p.sku.startswith("PMP")]
    parts = [p for p in products if p.sku.startswith(("VLV", "SNS", "CTL", "SPR"))]
    bundles = Product.objects.bulk_create(
        Product(
            sku=f"KIT-{n + 1:03d}",
            name=f"Pump station kit {n + 1}",
            description="A pump with its valves, sensor and controller, ready to install.",
            line=lines[0],
            list_price=Decimal(rng.randrange(300_000, 900_000)) / 100,
            launch_date=today - timedelta(days=rng.randrange(0, 700)),
        )
        for n in range(12)
    )
    components = []
    for bundle in bundles:
        chosen = [rng.choice(pumps), *rng.sample(parts, k=3)]
        for part in {p.pk: p for p in chosen}.values():
            components.append(
                BundleComponent(
                    bundle=bundle,
                    component=part,
                    quantity=Decimal(1 if part.sku.startswith("PMP") else rng.randrange(1, 5)),
                )
            )
    BundleComponent.objects.bulk_create(components)
    return len(bundles), len(components)


def _price_lists(
    rng: random.Random, lines: list[ProductLine], products: list[Product], today: date
) -> tuple[list[PriceList], int]:
    year = date(today.year, 1, 1)
    price_lists = PriceList.objects.bulk_create(
        [
            PriceList(name=f"Key accounts {today.year}", currency="EUR", valid_from=year,
                      valid_to=date(today.year, 12, 31)),
            PriceList(name=f"Dealers {today.year}", currency="EUR", valid_from=year,
                      valid_to=date(today.year, 12, 31)),
            PriceList(name="Strategic partners", currency="EUR",
                      valid_from=year - timedelta(days=365)),
            PriceList(name=f"Export USD {today.year}", currency="USD", valid_from=year),
            PriceList(name=f"Key accounts {today.year - 1}", currency="EUR",
                      valid_from=date(today.year - 1, 1, 1), valid_to=date(today.year - 1, 12, 31),
                      is_active=False),
        ]
    )  # fmt: skip
    rules: list[PriceRule] = []
    for price_list in price_lists:
        rules.append(
            PriceRule(price_list=price_list, scope=RuleScope.ALL, discount_percent=Decimal("3"))
        )
        for line in rng.sample(lines, k=4):
            for quantity, percent in ((1, rng.randrange(4, 9)), (50, rng.randrange(10, 16))):
                rules.append(
                    PriceRule(
                        price_list=price_list,
                        scope=RuleScope.LINE,
                        line=line,
                        min_quantity=Decimal(quantity),
                        discount_percent=Decimal(percent),
                    )
                )
        for product in rng.sample(products, k=25):
            rules.append(
                PriceRule(
                    price_list=price_list,
                    scope=RuleScope.PRODUCT,
                    product=product,
                    min_quantity=Decimal(rng.choice([1, 10, 100])),
                    fixed_price=(product.list_price * Decimal("0.85")).quantize(Decimal("0.01")),
                )
            )
    PriceRule.objects.bulk_create(rules)
    return price_lists, len(rules)


def _promotions(
    rng: random.Random, lines: list[ProductLine], products: list[Product], today: date
) -> int:
    plans: list[tuple[str, int, int, int, list[str]]] = [
        ("Spring pump days", -90, -60, 10, []),
        ("Valves month", -10, 20, 8, []),
        ("Web shop week", -3, 4, 12, [Channel.WEB]),
        ("New sensors launch", 0, 45, 15, [Channel.DIRECT, Channel.PHONE]),
        ("Filters clearance", -20, 10, 20, []),
        ("Autumn service offer", 30, 60, 10, []),
    ]
    for n, (name, start, end, percent, channels) in enumerate(plans):
        promotion = Promotion.objects.create(
            name=name,
            description=f"{percent}% off while it runs.",
            starts_on=today + timedelta(days=start),
            ends_on=today + timedelta(days=end),
            discount_percent=Decimal(percent),
            channels=[str(c) for c in channels],
        )
        if n % 2 == 0:
            promotion.lines.set([lines[n % len(lines)]])
        else:
            promotion.products.set(rng.sample(products, k=8))
    return len(plans)


def _key_accounts() -> list[Account]:
    return list(
        Account.objects.filter(tier__in=KEY_TIERS).order_by("pk")[:40]
        or Account.objects.order_by("pk")[:10]
    )


def _agreements(
    rng: random.Random,
    accounts: list[Account],
    price_lists: list[PriceList],
    lines: list[ProductLine],
    today: date,
) -> dict[str, int]:
    head = User.objects.filter(role=Role.SALES_HEAD, is_active=True).order_by("pk").first()
    now = timezone.now()
    counts = {"agreements": 0, "discounts": 0, "targets": 0, "tiers": 0}
    year = today.year
    for n, account in enumerate(accounts):
        draft = n % 7 == 6  # a few still wait for approval
        agreement = Agreement.objects.create(
            account=account,
            title=f"Key-account agreement {year}: {account.name}"[:160],
            status=AgreementStatus.PENDING if draft else AgreementStatus.APPROVED,
            valid_from=date(year, 1, 1),
            valid_to=date(year, 12, 31),
            price_list=price_lists[n % 3],
            extra_discount_percent=Decimal(rng.choice([0, 1, 2, 3, 5])),
            payment_terms_days=rng.choice([30, 45, 60, 90]),
            credit_limit=Decimal(rng.randrange(20, 500) * 1000),
            currency="EUR",
            submitted_at=now,
            approved_at=None if draft else now,
            approved_by=None if draft else head,
        )
        counts["agreements"] += 1
        for line in rng.sample(lines, k=rng.randrange(0, 3)):
            AgreementLineDiscount.objects.create(
                agreement=agreement, line=line, discount_percent=Decimal(rng.randrange(2, 8))
            )
            counts["discounts"] += 1
        for half in (0, 1):
            target_amount = Decimal(rng.randrange(50, 800) * 1000)
            target = VolumeTarget.objects.create(
                agreement=agreement,
                period_start=date(year, 1 + 6 * half, 1),
                period_end=date(year, 6, 30) if half == 0 else date(year, 12, 31),
                target_amount=target_amount,
            )
            counts["targets"] += 1
            for share, bonus in ((Decimal("0.8"), Decimal("1")), (Decimal("1"), Decimal("2")),
                                 (Decimal("1.2"), Decimal("3.5"))):  # fmt: skip
                BonusTier.objects.create(
                    target=target, threshold_amount=target_amount * share, bonus_percent=bonus
                )
                counts["tiers"] += 1
    return _tables(counts)


def _tables(counts: dict[str, Any]) -> dict[str, int]:
    return {
        Agreement._meta.db_table: counts["agreements"],
        AgreementLineDiscount._meta.db_table: counts["discounts"],
        VolumeTarget._meta.db_table: counts["targets"],
        BonusTier._meta.db_table: counts["tiers"],
    }
