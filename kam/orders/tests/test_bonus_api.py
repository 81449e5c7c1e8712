"""/api/v1/bonus-settlements/ and the account page's bonus panel (with "settle now")."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.test import Client

from kam.accounts.models import AccountTeamMember
from kam.accounts.tests.factories import AccountFactory
from kam.catalog.tests.factories import AgreementFactory, BonusTierFactory, VolumeTargetFactory
from kam.core import registry
from kam.orders import bonus, services
from kam.orders.choices import OrderStatus
from kam.orders.models import BonusSettlement
from kam.orders.tests.factories import ProductFactory, make_order

pytestmark = pytest.mark.django_db
NOW = datetime.datetime(2026, 7, 15, 9, 0, tzinfo=datetime.UTC)
D = datetime.date
URL = "/api/v1/bonus-settlements/"
SEES = {"owner", "lead", "sales_head", "auditor", "admin"}
ROLES = ["owner", "lead", "peer", "other", "kam", "sales_head", "auditor", "admin", "staff"]


@pytest.fixture(autouse=True)
def clock() -> Any:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def setup(org: Any) -> dict[str, Any]:
    """Top (owner's) with an agreement: a first-half target (1,000 -> 1 %, 3,000 -> 2.5 %) and
    a second-half one (500 -> 2 %); 1,500.00 EUR delivered in May, 700.00 in July."""
    top = AccountFactory(owner=org.owner, name="Top")
    agreement = AgreementFactory(account=top, title="Frame 2026")
    first = VolumeTargetFactory(
        agreement=agreement, period_start=D(2026, 1, 1), period_end=D(2026, 6, 30)
    )
    BonusTierFactory(target=first, threshold_amount=Decimal("1000.00"), bonus_percent=1)
    BonusTierFactory(target=first, threshold_amount=Decimal("3000.00"), bonus_percent="2.5")
    second = VolumeTargetFactory(
        agreement=agreement, period_start=D(2026, 7, 1), period_end=D(2026, 12, 31)
    )
    BonusTierFactory(target=second, threshold_amount=Decimal("500.00"), bonus_percent=2)
    for day, quantity in ((D(2026, 5, 1), "15"), (D(2026, 7, 2), "7")):
        product = ProductFactory(list_price=Decimal("100.00"))
        order = make_order(user=org.owner, account=top, products=[(product, quantity)])
        order = services.order_transition(
            user=org.owner, order=order, to=OrderStatus.CONFIRMED
        ).order
        services.delivery_create(
            user=org.owner,
            order=order,
            delivered_on=day,
            lines=[(order.lines.get().pk, Decimal(quantity))],
        )
    return {"top": top, "agreement": agreement, "first": first, "second": second}


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- API --------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ROLES)
def test_list_follows_the_accounts_access(
    org: Any, setup: dict[str, Any], api_as: Any, who: str
) -> None:
    bonus.bonuses_settle_due()
    settlement = BonusSettlement.objects.get()

    response = api_as(getattr(org, who)).get(URL)
    detail = api_as(getattr(org, who)).get(f"{URL}{settlement.pk}/")

    assert response.status_code == 200
    ids = [row["id"] for row in response.json()["results"]]
    if who in SEES:
        assert ids == [settlement.pk]
        assert detail.status_code == 200
        assert detail.json()["bonus_amount"] == "15.00"
    else:
        assert ids == []
        assert detail.status_code == 404
        assert detail.json() == {"code": "not_found", "detail": "Not found.", "fields": {}}


def test_detail_answers_the_frozen_figures(org: Any, setup: dict[str, Any], api_as: Any) -> None:
    bonus.bonuses_settle_due()

    row = api_as(org.owner).get(URL, {"account": setup["top"].pk}).json()["results"][0]

    assert {key: row[key] for key in row if key not in ("id", "created_at", "tier")} == {
        "target": setup["first"].pk,
        "agreement": setup["agreement"].pk,
        "agreement_title": "Frame 2026",
        "account": setup["top"].pk,
        "account_name": "Top",
        "period_start": "2026-01-01",
        "period_end": "2026-06-30",
        "counted_until": "2026-06-30",
        "currency": "EUR",
        "achieved_amount": "1500.00",
        "threshold_amount": "1000.00",
        "bonus_percent": "1.00",
        "bonus_amount": "15.00",
        "excluded": {},
        "settled_by": None,
        "settled_by_name": None,
    }


def test_confidential_figures_are_hidden_from_marketing(
    org: Any, setup: dict[str, Any], api_as: Any
) -> None:
    AccountTeamMember.objects.create(account=setup["top"], user=org.marketing)
    bonus.bonuses_settle_due()

    row = api_as(org.marketing).get(URL).json()["results"][0]

    assert row["period_end"] == "2026-06-30"
    for hidden in ("achieved_amount", "threshold_amount", "bonus_percent", "bonus_amount"):
        assert hidden not in row
    assert "excluded" not in row


def test_list_queries_are_constant(
    org: Any, setup: dict[str, Any], api_as: Any, django_assert_max_num_queries: Any
) -> None:
    for _ in range(5):
        agreement = AgreementFactory(account=AccountFactory(owner=org.owner))
        VolumeTargetFactory(
            agreement=agreement, period_start=D(2026, 1, 1), period_end=D(2026, 3, 31)
        )
    bonus.bonuses_settle_due()
    assert BonusSettlement.objects.count() == 6

    with django_assert_max_num_queries(6):
        response = api_as(org.owner).get(URL)

    assert response.json()["count"] == 6


def test_settle_now_by_a_head_of_sales(org: Any, setup: dict[str, Any], api_as: Any) -> None:
    response = api_as(org.sales_head).post(
        f"{URL}settle/", {"target": setup["second"].pk}, format="json"
    )

    assert response.status_code == 201
    body = response.json()
    assert (body["counted_until"], body["achieved_amount"], body["bonus_amount"]) == (
        "2026-07-15",
        "700.00",
        "14.00",
    )
    assert body["settled_by_name"] == "head"
    again = api_as(org.sales_head).post(f"{URL}settle/", {"target": setup["second"].pk})
    assert again.status_code == 400
    assert again.json()["code"] == "bonus_invalid"
    assert again.json()["fields"] == {"target": ["This period is already settled."]}


@pytest.mark.parametrize(
    ("who", "status"),
    [("owner", 403), ("lead", 403), ("auditor", 403), ("other", 404), ("staff", 404)],
)
def test_settle_now_refused_changes_nothing(
    org: Any, setup: dict[str, Any], api_as: Any, who: str, status: int
) -> None:
    response = api_as(getattr(org, who)).post(f"{URL}settle/", {"target": setup["second"].pk})

    assert response.status_code == status
    assert BonusSettlement.objects.count() == 0


def test_settle_now_validates_the_target(org: Any, setup: dict[str, Any], api_as: Any) -> None:
    client = api_as(org.sales_head)

    assert client.post(f"{URL}settle/", {}).json()["fields"] == {
        "target": ["This field is required."]
    }
    assert client.post(f"{URL}settle/", {"target": "abc"}).status_code == 400
    assert client.post(f"{URL}settle/", {"target": 987654321}).status_code == 404
    assert BonusSettlement.objects.count() == 0


def test_anonymous_gets_nothing(setup: dict[str, Any], api: Any) -> None:
    assert api.get(URL).status_code in (401, 403)
    assert api.post(f"{URL}settle/", {"target": setup["first"].pk}).status_code in (401, 403)
    assert BonusSettlement.objects.count() == 0


# --- the account panel ------------------------------------------------------------------------


def test_panel_shows_earned_tier_and_missing(org: Any, setup: dict[str, Any]) -> None:
    page = _client(org.owner).get(f"/accounts/{setup['top'].pk}/bonus-panel/").content.decode()

    assert "Frame 2026" in page
    assert "700.00 EUR" in page  # delivered so far in the running half-year
    assert "14.00 EUR" in page  # 2 % of it
    assert "highest tier reached" in page
    assert "Settle now" not in page


def test_panel_shows_what_is_missing_to_the_next_tier(org: Any, setup: dict[str, Any]) -> None:
    BonusTierFactory(target=setup["second"], threshold_amount=Decimal("2000.00"), bonus_percent=4)

    page = _client(org.owner).get(f"/accounts/{setup['top'].pk}/bonus-panel/").content.decode()

    assert "4.00% · 1300.00 EUR to go" in page


def test_panel_hides_figures_without_confidential_access(org: Any, setup: dict[str, Any]) -> None:
    AccountTeamMember.objects.create(account=setup["top"], user=org.marketing)

    page = _client(org.marketing).get(f"/accounts/{setup['top'].pk}/bonus-panel/")

    text = page.content.decode()
    assert page.status_code == 200
    assert "The figures are confidential." in text
    assert "700.00" not in text
    assert "14.00" not in text


@pytest.mark.parametrize("who", ROLES)
def test_panel_access_matrix(org: Any, setup: dict[str, Any], who: str) -> None:
    response = _client(getattr(org, who)).get(f"/accounts/{setup['top'].pk}/bonus-panel/")

    if who in SEES:
        assert response.status_code == 200
        assert "700.00 EUR" in response.content.decode()
    else:
        assert response.status_code == 404
        assert "700.00" not in response.content.decode()


def test_panel_needs_a_login(setup: dict[str, Any]) -> None:
    assert Client().get(f"/accounts/{setup['top'].pk}/bonus-panel/").status_code == 302


def test_panel_queries_are_constant(
    org: Any, setup: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    client = _client(org.owner)
    with django_assert_max_num_queries(14):
        client.get(f"/accounts/{setup['top'].pk}/bonus-panel/")
    for _ in range(5):
        product = ProductFactory(list_price=Decimal("10.00"))
        order = make_order(user=org.owner, account=setup["top"], products=[(product, "1")])
        order = services.order_transition(user=org.owner, order=order, to="confirmed").order
        services.delivery_create(
            user=org.owner,
            order=order,
            delivered_on=D(2026, 7, 3),
            lines=[(order.lines.get().pk, 1)],
        )
    with django_assert_max_num_queries(14):
        page = client.get(f"/accounts/{setup['top'].pk}/bonus-panel/").content.decode()

    assert "750.00 EUR" in page


def test_panel_settle_now_button_for_heads_of_sales(org: Any, setup: dict[str, Any]) -> None:
    client = _client(org.sales_head)
    page = client.get(f"/accounts/{setup['top'].pk}/bonus-panel/").content.decode()
    assert "Settle now" in page

    response = client.post(
        f"/orders/bonus-targets/{setup['second'].pk}/settle/",
        {"account": setup["top"].pk},
        HTTP_HX_REQUEST="true",
    )

    text = response.content.decode()
    assert "Settled." in text
    assert "Settle now" not in text
    assert BonusSettlement.objects.get().bonus_amount == Decimal("14.00")


def test_panel_settle_now_refused_to_the_owner(org: Any, setup: dict[str, Any]) -> None:
    response = _client(org.owner).post(
        f"/orders/bonus-targets/{setup['second'].pk}/settle/", {"account": setup["top"].pk}
    )

    assert response.status_code == 403
    assert BonusSettlement.objects.count() == 0


def test_bonus_panel_is_registered(org: Any) -> None:
    keys = [p.key for p in registry.panels_for("accounts.account", org.owner)]
    assert "orders.account_bonus" in keys


def test_schema_has_the_bonus_and_confirmation_endpoints(org: Any, api_as: Any) -> None:
    response = api_as(org.admin).get("/api/schema/")

    assert response.status_code == 200
    assert b"/api/v1/bonus-settlements/settle/" in response.content
    assert b"/api/v1/bonus-settlements/{id}/" in response.content
    assert b"/api/v1/orders/{id}/confirmation/" in response.content


def test_panel_on_a_subsidiary_names_the_group_agreement(org: Any, setup: dict[str, Any]) -> None:
    child = AccountFactory(owner=org.owner, name="Child", parent=setup["top"])

    page = _client(org.owner).get(f"/accounts/{child.pk}/bonus-panel/").content.decode()

    assert "inherited from Top" in page
    assert "700.00 EUR" in page  # the group's deliveries count


def test_panel_without_an_agreement(org: Any) -> None:
    lone = AccountFactory(owner=org.owner)

    page = _client(org.owner).get(f"/accounts/{lone.pk}/bonus-panel/").content.decode()

    assert "No key-account agreement in force." in page
