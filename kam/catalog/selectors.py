"""Reads of the catalog: products, price lists, promotions, agreements (scoped to the user), the
agreement in force for an account on a day, and the bonus a volume target earns."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple

from django.db.models import Prefetch, Q, QuerySet

from kam.catalog.choices import AgreementStatus
from kam.catalog.models import (
    Agreement,
    BonusTier,
    BundleComponent,
    PriceList,
    PriceRule,
    Product,
    ProductLine,
    Promotion,
    VolumeTarget,
)

# A group deeper than this is a loop in bad data, not a real hierarchy.
MAX_GROUP_DEPTH = 20


def product_line_list(*, user: Any) -> QuerySet[ProductLine]:
    return ProductLine.objects.visible_to(user).order_by("name", "pk")  # type: ignore[no-any-return]


def product_list(*, user: Any) -> QuerySet[Product]:
    return (  # type: ignore[no-any-return]
        Product.objects.visible_to(user).select_related("line").order_by("sku", "pk")
    )


def product_detail_queryset(*, user: Any) -> QuerySet[Product]:
    """Products with what their page shows: related, complementary, bundle parts."""
    return product_list(user=user).prefetch_related(
        Prefetch("related", queryset=Product.objects.order_by("sku")),
        Prefetch("complementary", queryset=Product.objects.order_by("sku")),
        Prefetch(
            "components",
            queryset=BundleComponent.objects.select_related("component").order_by("component__sku"),
        ),
    )


def price_lists_of_product(*, product: Product) -> QuerySet[PriceList]:
    """The live price lists with a rule for this product, its line or all products."""
    covering = Q(rules__product=product) | Q(rules__scope="all")
    if product.line_id is not None:
        covering |= Q(rules__line_id=product.line_id)
    return PriceList.objects.filter(covering).distinct().order_by("name", "pk")  # type: ignore[no-any-return]


def price_list_list(*, user: Any) -> QuerySet[PriceList]:
    return (  # type: ignore[no-any-return]
        PriceList.objects.visible_to(user)
        .prefetch_related(
            Prefetch(
                "rules",
                queryset=PriceRule.objects.select_related("product", "line").order_by(
                    "scope", "min_quantity", "pk"
                ),
            )
        )
        .order_by("name", "pk")
    )


def promotion_list(*, user: Any) -> QuerySet[Promotion]:
    return (  # type: ignore[no-any-return]
        Promotion.objects.visible_to(user)
        .prefetch_related(
            Prefetch("products", queryset=Product.objects.only("pk")),
            Prefetch("lines", queryset=ProductLine.objects.only("pk")),
        )
        .order_by("-starts_on", "pk")
    )


def agreement_list(*, user: Any) -> QuerySet[Agreement]:
    return (  # type: ignore[no-any-return]
        Agreement.objects.visible_to(user)
        .select_related("account", "price_list", "approved_by")
        .prefetch_related(
            "line_discounts__line",
            Prefetch(
                "volume_targets",
                queryset=VolumeTarget.objects.prefetch_related(
                    Prefetch("tiers", queryset=BonusTier.objects.order_by("threshold_amount"))
                ),
            ),
        )
        .order_by("account__name", "-valid_from", "pk")
    )


def group_chain(account: Any) -> list[int]:
    """The account's id, then its parent's, up to the group's top (nearest first).

    One query per level; a loop in the data stops the walk instead of running forever."""
    chain = [account.pk]
    parent_id = account.parent_id
    from kam.accounts.models import Account

    while parent_id is not None and parent_id not in chain and len(chain) < MAX_GROUP_DEPTH:
        chain.append(parent_id)
        parent_id = Account.objects.filter(pk=parent_id).values_list("parent_id", flat=True).first()
    return chain


def agreement_for(*, account: Any, on: date) -> Agreement | None:
    """The approved agreement in force for `account` on day `on`: its own if it has one valid
    that day, else the nearest ancestor's in its group; None when there is none.

    Several valid the same day for the same account: the latest start wins, then the newest."""
    chain = group_chain(account)
    candidates = list(
        Agreement.objects.filter(
            account_id__in=chain, status=AgreementStatus.APPROVED, valid_from__lte=on
        )
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on))
        .select_related("price_list")
        .order_by("-valid_from", "-pk")
    )
    for account_id in chain:
        for agreement in candidates:
            if agreement.account_id == account_id:
                return agreement
    return None


def promotions_running(*, on: date, channel: str = "") -> QuerySet[Promotion]:
    """The active promotions running on day `on` (start and end included), for `channel` when
    one is given (a promotion naming no channel runs in all): what a campaign announces."""
    running = Promotion.objects.filter(is_active=True, starts_on__lte=on, ends_on__gte=on)
    promotions = running.prefetch_related("products", "lines").order_by("ends_on", "pk")
    if not channel:
        return promotions  # type: ignore[no-any-return]
    ids = [p.pk for p in running.only("pk", "channels") if not p.channels or channel in p.channels]
    return promotions.filter(pk__in=ids)  # type: ignore[no-any-return]


def volume_targets_for(*, account: Any, on: date) -> list[VolumeTarget]:
    """The volume targets whose period contains `on`, of the agreement in force for `account`
    that day (its own or its group's), with their tiers: what the orders app accrues against."""
    agreement = agreement_for(account=account, on=on)
    if agreement is None:
        return []
    return list(
        VolumeTarget.objects.filter(agreement=agreement, period_start__lte=on, period_end__gte=on)
        .prefetch_related(
            Prefetch("tiers", queryset=BonusTier.objects.order_by("threshold_amount"))
        )
        .order_by("period_start", "pk")
    )


@dataclass(frozen=True)
class Bonus:
    """What a volume target pays for `achieved_amount` (named fields of `bonus_for`'s tuple)."""

    earned_amount: Decimal
    current_tier: BonusTier | None
    next_tier: BonusTier | None
    missing_to_next: Decimal

    def __iter__(self) -> Any:
        return iter((self.earned_amount, self.current_tier, self.next_tier, self.missing_to_next))


def bonus_for(
    *, target: VolumeTarget, achieved_amount: Decimal, tiers: list[BonusTier] | None = None
) -> Bonus:
    """The bonus earned on `achieved_amount` bought in the target's period: the percent of the
    highest tier reached applies to the whole achieved amount (rounded half up to cents).

    Returns (earned_amount, current_tier or None, next_tier or None, missing_to_next, 0 when
    there is no next tier). Pure: reads the target's tiers (pass `tiers` to avoid the query).
    """
    from kam.catalog.pricing import money

    ordered = sorted(
        tiers if tiers is not None else target.tiers.all(),
        key=lambda tier: (tier.threshold_amount, tier.pk or 0),
    )
    achieved = max(achieved_amount, Decimal("0"))
    current = None
    following = None
    for tier in ordered:
        if tier.threshold_amount <= achieved:
            current = tier
        elif following is None:
            following = tier
    earned = money(achieved * current.bonus_percent / 100) if current else Decimal("0.00")
    missing = following.threshold_amount - achieved if following else Decimal("0.00")
    return Bonus(money(earned), current, following, money(missing))


def products_by_id(*, ids: list[int]) -> dict[int, Product]:
    """Live products by id, in one query (those missing are absent from the answer)."""
    return {product.pk: product for product in Product.objects.filter(pk__in=set(ids))}


class PricingProduct(NamedTuple):
    """What `pricing.price_lines` reads of a product, without building a model instance."""

    pk: int
    line_id: int | None
    unit: str
    list_price: Decimal
    currency: str
    vat_rate: Decimal


def products_for_pricing(*, ids: Iterable[int]) -> dict[int, PricingProduct]:
    """Live products by id with only what pricing reads, in one query (those missing are absent
    from the answer): for a caller holding product ids that only prices them, e.g. a quote.
    Several times cheaper than `products_by_id` for an order of hundreds of lines."""
    rows = (
        Product.objects.filter(pk__in=set(ids))
        .order_by()
        .values_list("pk", "line_id", "unit", "list_price", "currency", "vat_rate")
    )
    return {row[0]: PricingProduct._make(row) for row in rows}
