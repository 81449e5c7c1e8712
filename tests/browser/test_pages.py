"""The main pages as people see them: what they show, what they do, and that they read well."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from kam.core.services import restore, soft_delete
from kam.users.tests.factories import NotificationFactory

pytestmark = pytest.mark.browser


def table_rows(page):
    """The body rows of the page's table, each a list of its cells' texts."""
    return page.locator("table tbody tr").evaluate_all(
        "rows => rows.map(r => Array.from(r.cells, c => c.innerText.trim()))"
    )


def test_teams_lists_each_team_with_its_lead_and_member_count(
    page, url, org, login_as, screenshot, a11y_problems
):
    login_as(org.owner)

    page.goto(url("/teams/"))

    expect(page.get_by_role("heading", level=1)).to_have_text("Teams")
    assert table_rows(page) == [["North", "Lena Lead", "3"], ["South", "—", "2"]]
    assert a11y_problems(page) == []
    screenshot(page, "teams")

    page.get_by_role("link", name="North").click()

    expect(page).to_have_url(url(f"/teams/{org.north.pk}/"))


def test_team_detail_shows_lead_members_and_history(
    page, url, org, login_as, screenshot, a11y_problems
):
    restore(instance=soft_delete(instance=org.north, user=org.admin), user=org.admin)
    login_as(org.owner)

    page.goto(url(f"/teams/{org.north.pk}/"))

    expect(page.get_by_role("heading", level=1)).to_have_text("North")
    breadcrumb = page.get_by_role("navigation", name="Breadcrumb")
    expect(breadcrumb.get_by_role("listitem")).to_have_text(["Teams", "North"])
    expect(page.get_by_text("Lead: Lena Lead")).to_be_visible()
    members = page.locator("main ul.list-group > li")
    expect(members).to_have_text(
        ["Lena Lead Account manager", "Olga Owen Account manager", "Piet Peer Account manager"]
    )
    history = page.locator("#history-heading + ol > li")
    expect(history).to_have_count(4)
    restored, deleted = history.nth(0), history.nth(1)
    expect(restored).to_contain_text("Ada Admin · Update")
    expect(restored.locator("li").first).to_contain_text("deleted_at: ")
    expect(restored.locator("li").first).to_contain_text(" → —")
    expect(deleted).to_contain_text("Ada Admin · Update")
    expect(deleted.locator("li").first).to_contain_text("deleted_at: — → ")
    assert a11y_problems(page) == []
    screenshot(page, "team-detail")


def test_team_history_says_when_a_restored_team_had_been_deleted(page, url, org, login_as):
    restore(instance=soft_delete(instance=org.north, user=org.admin), user=org.admin)
    login_as(org.owner)

    page.goto(url(f"/teams/{org.north.pk}/"))

    restored = page.locator("#history-heading + ol > li").first
    expect(restored.locator("li").first).to_have_text(re.compile(r"^deleted_at: (?!—).+ → —$"))


def test_audit_trail_shows_who_changed_what(page, url, org, login_as, screenshot, a11y_problems):
    soft_delete(instance=org.south, user=org.admin)
    login_as(org.auditor)

    page.goto(url("/audit/"))

    expect(page.get_by_role("heading", level=1)).to_have_text("Audit trail")
    first = table_rows(page)[0]
    assert first[1:4] == ["Ada Admin", "Update", "team “South”"]
    assert first[4].startswith("deleted_at: ")
    assert a11y_problems(page) == []

    page.get_by_label("Record type (app.model)").fill("users.team")
    page.get_by_role("button", name="Filter").click()

    expect(page).to_have_url(url("/audit/?model=users.team&since=&until="))
    assert [row[3] for row in table_rows(page)] == ["team “South”", "team “North”"] * 2
    screenshot(page, "audit-trail")

    page.get_by_label("Record type (app.model)").fill("users.department")
    page.get_by_role("button", name="Filter").click()

    expect(page).to_have_url(url("/audit/?model=users.department&since=&until="))
    rows = table_rows(page)
    assert [row[3] for row in rows] == ["department “Legal”", "department “Logistics”"]


def test_trash_page_reads_well(page, url, org, login_as, screenshot, a11y_problems):
    soft_delete(instance=org.south, user=org.admin)
    login_as(org.admin)

    page.goto(url("/trash/"))

    assert [row[:2] for row in table_rows(page)] == [["South", "Team"]]
    assert a11y_problems(page) == []


def test_profile_keeps_what_was_typed_and_says_what_is_wrong(
    page, url, org, login_as, screenshot, a11y_problems
):
    login_as(org.owner)
    page.goto(url("/profile/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Your profile")
    expect(page.get_by_label("First name")).to_have_value("Olga")
    assert a11y_problems(page) == []
    screenshot(page, "profile")

    page.get_by_label("First name").fill("Olivia")
    page.get_by_label("Email address").fill("not-an-address")
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_label("First name")).to_have_value("Olivia")
    email = page.get_by_label("Email address")
    expect(email).to_have_value("not-an-address")
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(page.locator(".invalid-feedback")).to_have_text(["Enter a valid email address."])
    assert a11y_problems(page) == []
    org.owner.refresh_from_db()
    assert (org.owner.first_name, org.owner.email) == ("Olga", "owner@example.com")


def test_an_invalid_profile_leaves_the_name_in_the_header_unchanged(page, url, org, login_as):
    login_as(org.owner)
    page.goto(url("/profile/"))

    page.get_by_label("First name").fill("Olivia")
    page.get_by_label("Email address").fill("not-an-address")
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_label("Email address")).to_have_attribute("aria-invalid", "true")
    assert page.locator("#kam-user-menu").inner_text().strip() == "Olga Owen"


def test_profile_saves_the_name(page, url, org, login_as):
    login_as(org.owner)
    page.goto(url("/profile/"))

    page.get_by_label("First name").fill("Olivia")
    page.get_by_label("Email address").fill("olivia@example.com")
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_role("status")).to_contain_text("Your profile was saved.")
    expect(page.locator("#kam-user-menu")).to_have_text("Olivia Owen")
    org.owner.refresh_from_db()
    assert (org.owner.first_name, org.owner.email) == ("Olivia", "olivia@example.com")


def test_notifications_are_listed_and_marked_read(
    page, url, org, login_as, screenshot, a11y_problems
):
    NotificationFactory(recipient=org.owner, title="Call Acme back", body="They asked for prices.")
    NotificationFactory(recipient=org.owner, title="Deal assigned to you", url="/teams/")
    NotificationFactory(recipient=org.peer, title="Not for the owner")
    login_as(org.owner)

    page.goto(url("/notifications/"))

    expect(page.get_by_role("heading", level=1)).to_have_text("Notifications")
    expect(page.get_by_test_id("unread-count")).to_have_text("2")
    items = page.locator("main .list-group-item")
    expect(items.locator("strong")).to_have_text(["New Deal assigned to you", "New Call Acme back"])
    expect(items.nth(1)).to_contain_text("They asked for prices.")
    expect(items.nth(0).get_by_role("link", name="Deal assigned to you")).to_have_attribute(
        "href", "/teams/"
    )
    assert a11y_problems(page) == []
    screenshot(page, "notifications")

    page.get_by_role("button", name="Mark all read").click()

    expect(page.get_by_test_id("unread-count")).to_have_count(0)
    expect(page.get_by_role("button", name="Mark all read")).to_have_count(0)
    expect(items.locator("strong")).to_have_text(["Deal assigned to you", "Call Acme back"])
    assert org.owner.notifications.filter(read_at__isnull=True).count() == 0


@pytest.mark.parametrize("path", ["/login/"])
def test_login_page_reads_well(page, url, path, a11y_problems):
    page.goto(url(path))

    assert a11y_problems(page) == []


def test_home_and_palette_read_well(page, url, org, login_as, a11y_problems):
    login_as(org.owner)
    page.goto(url("/"))
    assert a11y_problems(page) == []

    page.keyboard.press("Control+k")
    page.get_by_role("searchbox", name="Search KAM").fill("North")
    expect(page.locator("#kam-search-results a")).to_have_count(1)

    assert a11y_problems(page) == []
