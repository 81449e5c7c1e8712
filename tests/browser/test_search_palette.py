"""The Ctrl-K search palette: opens from the keyboard anywhere, finds, and Enter opens a hit."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_ctrl_k_opens_the_palette_and_a_team_name_finds_the_team(
    page, url, org, login_as, screenshot
):
    login_as(org.owner)
    page.goto(url("/"))
    palette = page.locator("#kam-search")
    expect(palette).to_be_hidden()

    page.keyboard.press("Control+k")

    expect(palette).to_be_visible()
    field = page.get_by_role("searchbox", name="Search KAM")
    expect(field).to_be_focused()
    field.press_sequentially("nort")
    hit = page.locator("#kam-search-results a").filter(has_text="North")
    expect(hit).to_have_count(1)
    expect(hit).to_have_attribute("href", f"/teams/{org.north.pk}/")
    expect(hit.locator(".badge")).to_have_text("Team")
    expect(page.locator("#kam-search-results a")).to_have_count(1)
    screenshot(page, "search-palette")

    field.press("Enter")

    expect(page).to_have_url(url(f"/teams/{org.north.pk}/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("North")


def test_the_palette_says_when_nothing_matches(page, url, org, login_as):
    login_as(org.owner)
    page.goto(url("/teams/"))

    page.keyboard.press("Control+k")
    page.get_by_role("searchbox", name="Search KAM").fill("zzz-no-such-thing")

    expect(page.locator("#kam-search-results")).to_have_text(
        "Nothing found for “zzz-no-such-thing”."
    )
