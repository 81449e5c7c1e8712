"""The board, the deal pages, needs and objections in place, the forecast page, the account
panel, the timeline and search sources, the export."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from kam.accounts.models import Account
from kam.accounts.tests.factories import AccountFactory
from kam.core import registry
from kam.sales import services
from kam.sales.models import Deal
from kam.sales.selectors import CARDS_PER_COLUMN
from kam.sales.tests.factories import DealFactory, deal_data, stage

pytestmark = pytest.mark.django_db


@pytest.fixture
def account(org: Any) -> Account:
    return AccountFactory(owner=org.owner, name="Acme")


@pytest.fixture
def deal(org: Any, account: Account) -> Deal:
    return services.deal_create(user=org.owner, data=deal_data(account, title="Fleet renewal"))


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _board_queries(client: Client, django_assert_max_num_queries: Any) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        response = client.get("/deals/board/")
    assert response.status_code == 200
    return len(captured)


def test_board_costs_the_same_queries_whatever_the_number_of_deals(
    org: Any, account: Account, django_assert_max_num_queries: Any
) -> None:
    client = _client(org.sales_head)
    for name in ("Lead", "Presented"):
        DealFactory(account=account, stage=stage(name))
    few = _board_queries(client, django_assert_max_num_queries)
    for name in ("Lead", "Presented", "Closing"):
        for _ in range(CARDS_PER_COLUMN + 5):
            DealFactory(account=account, stage=stage(name))

    many = _board_queries(client, django_assert_max_num_queries)

    assert many == few
    with django_assert_max_num_queries(few):
        response = client.get("/deals/board/")
    html = response.content.decode()
    assert html.count('class="card mb-2 kam-deal-card"') == 2 * CARDS_PER_COLUMN + 20
    assert "Show more" in html


def test_board_shows_only_what_the_user_may_see(org: Any, account: Account) -> None:
    DealFactory(account=account, title="Mine")
    DealFactory(account=AccountFactory(owner=org.other), title="Southern")

    html = _client(org.owner).get("/deals/board/").content.decode()

    assert "Mine" in html
    assert "Southern" not in html


def test_board_cards_offer_only_the_quick_log_panels(org: Any, deal: Deal) -> None:
    deal_panels = {
        panel.title: panel.quick_log for panel in registry.panels_for("sales.deal", org.owner)
    }

    html = _client(org.owner).get("/deals/board/").content.decode()

    # Several apps hang panels off the deal page; a card offers only the ones made for logging.
    assert len(deal_panels) > 1
    offered = {str(title) for title, quick in deal_panels.items() if quick}
    assert offered == {"Activities and tasks"}
    assert html.count("kam-card-panel") == 1
    assert f'aria-label="Activities and tasks: {deal.title}"' in html


def test_deal_list_downloads_as_csv(org: Any, deal: Deal) -> None:
    response = _client(org.owner).get("/deals/export/?format=csv")

    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert response["Content-Disposition"] == 'attachment; filename="kam-deals.csv"'
    title = rows[0].index("Title")
    assert [row[title] for row in rows[1:]] == [deal.title]


def test_board_column_pages(org: Any, account: Account) -> None:
    for n in range(CARDS_PER_COLUMN + 3):
        DealFactory(account=account, title=f"Card {n:02d}")

    page = _client(org.owner).get(f"/deals/board/columns/{stage('Lead').pk}/?page=2")

    assert page.content.decode().count("kam-deal-card") == 3


def test_board_move_answers_json(org: Any, deal: Deal) -> None:
    client = _client(org.owner)

    refused = client.post(
        f"/deals/{deal.pk}/move/",
        {"stage": stage("Needs identified").pk},
        HTTP_ACCEPT="application/json",
    )
    moved = client.post(
        f"/deals/{deal.pk}/move/", {"stage": stage("Presented").pk}, HTTP_ACCEPT="application/json"
    )
    hidden = _client(org.other).post(
        f"/deals/{deal.pk}/move/", {"stage": stage("Won").pk}, HTTP_ACCEPT="application/json"
    )

    assert refused.status_code == 400
    assert "Record at least one need" in refused.json()["reason"]
    assert moved.json()["ok"] is True
    assert hidden.status_code == 404
    deal.refresh_from_db()
    assert deal.stage == stage("Presented")


@pytest.mark.parametrize(
    ("role", "status"),
    [("owner", 200), ("lead", 200), ("peer", 404), ("sales_head", 200), ("auditor", 200)],
)
def test_detail_page_access(org: Any, deal: Deal, role: str, status: int) -> None:
    response = _client(getattr(org, role)).get(f"/deals/{deal.pk}/")

    assert response.status_code == status
    if status == 200:
        html = response.content.decode()
        assert "Fleet renewal" in html
        assert ("sales/deals/" in html) is False
        assert (f"/deals/{deal.pk}/edit/" in html) is (role in ("owner", "lead", "sales_head"))


def test_detail_shows_stage_history_with_durations(org: Any, deal: Deal) -> None:
    services.deal_move(user=org.owner, deal=deal, stage=stage("Presented"))

    html = _client(org.owner).get(f"/deals/{deal.pk}/").content.decode()

    assert "less than a minute" in html
    assert "Stage history" in html


def test_a_deal_loaded_without_stage_changes_still_has_its_page(org: Any, account: Account) -> None:
    loaded = DealFactory(account=account, title="Loaded in bulk")

    response = _client(org.owner).get(f"/deals/{loaded.pk}/")

    assert loaded.stage_changes.count() == 0
    assert response.status_code == 200
    assert "Loaded in bulk" in response.content.decode()


def test_needs_are_added_and_edited_in_place(org: Any, deal: Deal) -> None:
    client = _client(org.owner)

    added = client.post(
        f"/deals/{deal.pk}/needs/",
        {"description": "Fuel cards", "priority": "high"},
        HTTP_HX_REQUEST="true",
    )
    empty = client.post(f"/deals/{deal.pk}/needs/", {"description": ""}, HTTP_HX_REQUEST="true")
    need = deal.needs.get()
    form = client.get(f"/needs/{need.pk}/edit/", HTTP_HX_REQUEST="true")
    edited = client.post(
        f"/needs/{need.pk}/edit/",
        {"description": "Fuel cards for 40 trucks", "priority": "high", "version": need.version},
        HTTP_HX_REQUEST="true",
    )

    assert 'id="deal-needs"' in added.content.decode()
    assert "This field is required." in empty.content.decode()
    assert 'name="version"' in form.content.decode()
    assert "Fuel cards for 40 trucks" in edited.content.decode()
    assert _client(org.other).post(f"/needs/{need.pk}/delete/").status_code == 404
    assert deal.needs.count() == 1


def test_objection_resolved_in_place_needs_an_answer(org: Any, deal: Deal) -> None:
    client = _client(org.owner)
    client.post(f"/deals/{deal.pk}/objections/", {"kind": "price", "description": "Too dear"})
    objection = deal.objections.get()

    refused = client.post(
        f"/objections/{objection.pk}/edit/",
        {
            "kind": "price",
            "description": "Too dear",
            "is_resolved": "on",
            "version": objection.version,
        },
    )
    resolved = client.post(
        f"/objections/{objection.pk}/edit/",
        {
            "kind": "price",
            "description": "Too dear",
            "answer": "Volume discount",
            "is_resolved": "on",
            "version": objection.version,
        },
    )

    assert "Record the answer" in refused.content.decode()
    assert "Volume discount" in resolved.content.decode()
    objection.refresh_from_db()
    assert objection.is_resolved


def test_create_page_keeps_input_and_reports_errors(org: Any, account: Account) -> None:
    client = _client(org.owner)

    page = client.post(
        "/deals/new/",
        {"title": "Half done", "account": account.pk, "amount": "10", "currency": "EUR"},
    )
    done = client.post(
        "/deals/new/",
        {
            "title": "Done",
            "account": account.pk,
            "amount": "10",
            "currency": "EUR",
            "next_step": "Call",
            "next_step_date": "2026-12-01",
        },
    )

    assert page.status_code == 200
    assert "An open deal needs a next step." in page.content.decode()
    assert 'value="Half done"' in page.content.decode()
    assert done.status_code == 302
    assert Deal.objects.get().title == "Done"


def test_edit_page_reports_a_conflict(org: Any, deal: Deal) -> None:
    response = _client(org.owner).post(
        f"/deals/{deal.pk}/edit/",
        {
            "title": "Renamed",
            "account": deal.account_id,
            "amount": "10",
            "currency": "EUR",
            "next_step": "Call",
            "next_step_date": "2026-12-01",
            "version": deal.version + 3,
        },
    )

    assert "Someone else saved this deal" in response.content.decode()
    deal.refresh_from_db()
    assert deal.title == "Fleet renewal"


def test_list_page_filters_in_constant_queries(
    org: Any, account: Account, django_assert_max_num_queries: Any
) -> None:
    for n in range(40):
        DealFactory(account=account, title=f"Deal {n}")
    DealFactory(account=account, title="Won one", stage=stage("Won"))

    client = _client(org.owner)

    with django_assert_max_num_queries(10):
        page = client.get("/deals/?status=won")

    assert "Won one" in page.content.decode()
    assert "Deal 1<" not in page.content.decode()


def test_forecast_page(org: Any, account: Account) -> None:
    DealFactory(account=account, amount=Decimal("1000.00"))

    html = _client(org.owner).get("/deals/forecast/").content.decode()

    assert "50.00" in html  # 1000 x 5 %


def test_account_panel_lists_open_deals_needs_and_objections(org: Any, deal: Deal) -> None:
    services.need_create(user=org.owner, deal=deal, description="Fuel cards")
    services.objection_create(user=org.owner, deal=deal, kind="price", description="Too dear")
    panels = {p.key: p for p in registry.panels_for("accounts.account", org.owner)}
    panel = panels["sales.account_deals"]

    html = _client(org.owner).get(f"/accounts/{deal.account_id}/deals-panel/").content.decode()
    hidden = _client(org.other).get(f"/accounts/{deal.account_id}/deals-panel/")

    assert panel.url_name == "sales:account_deals_panel"
    assert "Fleet renewal" in html
    assert "Fuel cards" in html
    assert "Too dear" in html
    assert hidden.status_code == 404


def test_timeline_source_tells_moves_wins_and_losses(org: Any, deal: Deal) -> None:
    services.deal_move(user=org.owner, deal=deal, stage=stage("Presented"))
    services.deal_move(user=org.owner, deal=deal, stage=stage("Lost"), lost_reason="Price")

    entries = registry.timeline(org.owner, deal.account)
    others = registry.timeline(org.other, deal.account)

    titles = [e.title for e in entries if e.kind == "stage_change"]
    assert titles == [
        "Deal “Fleet renewal” lost",
        "Deal “Fleet renewal” moved to Presented",
        "Deal “Fleet renewal” opened in Lead",
    ]
    assert [e for e in others if e.kind == "stage_change"] == []


def test_search_source_finds_visible_deals(org: Any, deal: Deal) -> None:
    hits = [h for h in registry.search(org.owner, "fleet") if h.kind == "Deal"]

    assert [h.title for h in hits] == ["Fleet renewal"]
    assert [h for h in registry.search(org.other, "fleet") if h.kind == "Deal"] == []


def test_kam_export_deals(org: Any, deal: Deal, tmp_path: Any) -> None:
    DealFactory(account=AccountFactory(owner=org.other), title="=HYPERLINK(1)")
    out = tmp_path / "deals.csv"

    call_command("export", "deals", "--as", org.sales_head.username, "--output", str(out))
    mine = tmp_path / "mine.csv"
    call_command("export", "deals", "--as", org.owner.username, "--output", str(mine))

    rows = list(csv.reader(io.StringIO(out.read_bytes().decode("utf-8-sig"))))
    assert rows[0][:3] == ["ID", "Title", "Account"]
    assert sorted(r[1] for r in rows[1:]) == ["'=HYPERLINK(1)", "Fleet renewal"]
    my_rows = list(csv.reader(io.StringIO(mine.read_bytes().decode("utf-8-sig"))))
    assert [r[1] for r in my_rows[1:]] == ["Fleet renewal"]


def test_needs_and_objections_edit_in_place_with_the_version_check(org: Any, deal: Deal) -> None:
    need = services.need_create(user=org.owner, deal=deal, description="Scanners", priority="low")
    objection = services.objection_create(
        user=org.owner, deal=deal, kind="price", description="Too expensive"
    )
    client = _client(org.owner)

    form = client.get(f"/needs/{need.pk}/edit/").content.decode()
    assert 'name="description"' in form
    assert "Scanners" in form
    saved = client.post(
        f"/needs/{need.pk}/edit/",
        {"description": "Scanners for 3 sites", "priority": "high", "version": need.version},
    )
    assert "Scanners for 3 sites" in saved.content.decode()
    need.refresh_from_db()
    assert (need.description, need.priority, need.version) == ("Scanners for 3 sites", "high", 2)

    stale = client.post(
        f"/needs/{need.pk}/edit/", {"description": "Old tab", "priority": "low", "version": 1}
    )
    assert "Old tab" in stale.content.decode()  # the form comes back with what was typed
    need.refresh_from_db()
    assert need.description == "Scanners for 3 sites"

    refused = client.post(
        f"/objections/{objection.pk}/edit/",
        {
            "kind": "price",
            "description": "Too expensive",
            "answer": "",
            "is_resolved": "on",
            "version": objection.version,
        },
    )
    assert "Record the answer that resolved the objection." in refused.content.decode()
    objection.refresh_from_db()
    assert objection.is_resolved is False
    client.post(
        f"/objections/{objection.pk}/edit/",
        {
            "kind": "price",
            "description": "Too expensive",
            "answer": "Volume discount",
            "is_resolved": "on",
            "version": objection.version,
        },
    )
    objection.refresh_from_db()
    assert (objection.is_resolved, objection.answer) == (True, "Volume discount")
    assert objection.resolved_at is not None

    assert _client(org.other).get(f"/needs/{need.pk}/edit/").status_code == 404


def test_an_objection_answered_on_the_spot_is_added_resolved_or_not_at_all(
    org: Any, deal: Deal
) -> None:
    client = _client(org.owner)
    refused = client.post(
        f"/deals/{deal.pk}/objections/",
        {"kind": "timing", "description": "Not before Q3", "answer": "", "is_resolved": "on"},
    )
    assert "Record the answer that resolved the objection." in refused.content.decode()
    assert not deal.objections.exists()  # nothing half-written

    client.post(
        f"/deals/{deal.pk}/objections/",
        {
            "kind": "timing",
            "description": "Not before Q3",
            "answer": "Split delivery",
            "is_resolved": "on",
        },
    )
    (objection,) = deal.objections.all()
    assert objection.is_resolved
    assert objection.resolved_at is not None
