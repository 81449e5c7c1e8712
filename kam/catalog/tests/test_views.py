"""Catalog pages, the account page's agreement panel, import and export of products."""

from __future__ import annotations

import datetime
import io
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from openpyxl import Workbook

from kam.accounts.tests.factories import AccountFactory
from kam.catalog.models import Product, ProductLine
from kam.catalog.selectors import agreement_for, bonus_for
from kam.catalog.tests.factories import (
    AgreementFactory,
    BonusTierFactory,
    BundleComponentFactory,
    PriceListFactory,
    PriceRuleFactory,
    ProductFactory,
    ProductLineFactory,
    VolumeTargetFactory,
)

pytestmark = pytest.mark.django_db
D = Decimal


def test_product_list_page_filters_and_costs_constant_queries(
    org: Any, client: Any, django_assert_max_num_queries: Any
) -> None:
    pumps = ProductLineFactory(name="Pumps")
    for n in range(12):
        ProductFactory(sku=f"P-{n:02d}", name=f"Pump {n}", line=pumps, is_active=n % 2 == 0)
    ProductFactory(sku="V-01", name="Valve")
    client.force_login(org.service)

    with django_assert_max_num_queries(12):
        page = client.get(f"/products/?line={pumps.pk}&is_active=true&q=pump")

    text = page.content.decode()
    assert page.status_code == 200
    assert [sku for sku in (f"P-{n:02d}" for n in range(12)) if f">{sku}<" in text] == [
        "P-00", "P-02", "P-04", "P-06", "P-08", "P-10"
    ]  # fmt: skip
    assert ">V-01<" not in text


def test_product_list_needs_a_login(client: Any) -> None:
    assert client.get("/products/").status_code == 302


def test_product_page_shows_bundle_parts_related_and_price_lists(org: Any, client: Any) -> None:
    line = ProductLineFactory()
    kit = ProductFactory(sku="KIT", name="Starter kit", line=line)
    pump = ProductFactory(sku="PUMP", name="Pump")
    hose = ProductFactory(sku="HOSE", name="Hose")
    BundleComponentFactory(bundle=kit, component=pump, quantity=D("2"))
    kit.related.add(hose)
    kit.complementary.add(pump)
    PriceRuleFactory(
        price_list=PriceListFactory(name="Dealers"), scope="line", line=line, discount_percent=5
    )
    PriceRuleFactory(price_list=PriceListFactory(name="Unrelated"), scope="product", product=hose)
    client.force_login(org.auditor)

    page = client.get(f"/products/{kit.pk}/").content.decode()
    pump_page = client.get(f"/products/{pump.pk}/").content.decode()

    assert "2 × <a" in page
    assert "PUMP Pump" in page
    assert "HOSE Hose" in page
    assert "Dealers" in page
    assert "Unrelated" not in page
    assert "KIT Starter kit" in pump_page  # part of the bundle


def test_a_missing_product_page_is_404(org: Any, client: Any) -> None:
    client.force_login(org.owner)

    assert client.get("/products/999999999/").status_code == 404


@pytest.mark.parametrize(
    ("role", "code", "terms"),
    [
        ("owner", 200, True),
        ("lead", 200, True),
        ("sales_head", 200, True),
        ("auditor", 200, True),
        ("peer", 404, False),
        ("other", 404, False),
    ],
)
def test_account_panel_shows_the_agreement_in_force(
    org: Any, client: Any, role: str, code: int, terms: bool
) -> None:
    group = AccountFactory(owner=org.owner, name="Group")
    daughter = AccountFactory(owner=org.owner, parent=group, name="Daughter")
    today = timezone.localdate()
    agreement = AgreementFactory(
        account=group,
        title="Group frame",
        valid_from=today - datetime.timedelta(days=10),
        valid_to=None,
        credit_limit=D("77777.00"),
        payment_terms_days=30,
    )
    target = VolumeTargetFactory(agreement=agreement, target_amount=D("55555.00"))
    BonusTierFactory(target=target, threshold_amount=D("44444.00"), bonus_percent=D("2.00"))
    client.force_login(getattr(org, role))

    page = client.get(f"/accounts/{daughter.pk}/agreement-panel/")

    assert page.status_code == code
    text = page.content.decode()
    assert ("Group frame" in text) is terms
    assert ("Inherited from the group: Group" in text) is terms
    assert ("77777.00" in text) is terms
    assert ("44444.00" in text) is terms


