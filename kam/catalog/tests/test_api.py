"""The catalog API: products, price lists, promotions, agreements and the price quote."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from auditlog.models import LogEntry

from kam.accounts.tests.factories import AccountFactory
from kam.catalog.choices import AgreementStatus, RuleScope
from kam.catalog.models import Agreement, PriceList, Product, Promotion
from kam.catalog.tests.factories import (
    AgreementFactory,
    BonusTierFactory,
    BundleComponentFactory,
    PriceListFactory,
    PriceRuleFactory,
    ProductFactory,
    ProductLineFactory,
    PromotionFactory,
    VolumeTargetFactory,
)

pytestmark = pytest.mark.django_db
D = Decimal
QUOTE = "/api/v1/price-quote/"


# --- Products ---------------------------------------------------------------------------------


def test_everyone_lists_products_with_filters_in_constant_queries(
    org: Any, api_as: Any, django_assert_max_num_queries: Any
) -> None:
    pumps = ProductLineFactory(name="Pumps")
    for n in range(6):
        ProductFactory(
            sku=f"P-{n}",
            name=f"Pump {n}",
            line=pumps,
            launch_date=datetime.date(2026, 1 + n, 1),
        )
    ProductFactory(sku="V-1", name="Valve")
    bundle = ProductFactory(sku="KIT-1", name="Pump kit", line=pumps)
    BundleComponentFactory(bundle=bundle, component=Product.objects.get(sku="P-1"))
    client = api_as(org.marketing)

    with django_assert_max_num_queries(8):
        page = client.get(f"/api/v1/products/?line={pumps.pk}&new_since=2026-04-01")

    assert page.status_code == 200
    assert [row["sku"] for row in page.json()["results"]] == ["P-3", "P-4", "P-5"]
    kit = client.get("/api/v1/products/?q=kit").json()["results"][0]
    assert kit["components"] == [
        {
            "component": Product.objects.get(sku="P-1").pk,
            "sku": "P-1",
            "name": "Pump 1",
            "quantity": "1.000",
        }
    ]


def test_anonymous_gets_nothing(api: Any) -> None:
    ProductFactory()

    assert api.get("/api/v1/products/").status_code in (401, 403)
    assert api.post(QUOTE, {}, format="json").status_code in (401, 403)


@pytest.mark.parametrize("role", ["sales_head", "admin"])
def test_heads_of_sales_and_admins_create_a_product(org: Any, api_as: Any, role: str) -> None:
    line = ProductLineFactory()
    part = ProductFactory(sku="PART")

    answer = api_as(getattr(org, role)).post(
        "/api/v1/products/",
        {
            "sku": "NEW-1",
            "name": "New pump",
            "line": line.pk,
            "list_price": "123.45",
            "currency": "EUR",
            "components": [{"component": part.pk, "quantity": "2"}],
            "related": [part.pk],
        },
        format="json",
    )

    assert answer.status_code == 201, answer.json()
    product = Product.objects.get(sku="NEW-1")
    assert (product.list_price, product.line_id) == (D("123.45"), line.pk)
    assert [(c.component.sku, c.quantity) for c in product.components.all()] == [
        ("PART", D("2.000"))
    ]
    assert list(part.related.values_list("sku", flat=True)) == ["NEW-1"]


@pytest.mark.parametrize("role", ["owner", "lead", "kam", "auditor", "marketing"])
def test_other_roles_cannot_write_products(org: Any, api_as: Any, role: str) -> None:
    product = ProductFactory(name="Kept")
    client = api_as(getattr(org, role))

    created = client.post(
        "/api/v1/products/", {"sku": "X", "name": "X", "list_price": "1"}, format="json"
    )
    changed = client.patch(f"/api/v1/products/{product.pk}/", {"name": "Gone"}, format="json")

    assert (created.status_code, changed.status_code) == (403, 403)
    assert list(Product.objects.values_list("name", flat=True)) == ["Kept"]


def test_product_validation_names_the_field(org: Any, api_as: Any) -> None:
    ProductFactory(sku="TAKEN")
    client = api_as(org.sales_head)

    negative = client.post(
        "/api/v1/products/", {"sku": "A", "name": "A", "list_price": "-1"}, format="json"
    )
    taken = client.post(
        "/api/v1/products/", {"sku": "TAKEN", "name": "A", "list_price": "1"}, format="json"
    )
    currency = client.post(
        "/api/v1/products/",
        {"sku": "B", "name": "B", "list_price": "1", "currency": "euro"},
        format="json",
    )

    assert negative.status_code == 400
    assert "list_price" in negative.json()["fields"]
    assert taken.status_code == 400
    assert "sku" in taken.json()["fields"]
    assert currency.status_code == 400
    assert "currency" in currency.json()["fields"]
    assert Product.objects.count() == 1


def test_a_stale_product_update_is_a_conflict(org: Any, api_as: Any) -> None:
    product = ProductFactory(name="Old")
    client = api_as(org.sales_head)
    client.patch(f"/api/v1/products/{product.pk}/", {"name": "First", "version": 1}, format="json")

    stale = client.patch(
        f"/api/v1/products/{product.pk}/", {"name": "Second", "version": 1}, format="json"
    )

    assert stale.status_code == 409
    product.refresh_from_db()
    assert product.name == "First"


# --- Price lists and promotions ---------------------------------------------------------------


def test_rule_values_are_hidden_from_roles_without_confidential_access(
    org: Any, api_as: Any
) -> None:
    price_list = PriceListFactory(name="Key")
    PriceRuleFactory(price_list=price_list, discount_percent=D("12.50"))

    head = api_as(org.sales_head).get(f"/api/v1/price-lists/{price_list.pk}/").json()
    marketing = api_as(org.marketing).get(f"/api/v1/price-lists/{price_list.pk}/").json()

    assert head["rules"][0]["discount_percent"] == "12.50"
    assert "discount_percent" not in marketing["rules"][0]
    assert "12.5" not in str(marketing)


def test_a_price_list_is_written_with_its_rules(org: Any, api_as: Any) -> None:
    product = ProductFactory()

    answer = api_as(org.admin).post(
        "/api/v1/price-lists/",
        {
            "name": "Dealers",
            "currency": "EUR",
            "valid_from": "2026-01-01",
            "rules": [
                {"scope": "product", "product": product.pk, "fixed_price": "80.00"},
                {"scope": "all", "min_quantity": "10", "discount_percent": "5"},
            ],
        },
        format="json",
    )
    bad = api_as(org.admin).post(
        "/api/v1/price-lists/",
        {"name": "Bad", "rules": [{"scope": "line", "discount_percent": "5"}]},
        format="json",
    )

    assert answer.status_code == 201, answer.json()
    assert [
        (r.scope, r.fixed_price, r.discount_percent)
        for r in PriceList.objects.get(name="Dealers").rules.order_by("scope")
    ] == [(RuleScope.ALL, None, D("5.00")), (RuleScope.PRODUCT, D("80.00"), None)]
    assert bad.status_code == 400
    assert bad.json()["fields"]["rules"] == [
        "Rule 1, line: Choose the product line this rule prices."
    ]
    assert not PriceList.objects.filter(name="Bad").exists()


def test_promotions_list_by_day_and_refuse_an_end_before_the_start(org: Any, api_as: Any) -> None:
    PromotionFactory(name="June")
    PromotionFactory(
        name="May", starts_on=datetime.date(2026, 5, 1), ends_on=datetime.date(2026, 5, 31)
    )

    listed = api_as(org.owner).get("/api/v1/promotions/?valid_on=2026-06-10").json()
    bad = api_as(org.sales_head).post(
        "/api/v1/promotions/",
        {"name": "X", "starts_on": "2026-06-10", "ends_on": "2026-06-01", "discount_percent": "5"},
        format="json",
    )

    assert [row["name"] for row in listed["results"]] == ["June"]
    assert bad.status_code == 400
    assert "ends_on" in bad.json()["fields"]
    assert Promotion.objects.count() == 2


# --- Agreements ---------------------------------------------------------------------------------


def _agreement(org: Any, **extra: Any) -> Agreement:
    account = AccountFactory(owner=org.owner, name="Acme")
    agreement = AgreementFactory(
        account=account,
        credit_limit=D("50000.00"),
        extra_discount_percent=D("4.00"),
        payment_terms_days=45,
        **extra,
    )
    tier_target = VolumeTargetFactory(agreement=agreement, target_amount=D("120000.00"))
    BonusTierFactory(target=tier_target, threshold_amount=D("60000.00"), bonus_percent=D("1.50"))
    return agreement


@pytest.mark.parametrize(
    ("role", "sees"),
    [
        ("owner", True),
        ("lead", True),
        ("sales_head", True),
        ("auditor", True),
        ("peer", False),
        ("other", False),
    ],
)
def test_agreement_access_matrix(org: Any, api_as: Any, role: str, sees: bool) -> None:
    agreement = _agreement(org)

    answer = api_as(getattr(org, role)).get(f"/api/v1/agreements/{agreement.pk}/")
    listed = api_as(getattr(org, role)).get("/api/v1/agreements/").json()

    assert answer.status_code == (200 if sees else 404)
    assert [row["id"] for row in listed["results"]] == ([agreement.pk] if sees else [])
    if not sees:
        assert "Acme" not in answer.content.decode()


def test_agreement_confidential_terms_hidden_without_the_permission(org: Any, api_as: Any) -> None:
    org.marketing.role = "marketing"
    agreement = _agreement(org)
    agreement.account.team_members.add(org.marketing)

    seen = api_as(org.owner).get(f"/api/v1/agreements/{agreement.pk}/").json()
    hidden = api_as(org.marketing).get(f"/api/v1/agreements/{agreement.pk}/").json()

    assert (seen["credit_limit"], seen["extra_discount_percent"]) == ("50000.00", "4.00")
    assert seen["volume_targets"][0]["tiers"] == [
        {"threshold_amount": "60000.00", "bonus_percent": "1.50"}
    ]
    assert hidden["title"] == agreement.title
    for name in ("credit_limit", "extra_discount_percent", "line_discounts", "volume_targets"):
        assert name not in hidden
    assert "50000" not in str(hidden)
    assert "60000" not in str(hidden)


def test_agreement_lifecycle_draft_pending_approved_by_the_head_of_sales(
    org: Any, api_as: Any
) -> None:
    account = AccountFactory(owner=org.owner)
    line = ProductLineFactory()
    owner = api_as(org.owner)

    created = owner.post(
        "/api/v1/agreements/",
        {
            "account": account.pk,
            "title": "Frame 2026",
            "valid_from": "2026-01-01",
            "valid_to": "2026-12-31",
            "extra_discount_percent": "3",
            "payment_terms_days": 60,
            "credit_limit": "25000",
            "line_discounts": [{"line": line.pk, "discount_percent": "5"}],
            "volume_targets": [
                {
                    "period_start": "2026-01-01",
                    "period_end": "2026-06-30",
                    "target_amount": "50000",
                    "tiers": [{"threshold_amount": "40000", "bonus_percent": "1"}],
                }
            ],
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    assert created.json()["status"] == "draft"

    submitted = owner.post(f"/api/v1/agreements/{pk}/submit/", {}, format="json")
    self_approved = owner.post(f"/api/v1/agreements/{pk}/approve/", {}, format="json")
    approved = api_as(org.sales_head).post(f"/api/v1/agreements/{pk}/approve/", {}, format="json")
    frozen = api_as(org.sales_head).patch(
        f"/api/v1/agreements/{pk}/", {"title": "Changed"}, format="json"
    )

    assert submitted.json()["status"] == "pending"
    assert self_approved.status_code == 403
    assert approved.status_code == 200
    assert (approved.json()["status"], approved.json()["approved_by_name"]) == ("approved", "head")
    assert frozen.status_code == 400
    agreement = Agreement.objects.get(pk=pk)
    assert (agreement.status, agreement.title) == (AgreementStatus.APPROVED, "Frame 2026")
    events = LogEntry.objects.get_for_object(agreement).filter(additional_data__event="approved")
    assert events.get().actor == org.sales_head


def test_another_manager_cannot_create_an_agreement_for_an_account_he_cannot_see(
    org: Any, api_as: Any
) -> None:
    account = AccountFactory(owner=org.owner)

    answer = api_as(org.other).post(
        "/api/v1/agreements/",
        {"account": account.pk, "title": "Sneaky", "valid_from": "2026-01-01"},
        format="json",
    )

    assert answer.status_code == 404
    assert Agreement.objects.count() == 0


# --- The price quote ------------------------------------------------------------------------------


def _quote_setup(org: Any) -> tuple[Any, Any, Any]:
    account = AccountFactory(owner=org.owner, name="Quoted")
    price_list = PriceListFactory(name="Key")
    PriceRuleFactory(price_list=price_list, scope=RuleScope.ALL, discount_percent=D("10"))
    AgreementFactory(
        account=account,
        price_list=price_list,
        extra_discount_percent=D("3"),
        valid_from=datetime.date(2020, 1, 1),
        valid_to=None,
    )
    first = ProductFactory(list_price=D("100.00"), vat_rate=D("20"))
    second = ProductFactory(list_price=D("9.99"), vat_rate=D("10"))
    return account, first, second


def test_a_quote_answers_unit_prices_totals_and_the_explanation(org: Any, api_as: Any) -> None:
    account, first, second = _quote_setup(org)

    answer = api_as(org.owner).post(
        QUOTE,
        {
            "account": account.pk,
            "on": "2026-06-15",
            "lines": [
                {"product": first.pk, "quantity": 2},
                {"product": second.pk, "quantity": "3"},
            ],
        },
        format="json",
    )

    assert answer.status_code == 200, answer.json()
    body = answer.json()
    # 100 x 0.9 x 0.97 = 87.30; 9.99 x 0.9 = 8.991 x 0.97 = 8.72127 -> 8.72
    assert [(line["unit_price"], line["total"]) for line in body["lines"]] == [
        ("87.30", "174.60"),
        ("8.72", "26.16"),
    ]
    assert (body["total"], body["tax"], body["total_with_tax"]) == ("200.76", "37.54", "238.30")
    assert [step["unit_price"] for step in body["lines"][1]["explanation"]] == [
        "9.99",
        "8.991",
        "8.72127",
        "8.72",
    ]
    assert [step["kind"] for step in body["lines"][1]["explanation"]] == [
        "list_price",
        "rule",
        "agreement",
        "rounding",
    ]


@pytest.mark.parametrize(
    ("lines", "field"),
    [
        ([], "lines"),
        ([{"product": 0, "quantity": 0}], "lines"),
        ([{"product": 1, "quantity": -2}], "lines"),
        ([{"product": 1, "quantity": "many"}], "lines"),
        ([{"quantity": 1}], "lines"),
    ],
)
def test_bad_quote_lines_answer_400_naming_the_field(
    org: Any, api_as: Any, lines: list[Any], field: str
) -> None:
    account, _, _ = _quote_setup(org)

    answer = api_as(org.owner).post(QUOTE, {"account": account.pk, "lines": lines}, format="json")

    assert answer.status_code == 400
    assert field in answer.json()["fields"]


def test_an_unknown_product_is_named_by_its_line(org: Any, api_as: Any) -> None:
    account, first, _ = _quote_setup(org)
    gone = ProductFactory()
    gone_id = gone.pk
    gone.delete()

    answer = api_as(org.owner).post(
        QUOTE,
        {
            "account": account.pk,
            "lines": [{"product": first.pk, "quantity": 1}, {"product": gone_id, "quantity": 1}],
        },
        format="json",
    )

    assert answer.status_code == 400
    assert answer.json()["fields"]["lines"] == [{}, {"product": [f"Unknown product {gone_id}."]}]


def test_more_than_a_thousand_lines_are_refused(org: Any, api_as: Any) -> None:
    account, first, _ = _quote_setup(org)
    lines = [{"product": first.pk, "quantity": 1}] * 1001

    answer = api_as(org.owner).post(QUOTE, {"account": account.pk, "lines": lines}, format="json")

    assert answer.status_code == 400
    assert answer.json()["fields"]["lines"] == ["At most 1000 lines per quote, not 1001."]


@pytest.mark.parametrize(
    ("role", "code"),
    [
        ("owner", 200),
        ("lead", 200),
        ("sales_head", 200),
        ("auditor", 200),
        ("peer", 404),
        ("other", 404),
        ("kam", 404),
    ],
)
def test_quote_access_matrix(org: Any, api_as: Any, role: str, code: int) -> None:
    account, first, _ = _quote_setup(org)

    answer = api_as(getattr(org, role)).post(
        QUOTE,
        {"account": account.pk, "lines": [{"product": first.pk, "quantity": 1}]},
        format="json",
    )

    assert answer.status_code == code
    if code == 404:
        assert "87.30" not in answer.content.decode()


def test_quote_for_a_missing_account_is_404(org: Any, api_as: Any) -> None:
    _, first, _ = _quote_setup(org)

    answer = api_as(org.sales_head).post(
        QUOTE, {"account": 10**9, "lines": [{"product": first.pk, "quantity": 1}]}, format="json"
    )

    assert answer.status_code == 404


def test_quote_of_a_thousand_lines_costs_the_same_queries_as_two(
    org: Any, api_as: Any, django_assert_max_num_queries: Any
) -> None:
    account, first, second = _quote_setup(org)
    client = api_as(org.owner)
    few = [{"product": first.pk, "quantity": 1}, {"product": second.pk, "quantity": 1}]

    with django_assert_max_num_queries(20) as small:
        client.post(QUOTE, {"account": account.pk, "lines": few}, format="json")
    with django_assert_max_num_queries(len(small.captured_queries)):
        answer = client.post(QUOTE, {"account": account.pk, "lines": few * 500}, format="json")

    assert answer.json()["total"] == "48010.00"  # (87.30 + 8.72) x 500


def test_schema_renders(org: Any, client: Any) -> None:
    client.force_login(org.owner)

    schema = client.get("/api/schema/")

    assert schema.status_code == 200
    for path in ("/api/v1/products/", "/api/v1/price-quote/", "/api/v1/agreements/{id}/approve/"):
        assert path in schema.content.decode()


@pytest.mark.parametrize("path", ["price-lists", "promotions", "agreements"])
def test_lists_cost_the_same_queries_for_one_row_or_many(
    org: Any, api_as: Any, django_assert_max_num_queries: Any, path: str
) -> None:
    line = ProductLineFactory()
    products = [ProductFactory(line=line) for _ in range(3)]

    def add_rows(count: int) -> None:
        for _ in range(count):
            price_list = PriceListFactory()
            PriceRuleFactory(price_list=price_list, scope="product", product=products[0])
            PromotionFactory(products=products, lines=[line])
            agreement = _agreement(org)
            BonusTierFactory(target=agreement.volume_targets.get())

    client = api_as(org.owner)
    add_rows(1)
    with django_assert_max_num_queries(15) as one:
        first = client.get(f"/api/v1/{path}/")
    add_rows(6)
    with django_assert_max_num_queries(len(one.captured_queries)):
        many = client.get(f"/api/v1/{path}/")

    assert (first.json()["count"], many.json()["count"]) == (1, 7)


def test_submitting_notifies_the_heads_of_sales_and_a_rejection_the_owner(
    org: Any, api_as: Any
) -> None:
    from kam.users.models import Notification

    account = AccountFactory(owner=org.owner, name="Notified")
    agreement = AgreementFactory(account=account, status=AgreementStatus.DRAFT, title="Frame")

    api_as(org.owner).post(f"/api/v1/agreements/{agreement.pk}/submit/", {}, format="json")
    heads = list(Notification.objects.values_list("recipient__username", "title", "url"))
    rejected = api_as(org.sales_head).post(
        f"/api/v1/agreements/{agreement.pk}/reject/", {}, format="json"
    )

    assert heads == [("head", "Agreement to approve: Notified", f"/accounts/{account.pk}/")]
    assert rejected.json()["status"] == "draft"
    assert list(
        Notification.objects.filter(recipient=org.owner).values_list("title", flat=True)
    ) == ["Agreement sent back for changes: Notified"]


def test_a_draft_update_replaces_its_terms_and_the_auditor_cannot_write(
    org: Any, api_as: Any
) -> None:
    agreement = _agreement(org, status=AgreementStatus.DRAFT)
    line = ProductLineFactory()

    changed = api_as(org.owner).patch(
        f"/api/v1/agreements/{agreement.pk}/",
        {"line_discounts": [{"line": line.pk, "discount_percent": "2.5"}], "volume_targets": []},
        format="json",
    )
    audited = api_as(org.auditor).post(
        f"/api/v1/agreements/{agreement.pk}/submit/", {}, format="json"
    )

    assert changed.status_code == 200
    assert changed.json()["line_discounts"] == [{"line": line.pk, "discount_percent": "2.50"}]
    assert changed.json()["volume_targets"] == []
    assert audited.status_code == 403
    agreement.refresh_from_db()
    assert agreement.status == AgreementStatus.DRAFT


def test_a_quote_mixing_currencies_is_refused_naming_the_lines(org: Any, api_as: Any) -> None:
    account, first, _ = _quote_setup(org)
    dollar = ProductFactory(currency="USD")

    answer = api_as(org.owner).post(
        QUOTE,
        {
            "account": account.pk,
            "lines": [{"product": first.pk, "quantity": 1}, {"product": dollar.pk, "quantity": 1}],
        },
        format="json",
    )

    assert answer.status_code == 400
    assert answer.json()["code"] == "pricing_refused"
    assert answer.json()["fields"] == {"lines": ["Mixed currencies: EUR, USD."]}


def test_a_team_member_without_confidential_access_gets_no_quote(org: Any, api_as: Any) -> None:
    account, first, _ = _quote_setup(org)
    account.team_members.add(org.marketing)

    answer = api_as(org.marketing).post(
        QUOTE, {"account": account.pk, "lines": [{"product": first.pk, "quantity": 1}]},
        format="json",
    )  # fmt: skip

    assert answer.status_code == 403
    assert "87.30" not in answer.content.decode()
