"""A manager imports a file of accounts in the browser, then merges the two duplicates in it."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from kam.accounts.models import Account

pytestmark = pytest.mark.browser

CSV = (
    "Company name,Website,Country,Phone\n"
    "Romashka LLC,https://romashka.ru,RU,+7 495 123-45-67\n"
    "OOO Romashka,romashka.ru,RU,\n"
    "Globex GmbH,globex.de,DE,030 1234567\n"
)


def test_import_a_file_then_merge_its_duplicates(
    page, url, org, login_as, screenshot, tmp_path: Path
):
    source = tmp_path / "hubspot-companies.csv"
    source.write_text(CSV, encoding="utf-8")
    login_as(org.owner)

    page.goto(url("/accounts/import/"))
    page.get_by_label("File").set_input_files(str(source))
    page.get_by_label("When a record exists").select_option("create")
    page.get_by_role("button", name="Upload and preview").click()

    expect(page.get_by_test_id("import-counts")).to_contain_text("created: 3")
    expect(page.get_by_text("dry run: nothing is written")).to_be_visible()
    assert Account.objects.count() == 0
    screenshot(page, "import-preview")
    page.get_by_role("button", name="Import", exact=True).click()

    expect(page.get_by_test_id("import-counts")).to_contain_text("created: 3")
    assert sorted(Account.objects.values_list("name", flat=True)) == [
        "Globex GmbH",
        "OOO Romashka",
        "Romashka LLC",
    ]

    page.goto(url("/accounts/duplicates/"))
    screenshot(page, "duplicates")
    page.get_by_role("link", name="Review and merge").first.click()
    screenshot(page, "merge")
    page.get_by_role("button", name="Merge into").click()

    expect(page.get_by_role("status")).to_be_visible()
    live = list(Account.objects.values_list("name", flat=True).order_by("name"))
    assert len(live) == 2
    assert "Globex GmbH" in live
    assert Account.all_objects.filter(deleted_at__isnull=False).count() == 1
