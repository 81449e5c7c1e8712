"""/api/v1/deals/, move, pipelines and stages, needs and objections, forecast."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
import time_machine

from kam.accounts.models import Account
from kam.accounts.tests.factories import AccountFactory
from kam.sales import services
from kam.sales.models import Deal
from kam.sales.tests.factories import DealFactory, deal_data, pipeline, stage

pytestmark = pytest.mark.django_db


@pytest.fixture
def account(org: Any) -> Account:
    return AccountFactory(owner=org.owner, name="Acme")


@pytest.fixture
def deal(org: Any, account: Account) -> Deal:
    return services.deal_create(user=org.owner, data=deal_data(account, title="Fleet renewal"))


@pytest.fixture
def foreign_owned(org: Any) -> Deal:
    """A deal owned by `peer` on an account of `other` (south): its owner sees it."""
    theirs = AccountFactory(owner=org.other, name="Southern Co")
    return services.deal_create(
        user=org.other, data=deal_data(theirs, title="Peer's deal", owner=org.peer)
    )


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("owner", 200),
        ("lead", 200),
        ("peer", 404),
        ("other", 404),
        ("kam", 404),
        ("sales_head", 200),
        ("auditor", 200),
        ("admin", 200),
        ("service", 404),
        ("marketing", 404),
    ],
)
def test_deal_detail_access_matrix(
    api_as: Any, org: Any, deal: Deal, role: str, status: int
) -> None:
    response = api_as(getattr(org, role)).get(f"/api/v1/deals/{deal.pk}/")

    assert response.status_code == status
    if status == 404:
        assert "Fleet renewal" not in response.content.decode()
    else:
        assert response.json()["title"] == "Fleet renewal"
        assert response["ETag"] == f'"{deal.version}"'


@pytest.mark.parametrize(
    ("role", "status"),
    [("peer", 200), ("other", 200), ("lead", 200), ("owner", 404), ("kam", 404)],
)
def test_a_deal_owner_sees_his_deal_on_an_account_he_does_not_own(
    api_as: Any, org: Any, foreign_owned: Deal, role: str, status: int
) -> None:
    # peer owns the deal; other owns the account; lead leads peer's team; owner and kam neither.
    response = api_as(getattr(org, role)).get(f"/api/v1/deals/{foreign_owned.pk}/")

    assert response.status_code == status


def test_anonymous_gets_401(api: Any, deal: Deal) -> None:
    assert api.get("/api/v1/deals/").status_code == 401
    assert api.post(f"/api/v1/deals/{deal.pk}/move/", {"stage": 1}).status_code == 401


def test_list_filters_and_constant_queries(
    api_as: Any, org: Any, account: Account, django_assert_max_num_queries: Any
) -> None:
    for n in range(30):
        DealFactory(account=account, title=f"Deal {n}", amount=Decimal(n))
    DealFactory(account=account, title="Presented one", stage=stage("Presented"))
    client = api_as(org.owner)

    with django_assert_max_num_queries(6):
        response = client.get("/api/v1/deals/?page_size=50")
    assert response.json()["count"] == 31

    presented = client.get(f"/api/v1/deals/?stage={stage('Presented').pk}").json()
    assert [d["title"] for d in presented["results"]] == ["Presented one"]
    ordered = client.get("/api/v1/deals/?ordering=-amount&status=open").json()["results"]
    assert ordered[0]["title"] == "Presented one"  # 1000 by default, the others 0..29
    assert client.get("/api/v1/deals/?close_from=not-a-date").status_code == 400


def test_create_and_validation_errors(api_as: Any, org: Any, account: Account) -> None:
    client = api_as(org.owner)

    created = client.post(
        "/api/v1/deals/",
        {
            "title": "New fleet",
            "account": account.pk,
            "amount": "2500.00",
            "next_step": "Call",
            "next_step_date": "2026-12-01",
        },
    )
    missing = client.post("/api/v1/deals/", {"title": "No step", "account": account.pk})
    not_mine = api_as(org.other).post(
        "/api/v1/deals/",
        {"title": "x", "account": account.pk, "next_step": "a", "next_step_date": "2026-12-01"},
    )

    assert created.status_code == 201
    assert created.json()["stage_name"] == "Lead"
    assert created.json()["probability"] == 5
    assert missing.status_code == 400
    assert set(missing.json()["fields"]) == {"next_step", "next_step_date"}
    assert not_mine.status_code == 400
    assert "account" in not_mine.json()["fields"]
    assert api_as(org.auditor).post("/api/v1/deals/", {"title": "x"}).status_code == 403
    assert Deal.objects.count() == 1


def test_update_needs_the_version(api_as: Any, org: Any, deal: Deal) -> None:
    client = api_as(org.owner)

    stale = client.patch(
        f"/api/v1/deals/{deal.pk}/", {"amount": "1"}, HTTP_IF_MATCH=f'"{deal.version + 5}"'
    )
    fresh = client.patch(
        f"/api/v1/deals/{deal.pk}/", {"amount": "1"}, HTTP_IF_MATCH=f'"{deal.version}"'
    )

    assert stale.status_code == 409
    assert fresh.status_code == 200
    assert fresh.json()["amount"] == "1.00"


def test_move_refused_answers_400_with_the_reason(api_as: Any, org: Any, deal: Deal) -> None:
    response = api_as(org.owner).post(
        f"/api/v1/deals/{deal.pk}/move/", {"stage": stage("Needs identified").pk}
    )

    assert response.status_code == 400
    assert response.json()["code"] == "move_refused"
    assert "Record at least one need" in response.json()["detail"]
    deal.refresh_from_db()
    assert deal.stage == stage("Lead")


def test_move_then_won(api_as: Any, org: Any, deal: Deal) -> None:
    client = api_as(org.owner)

    moved = client.post(f"/api/v1/deals/{deal.pk}/move/", {"stage": stage("Presented").pk})
    won = client.post(f"/api/v1/deals/{deal.pk}/move/", {"stage": stage("Won").pk})
    lost = client.post(f"/api/v1/deals/{deal.pk}/move/", {"stage": stage("Lost").pk})

    assert moved.json()["stage_name"] == "Presented"
    assert (won.json()["status"], won.json()["probability"]) == ("won", 100)
    assert lost.status_code == 400
    assert lost.json()["fields"]["lost_reason"] == ["A lost deal needs the reason it was lost."]


@pytest.mark.parametrize(("role", "status"), [("peer", 404), ("auditor", 403), ("lead", 200)])
def test_move_access(api_as: Any, org: Any, deal: Deal, role: str, status: int) -> None:
    response = api_as(getattr(org, role)).post(
        f"/api/v1/deals/{deal.pk}/move/", {"stage": stage("Presented").pk}
    )

    assert response.status_code == status
    deal.refresh_from_db()
    assert deal.stage.name == ("Presented" if status == 200 else "Lead")


def test_pipelines_list_their_ordered_stages(api_as: Any, org: Any) -> None:
    response = api_as(org.owner).get("/api/v1/pipelines/")

    body = response.json()["results"][0]
    assert body["is_default"] is True
    assert [s["name"] for s in body["stages"]][:3] == [
        "Lead",
        "Appointment set",
        "Meeting prepared",
    ]
    assert body["stages"][4]["requirements"] == ["needs_recorded"]


def test_only_admins_change_pipelines_and_stages(api_as: Any, org: Any) -> None:
    lead = stage("Lead")
    refused = api_as(org.sales_head).patch(
        f"/api/v1/stages/{lead.pk}/", {"name": "x", "version": lead.version}
    )
    created = api_as(org.admin).post("/api/v1/pipelines/", {"name": "Key accounts"})
    renamed = api_as(org.admin).patch(
        f"/api/v1/stages/{lead.pk}/", {"probability": 8, "version": lead.version}
    )
    added = api_as(org.admin).post(
        "/api/v1/stages/", {"pipeline": pipeline().pk, "name": "Trial", "probability": 50}
    )

    assert refused.status_code == 403
    assert created.status_code == 201
    assert len(created.json()["stages"]) == 10
    assert renamed.json()["probability"] == 8
    assert added.status_code == 201
    assert api_as(org.owner).post("/api/v1/pipelines/", {"name": "Mine"}).status_code == 403


def test_needs_and_objections(api_as: Any, org: Any, deal: Deal) -> None:
    client = api_as(org.owner)

    need = client.post("/api/v1/needs/", {"deal": deal.pk, "description": "Fuel cards"})
    objection = client.post(
        "/api/v1/objections/", {"deal": deal.pk, "kind": "price", "description": "Too dear"}
    )
    oid = objection.json()["id"]
    resolved = client.post(
        f"/api/v1/objections/{oid}/resolve/", {"answer": "Discount", "version": 1}
    )
    invisible = api_as(org.other).get(f"/api/v1/needs/{need.json()['id']}/")
    smuggled = api_as(org.other).post("/api/v1/needs/", {"deal": deal.pk, "description": "x"})

    assert need.status_code == 201
    assert resolved.json()["is_resolved"] is True
    assert invisible.status_code == 404
    assert smuggled.status_code == 400
    client = api_as(org.owner)  # the one test client, authenticated as another user above
    assert client.get(f"/api/v1/needs/?deal={deal.pk}").json()["count"] == 1
    assert client.get("/api/v1/objections/?is_resolved=true").json()["count"] == 1


def test_forecast_matches_a_hand_computation(api_as: Any, org: Any) -> None:
    mine = AccountFactory(owner=org.owner)
    south = AccountFactory(owner=org.other)
    dec, jan = datetime.date(2026, 12, 15), datetime.date(2027, 1, 20)
    DealFactory(account=mine, amount=Decimal("1000.00"), expected_close_date=dec)  # Lead 5%
    DealFactory(
        account=mine,
        amount=Decimal("333.33"),
        probability=33,
        expected_close_date=dec,
        stage=stage("Presented"),
    )
    DealFactory(account=mine, amount=Decimal("500.00"), currency="USD", expected_close_date=dec)
    DealFactory(account=south, amount=Decimal("2000.00"), expected_close_date=jan, probability=80)
    with time_machine.travel("2026-11-15 12:00:00+00:00", tick=False):
        DealFactory(
            account=mine,
            amount=Decimal("700.00"),
            stage=stage("Won"),
            closed_at=datetime.datetime(2026, 11, 10, tzinfo=datetime.UTC),
        )
        DealFactory(  # won last year: not "to date"
            account=mine,
            amount=Decimal("9999.00"),
            stage=stage("Won"),
            closed_at=datetime.datetime(2025, 6, 1, tzinfo=datetime.UTC),
        )
        body = api_as(org.sales_head).get("/api/v1/forecast/").json()

    # EUR weighted: 1000 x 5% + 333.33 x 33% + 2000 x 80% = 50 + 109.9989 + 1600 = 1759.9989
    totals = {line["currency"]: line for line in body["totals"]}
    assert totals["EUR"]["weighted"] == "1760.00"
    assert totals["EUR"]["pipeline"] == "3333.33"
    assert totals["EUR"]["won"] == "700.00"
    assert totals["USD"]["weighted"] == "25.00"
    months = {(m["key"], m["currency"]): m["weighted"] for m in body["months"]}
    assert months == {
        ("2026-12", "EUR"): "160.00",  # 50 + 109.9989
        ("2026-12", "USD"): "25.00",
        ("2027-01", "EUR"): "1600.00",
        ("2026-11", "EUR"): "0.00",  # the month the won deal closed
    }
    teams = {(t["label"], t["currency"]): (t["weighted"], t["won"]) for t in body["teams"]}
    assert teams[("North", "EUR")] == ("160.00", "700.00")
    assert teams[("South", "EUR")] == ("1600.00", "0.00")
    owners = {(o["label"], o["currency"]) for o in body["owners"]}
    assert owners == {("owner", "EUR"), ("owner", "USD"), ("other", "EUR")}

    # An account manager sees only his share.
    with time_machine.travel("2026-11-15 12:00:00+00:00", tick=False):
        his = api_as(org.other).get("/api/v1/forecast/").json()
    assert [(t["currency"], t["weighted"]) for t in his["totals"]] == [("EUR", "1600.00")]
    assert api_as(org.owner).get("/api/v1/forecast/?won_since=nope").status_code == 400


def test_schema_documents_the_sales_api(api_as: Any, org: Any) -> None:
    response = api_as(org.owner).get("/api/schema/?format=json")

    paths = response.json()["paths"]
    assert "/api/v1/deals/{id}/move/" in paths
    assert "/api/v1/forecast/" in paths