def test_account_panel_hides_confidential_terms_from_marketing(org: Any, client: Any) -> None:
    account = AccountFactory(owner=org.owner)
    account.team_members.add(org.marketing)
    AgreementFactory(
        account=account,
        title="Frame",
        valid_from=timezone.localdate(),
        valid_to=None,
        credit_limit=D("77777.00"),
        extra_discount_percent=D("6.50"),
    )
    client.force_login(org.marketing)

    text = client.get(f"/accounts/{account.pk}/agreement-panel/").content.decode()

    assert "Frame" in text
    assert "77777" not in text
    assert "6.50" not in text


def test_agreement_for_skips_drafts_and_expired_and_prefers_the_latest_start() -> None:
    account = AccountFactory()
    AgreementFactory(account=account, title="Old", valid_from=datetime.date(2025, 1, 1))
    AgreementFactory(account=account, title="New", valid_from=datetime.date(2026, 3, 1))
    AgreementFactory(
        account=account, title="Draft", valid_from=datetime.date(2026, 5, 1), status="draft"
    )
    AgreementFactory(
        account=account,
        title="Ended",
        valid_from=datetime.date(2026, 4, 1),
        valid_to=datetime.date(2026, 4, 30),
    )

    found = agreement_for(account=account, on=datetime.date(2026, 6, 1))
    before = agreement_for(account=account, on=datetime.date(2024, 12, 31))

    assert found is not None
    assert found.title == "New"
    assert before is None


def test_bonus_for_reports_the_tier_reached_and_what_is_missing() -> None:
    target = VolumeTargetFactory(target_amount=D("100000"))
    low = BonusTierFactory(target=target, threshold_amount=D("50000"), bonus_percent=D("1"))
    high = BonusTierFactory(target=target, threshold_amount=D("100000"), bonus_percent=D("2.5"))

    below = bonus_for(target=target, achieved_amount=D("49999.99"))
    middle = bonus_for(target=target, achieved_amount=D("72345.67"))
    top = bonus_for(target=target, achieved_amount=D("100000"))

    assert tuple(below) == (D("0.00"), None, low, D("0.01"))
    assert tuple(middle) == (D("723.46"), low, high, D("27654.33"))
    assert tuple(top) == (D("2500.00"), high, None, D("0.00"))


# --- Import and export ------------------------------------------------------------------------


def _csv_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "products.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_import_creates_and_updates_by_sku_and_reports_errors_by_field(
    tmp_path: Path, org: Any
) -> None:
    ProductFactory(sku="A-1", name="Old name", list_price=D("5.00"))
    path = _csv_file(
        tmp_path,
        "Article;Product name;Family;Price;Currency;VAT;Active;Launch date\n"
        "A-1;New name;pumps;10,50;eur;20;yes;2026-01-01\n"
        "B-2;Brand new;Pumps;7;EUR;10;no;\n"
        "C-3;Bad price;Pumps;cheap;EUR;20;yes;\n"
        "D-4;Negative;;-3;EUR;20;yes;\n"
        "E-5;Bad date;;3;EUR;20;yes;01/02/2026\n",
    )
    out = io.StringIO()

    call_command("import", "products", str(path), "--as", "head", "--json", stdout=out)

    summary = json.loads(out.getvalue())
    assert (summary["rows"], summary["created"], summary["updated"]) == (5, 1, 1)
    assert [(e["row"], e["column"], e["value"]) for e in summary["errors"]] == [
        (4, "Price", "cheap"),
        (5, "Price", "-3"),
        (6, "Launch date", "01/02/2026"),
    ]
    updated = Product.objects.get(sku="A-1")
    assert (updated.name, updated.list_price, updated.currency) == ("New name", D("10.50"), "EUR")
    assert updated.launch_date == datetime.date(2026, 1, 1)
    assert Product.objects.get(sku="B-2").is_active is False
    assert ProductLine.objects.filter(name__iexact="pumps").count() == 1
    assert Product.objects.get(sku="B-2").line == updated.line
    assert sorted(Product.objects.values_list("sku", flat=True)) == ["A-1", "B-2"]


