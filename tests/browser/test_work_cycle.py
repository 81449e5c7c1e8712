"""Issue 4's walk: a new lead becomes a won deal in the browser, through every stage of the
default pipeline, with a call logged from the board, a meeting logged, a refused move, a need
recorded and a drag on the board."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from kam.accounts.models import Account
from kam.activities.models import Activity
from kam.sales.models import Deal, StageChange
from tests.browser.test_board import _column, _drag

pytestmark = pytest.mark.browser


def _move(page: Page, stage: str) -> None:
    page.locator("#move-heading + form").get_by_role("button", name=stage, exact=True).click()


def test_a_new_lead_walks_the_whole_cycle_to_won(
    page: Page, url: Any, org: Any, login_as: Any, screenshot: Any
) -> None:
    login_as(org.owner)
    page.set_viewport_size({"width": 1920, "height": 1000})

    # A new client company: the lead.
    page.goto(url("/accounts/new/"))
    page.get_by_label("Name", exact=False).first.fill("Nordwind Logistik")
    page.get_by_role("button", name="Save", exact=True).click()
    account = Account.objects.get(name="Nordwind Logistik")
    expect(page).to_have_url(url(f"/accounts/{account.pk}/"))

    # Its first deal, at the first stage.
    page.goto(url(f"/deals/new/?account={account.pk}"))
    page.get_by_label("Title").fill("Warehouse scanners")
    page.get_by_label("Amount").fill("48000")
    page.get_by_label("Next step", exact=True).fill("Call the logistics director")
    next_week = timezone.localdate() + datetime.timedelta(days=7)
    page.get_by_label("Next step date").fill(next_week.isoformat())
    page.get_by_role("button", name="Save", exact=True).click()
    deal = Deal.objects.get(title="Warehouse scanners")
    expect(page).to_have_url(url(f"/deals/{deal.pk}/"))
    assert deal.stage.name == "Lead"

    # The appointment, on the board: a drag.
    page.goto(url("/deals/board/"))
    _drag(page, page.locator(f"#deal-card-{deal.pk}"), _column(page, "Appointment set"))
    expect(page.locator("#board-alert")).to_contain_text("Moved to Appointment set.")
    # A call logged from the card, without leaving the board.
    page.locator(f"#deal-card-{deal.pk} .kam-card-panel").click()
    drawer = page.locator("#board-quicklog")
    drawer.get_by_label("Subject").fill("Booked the visit by phone")
    drawer.get_by_role("button", name="Log or plan").click()
    expect(drawer).to_contain_text("Booked the visit by phone")
    assert Activity.objects.filter(deal=deal, subject="Booked the visit by phone").exists()
    page.keyboard.press("Escape")

    # The meeting, logged from the deal page.
    page.goto(url(f"/deals/{deal.pk}/"))
    panel = page.locator(".activities-panel")
    panel.get_by_label("Type").select_option("meeting")
    panel.get_by_label("Subject").fill("First meeting at their warehouse")
    panel.get_by_role("button", name="Log or plan").click()
    expect(panel).to_contain_text("First meeting at their warehouse")
    assert Activity.objects.filter(deal=deal, kind="meeting").exists()

    _move(page, "Meeting prepared")
    expect(page.locator("h1 + p")).to_contain_text("Meeting prepared")
    _move(page, "Contact established")
    expect(page.locator("h1 + p")).to_contain_text("Contact established")

    # Needs identified needs a need: refused with the reason, then recorded and moved.
    _move(page, "Needs identified")
    expect(page.get_by_role("alert").filter(has_text="need")).to_be_visible()
    expect(page.locator("h1 + p")).to_contain_text("Contact established")
    page.get_by_label("New need").fill("Scan 2,000 pallets a day without queues")
    page.locator("#deal-needs").get_by_role("button", name="Add").click()
    expect(page.locator("#deal-needs")).to_contain_text("Scan 2,000 pallets a day")
    _move(page, "Needs identified")
    expect(page.locator("h1 + p")).to_contain_text("Needs identified")

    for stage in ("Presented", "Objections handled", "Closing", "Won"):
        _move(page, stage)
        expect(page.locator("h1 + p")).to_contain_text(stage)
    screenshot(page, "deal-won")

    deal.refresh_from_db()
    assert deal.status == "won"
    assert deal.closed_at is not None
    walked = list(
        StageChange.objects.filter(deal=deal)
        .order_by("pk")
        .values_list("to_stage__name", flat=True)
    )
    assert walked == [
        "Lead",
        "Appointment set",
        "Meeting prepared",
        "Contact established",
        "Needs identified",
        "Presented",
        "Objections handled",
        "Closing",
        "Won",
    ]
