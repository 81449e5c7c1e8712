"""The trash: what was deleted is listed and one click restores it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from kam.core.services import soft_delete
from kam.users.models import Team
from kam.users.tests.factories import TeamFactory

pytestmark = pytest.mark.browser


def test_an_admin_restores_a_deleted_team_from_the_trash(page, url, org, login_as, screenshot):
    admin = org.admin
    team = TeamFactory(name="Expo stand")
    soft_delete(instance=team, user=admin)
    assert not Team.objects.filter(pk=team.pk).exists()
    login_as(admin)

    page.goto(url("/trash/"))

    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(1)
    cells = rows.first.locator("td")
    expect(cells.nth(0)).to_have_text("Expo stand")
    expect(cells.nth(1)).to_have_text("Team")
    expect(cells.nth(3)).to_have_text("Ada Admin")
    expect(rows.first.get_by_role("button", name="Delete for good")).to_be_visible()
    screenshot(page, "trash")

    rows.first.get_by_role("button", name="Restore").click()

    expect(page).to_have_url(url("/trash/"))
    expect(page.get_by_role("status")).to_contain_text("Restored “Expo stand”.")
    expect(page.locator("table")).to_have_count(0)
    expect(page.locator(".empty-state")).to_contain_text("The trash is empty.")
    team.refresh_from_db()
    assert team.deleted_at is None
    assert team.deleted_by is None
    assert list(Team.objects.filter(name="Expo stand").values_list("pk", flat=True)) == [team.pk]


def test_deleting_for_good_asks_first_and_a_no_keeps_the_record(page, url, org, login_as):
    team = TeamFactory(name="Old fair")
    soft_delete(instance=team, user=org.admin)
    login_as(org.admin)
    page.goto(url("/trash/"))
    asked = []

    def answer(dialog, accept):
        asked.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", lambda dialog: answer(dialog, accept=False))
    page.get_by_role("button", name="Delete for good").click()

    expect(page.locator("table tbody tr")).to_have_count(1)
    assert Team.all_objects.filter(pk=team.pk).exists()

    page.once("dialog", lambda dialog: answer(dialog, accept=True))
    page.get_by_role("button", name="Delete for good").click()

    expect(page.get_by_role("status")).to_contain_text("Deleted “Old fair” for good.")
    assert asked == ["Delete this record for good? This cannot be undone."] * 2
    assert not Team.all_objects.filter(pk=team.pk).exists()