def test_import_reads_xlsx_and_a_dry_run_writes_nothing(tmp_path: Path, org: Any) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["SKU", "Name", "List price"])
    sheet.append(["X-1", "From Excel", 12.5])
    path = tmp_path / "products.xlsx"
    workbook.save(path)
    out = io.StringIO()

    call_command("import", "products", str(path), "--as", "admin", "--dry-run", stdout=out)

    assert "Dry run, nothing written: 1 rows of products" in out.getvalue()
    assert "1 would be created" in out.getvalue()
    assert Product.objects.count() == 0


def test_import_is_refused_to_an_account_manager(tmp_path: Path, org: Any) -> None:
    path = _csv_file(tmp_path, "SKU,Name,List price\nZ-1,Z,1\n")

    with pytest.raises(CommandError) as refused:
        call_command("import", "products", str(path), "--as", "owner")

    assert "Only administrators and heads of sales" in str(refused.value)
    assert Product.objects.count() == 0


def test_an_unknown_import_kind_names_the_known_ones(tmp_path: Path, org: Any) -> None:
    path = _csv_file(tmp_path, "SKU\nZ\n")

    with pytest.raises(CommandError) as unknown:
        call_command("import", "widgets", str(path), "--as", "admin")

    assert str(unknown.value) == (
        "Unknown kind 'widgets': use one of accounts, contacts, products."
    )


def test_export_writes_the_columns_the_import_reads_back(tmp_path: Path, org: Any) -> None:
    ProductFactory(sku="=EVIL", name="Formula", line=ProductLineFactory(name="Pumps"))
    ProductFactory(sku="OK-1", name="Fine", line=None, list_price=D("9.90"), is_active=False)
    output = tmp_path / "out.csv"

    call_command(
        "export", "products", "--as", "marketing", "--filter", "is_active=false",
        "--output", str(output), stderr=io.StringIO(),
    )  # fmt: skip
    text = output.read_text(encoding="utf-8-sig").splitlines()
    Product.objects.all().delete()
    summary = io.StringIO()
    call_command("import", "products", str(output), "--as", "head", "--json", stdout=summary)

    assert text[0].startswith("SKU,Name,Description,Line,Unit,List price,Currency,VAT rate")
    assert text[1:] == ["OK-1,Fine,,,pcs,9.90,EUR,20.00,no,,"]
    assert json.loads(summary.getvalue())["created"] == 1
    assert Product.objects.get().list_price == D("9.90")


def test_export_from_the_list_page_neutralises_formulas(org: Any, client: Any) -> None:
    ProductFactory(sku="=1+2", name="Evil")
    client.force_login(org.owner)

    answer = client.get("/products/download/?format=csv&q=Evil")

    content = b"".join(answer.streaming_content).decode("utf-8-sig")
    assert content.splitlines()[1].startswith("'=1+2,Evil")


# --- Editing products in the UI ---------------------------------------------------------------


def _form(**extra: Any) -> dict[str, Any]:
    return {
        "sku": "NEW-1",
        "name": "New pump",
        "unit": "pcs",
        "list_price": "99.90",
        "currency": "EUR",
        "vat_rate": "20.00",
        "is_active": "on",
        **extra,
    }


