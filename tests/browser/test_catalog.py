"""The catalog in the browser: finding a product by search and filters, its page, and the
agreement in force on the account page."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from kam.accounts.tests.factories import AccountFactory
from kam.catalog.tests.factories import (
    AgreementFactory,
    BundleComponentFactory,
    PriceListFactory,
    PriceRuleFactory,
    ProductFactory,
    ProductLineFactory,
    VolumeTargetFactory,
)

pytestmark = pytest.mark.browser


def test_a_new_product_is_found_by_filters_and_its_page_shows_its_bundle_and_price_lists(
    page, url, org, login_as, screenshot, a11y_problems
):
    pumps = ProductLineFactory(name="Pumps")
    old = datetime.date(2020, 1, 1)
    ProductFactory(sku="PMP-OLD", name="Old pump", line=pumps, launch_date=old)
    kit = ProductFactory(
        sku="KIT-NEW", name="Pump station kit", line=pumps, launch_date=datetime.date(2026, 3, 1)
    )
    seal = ProductFactory(sku="SPR-SEAL", name="Mechanical seal", line=None)
    BundleComponentFactory(bundle=kit, component=seal, quantity=Decimal("2"))
    price_list = PriceListFactory(name="Dealers 2026")
    PriceRuleFactory(price_list=price_list, scope="line", line=pumps, discount_percent=5)
    login_as(org.marketing)

    page.goto(url("/products/"))
    page.get_by_label("Product line").select_option(label="Pumps")
    page.get_by_label("Launched since").fill("2025-01-01")
    page.get_by_role("button", name="Filter").click()

    expect(page.locator("table tbody tr")).to_have_count(1)
    expect(page.locator("table tbody tr")).to_contain_text("KIT-NEW")
    assert a11y_problems(page) == []
    screenshot(page, "catalog-products")

    page.get_by_role("link", name="KIT-NEW").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Pump station kit")
    expect(page.locator("#bundle-parts")).to_contain_text("2 × SPR-SEAL Mechanical seal")
    expect(page.locator("#price-lists")).to_contain_text("Dealers 2026")
    assert a11y_problems(page) == []
    screenshot(page, "catalog-product")


def test_the_account_page_shows_the_group_agreement_to_its_owner(
    page, url, org, login_as, screenshot
):
    group = AccountFactory(owner=org.owner, name="Holding")
    daughter = AccountFactory(owner=org.owner, name="Daughter plant", parent=group)
    agreement = AgreementFactory(
        account=group,
        title="Holding frame agreement",
        valid_from=timezone.localdate() - datetime.timedelta(days=30),
        valid_to=None,
        credit_limit=Decimal("150000.00"),
        payment_terms_days=60,
    )
    VolumeTargetFactory(agreement=agreement, target_amount=Decimal("400000.00"))
    login_as(org.owner)

    page.goto(url(f"/accounts/{daughter.pk}/"))

    panel = page.locator("#account-agreement-panel")
    expect(panel).to_contain_text("Holding frame agreement")
    expect(panel).to_contain_text("Inherited from the group: Holding")
    expect(panel).to_contain_text("60 days")
    expect(panel).to_contain_text("150000.00 EUR")
    expect(panel).to_contain_text("400000.00")
    screenshot(page, "catalog-account-agreement")
