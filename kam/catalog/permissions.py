"""Fetch one record of the catalog and authorise it: missing and invisible both answer 404."""

from __future__ import annotations

from typing import Any

from kam.catalog import selectors
from kam.catalog.models import Agreement, PriceList, Product, Promotion
from kam.core.access import Action, get_for


def access_product(*, user: Any, product_id: Any, action: Action = "view") -> Product:
    product: Product = get_for(
        user, selectors.product_detail_queryset(user=user), product_id, action
    )
    return product


def access_price_list(*, user: Any, price_list_id: Any) -> PriceList:
    price_list: PriceList = get_for(user, selectors.price_list_list(user=user), price_list_id)
    return price_list


def access_promotion(*, user: Any, promotion_id: Any) -> Promotion:
    promotion: Promotion = get_for(user, selectors.promotion_list(user=user), promotion_id)
    return promotion


def access_agreement(*, user: Any, agreement_id: Any, action: Action = "view") -> Agreement:
    agreement: Agreement = get_for(user, selectors.agreement_list(user=user), agreement_id, action)
    return agreement


def access_account(*, user: Any, account_id: Any) -> Any:
    """The account a quote or an agreement is for (404 when missing or invisible)."""
    from kam.accounts.models import Account

    return get_for(user, Account.objects.all(), account_id)