@pytest.mark.parametrize(
    ("role", "code"),
    [("sales_head", 302), ("admin", 302), ("owner", 403), ("auditor", 403), ("marketing", 403)],
)
def test_only_admins_and_heads_of_sales_create_products_on_the_page(
    org: Any, client: Any, role: str, code: int
) -> None:
    client.force_login(getattr(org, role))

    answer = client.post("/products/new/", _form())

    assert answer.status_code == code
    assert Product.objects.filter(sku="NEW-1").count() == (1 if code == 302 else 0)
    if code == 302:
        product = Product.objects.get(sku="NEW-1")
        assert answer["Location"] == f"/products/{product.pk}/"
        assert (product.list_price, product.is_active) == (D("99.90"), True)


def test_the_form_shows_each_error_beside_its_field(org: Any, client: Any) -> None:
    ProductFactory(sku="TAKEN")
    client.force_login(org.sales_head)

    answer = client.post("/products/new/", _form(sku="TAKEN", currency="euro", list_price="-1"))

    assert answer.status_code == 200
    errors = answer.context["form"].errors
    assert sorted(errors) == ["currency", "list_price"]
    taken = client.post("/products/new/", _form(sku="TAKEN"))
    assert list(taken.context["form"].errors) == ["sku"]
    assert Product.objects.count() == 1


def test_a_stale_edit_keeps_the_typed_values_and_says_so(org: Any, client: Any) -> None:
    product = ProductFactory(sku="E-1", name="First")
    client.force_login(org.sales_head)
    page = client.get(f"/products/{product.pk}/edit/")
    assert page.context["form"].initial["version"] == 1
    Product.objects.filter(pk=product.pk).update(name="Someone else", version=2)

    stale = client.post(f"/products/{product.pk}/edit/", _form(sku="E-1", name="Mine", version=1))
    again = client.post(f"/products/{product.pk}/edit/", _form(sku="E-1", name="Mine", version=2))

    assert stale.status_code == 200
    assert "Someone else saved this product" in stale.content.decode()
    assert again.status_code == 302
    product.refresh_from_db()
    assert (product.name, product.version) == ("Mine", 3)


def test_running_promotions_for_a_channel_and_the_targets_in_force() -> None:
    from kam.catalog.models import Promotion
    from kam.catalog.selectors import promotions_running, volume_targets_for
    from kam.catalog.tests.factories import PromotionFactory

    PromotionFactory(name="All channels")
    PromotionFactory(name="Web only", channels=["web"])
    PromotionFactory(name="Over", ends_on=datetime.date(2026, 6, 9))
    group = AccountFactory()
    daughter = AccountFactory(parent=group)
    agreement = AgreementFactory(account=group)
    first = VolumeTargetFactory(
        agreement=agreement,
        period_start=datetime.date(2026, 1, 1),
        period_end=datetime.date(2026, 6, 30),
    )
    VolumeTargetFactory(
        agreement=agreement,
        period_start=datetime.date(2026, 7, 1),
        period_end=datetime.date(2026, 12, 31),
    )
    day = datetime.date(2026, 6, 10)

    assert [p.name for p in promotions_running(on=day, channel="direct")] == ["All channels"]
    assert sorted(p.name for p in promotions_running(on=day)) == ["All channels", "Web only"]
    assert volume_targets_for(account=daughter, on=day) == [first]
    assert Promotion.objects.count() == 3


def test_products_are_found_by_the_search_palette(org: Any) -> None:
    from kam.core import registry

    product = ProductFactory(sku="PMP-0042", name="Booster pump", list_price=D("12.50"))
    ProductFactory(sku="VLV-1", name="Valve")

    hits = [hit for hit in registry.search(org.marketing, "pmp-0042") if hit.kind == "Product"]

    assert [(hit.title, hit.subtitle, hit.url) for hit in hits] == [
        ("PMP-0042 Booster pump", "12.50 EUR", f"/products/{product.pk}/")
    ]
