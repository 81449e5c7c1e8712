"""At phone width the layout fits the screen and the navigation sits behind the toggler."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from kam.core.services import soft_delete
from kam.users.tests.factories import NotificationFactory

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 740}


def test_at_phone_width_the_navigation_opens_from_the_toggler(page, url, org, login_as, screenshot):
    page.set_viewport_size(PHONE)
    login_as(org.owner)
    page.goto(url("/"))
    sidebar = page.locator("#kam-sidebar")
    teams_link = sidebar.get_by_role("link", name="Teams")
    toggler = page.get_by_role("button", name="Open navigation")

    expect(toggler).to_be_visible()
    expect(teams_link).to_be_hidden()
    assert page.evaluate("document.documentElement.scrollWidth") == PHONE["width"]
    screenshot(page, "home-phone")

    toggler.click()

    expect(sidebar).to_have_class(re.compile(r"(^| )show( |$)"))
    expect(sidebar).to_have_attribute("aria-modal", "true")
    expect(teams_link).to_be_visible()
    # The sidebar scrolls when the apps' sections outgrow a phone's height.
    teams_link.scroll_into_view_if_needed()
    expect(teams_link).to_be_in_viewport()
    screenshot(page, "home-phone-navigation")

    teams_link.click()

    expect(page).to_have_url(url("/teams/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Teams")
    expect(page.get_by_role("button", name="Open navigation")).to_be_visible()
    expect(page.locator("#kam-sidebar").get_by_role("link", name="Teams")).to_be_hidden()


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/teams/",
        "/audit/?model=users.team",
        "/trash/",
        "/profile/",
        "/notifications/",
        "/users/",
    ],
)
def test_pages_fit_a_phone_screen(page, url, org, login_as, a11y_problems, screenshot, path):
    soft_delete(instance=org.south, user=org.admin)
    NotificationFactory(recipient=org.admin, title="A rather long title of a notification here")
    page.set_viewport_size(PHONE)
    login_as(org.admin)

    page.goto(url(path))

    assert page.evaluate("document.documentElement.scrollWidth") == PHONE["width"]
    assert a11y_problems(page) == []
    if path != "/":
        screenshot(page, "phone-" + path.split("?")[0].strip("/"))
