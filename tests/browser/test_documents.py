"""Documents in the browser: upload on the account page's panel, a new version on the
document page, the register with the numbered document."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from kam.accounts.tests.factories import AccountFactory, ContactFactory
from kam.documents.models import Document
from kam.documents.tests import factories as f

pytestmark = pytest.mark.browser


def test_upload_a_document_add_a_version_and_find_it_in_the_register(
    page, url, org, login_as, screenshot, a11y_problems, tmp_path
):
    account = AccountFactory(owner=org.owner, name="Globex")
    ContactFactory(account=account, first_name="Jens", last_name="Weber")
    contract = tmp_path / "supply-contract.pdf"
    contract.write_bytes(f.PDF)
    login_as(org.owner)
    page.goto(url(f"/accounts/{account.pk}/"))

    panel = page.locator(".documents-panel")
    expect(panel).to_contain_text("No documents yet.")
    panel.get_by_label("Title / subject").fill("Supply contract 2027")
    panel.get_by_label("Kind").select_option("contract")
    panel.get_by_label("Direction").select_option("outgoing")
    panel.get_by_label("Document number").fill("C-2027-1")
    panel.get_by_label("Correspondent").select_option(label="Globex")
    panel.get_by_label("File").set_input_files(str(contract))
    panel.get_by_role("button", name="Upload").click()

    expect(panel).to_contain_text("“Supply contract 2027” uploaded")
    document = Document.objects.get()
    expect(panel.locator(f"#document-{document.pk}")).to_contain_text(document.register_number)
    assert a11y_problems(page) == []
    screenshot(page, "documents-account-panel")

    # A second version on the document's page.
    panel.get_by_role("link", name="Supply contract 2027").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Supply contract 2027")
    signed = tmp_path / "signed.pdf"
    signed.write_bytes(f.PDF)
    page.get_by_label("New version").set_input_files(str(signed))
    page.get_by_label("What changed").fill("countersigned")
    page.get_by_role("button", name="Upload a new version").click()
    expect(page.locator("#versions tbody tr")).to_have_count(2)
    expect(page.locator("#versions")).to_contain_text("countersigned")
    assert a11y_problems(page) == []
    screenshot(page, "documents-detail")

    # A refused file says why.
    fake = tmp_path / "invoice.pdf"
    fake.write_bytes(f.HTML)
    page.get_by_label("New version").set_input_files(str(fake))
    page.get_by_role("button", name="Upload a new version").click()
    expect(page.locator("#new-version")).to_contain_text("it contains HTML, SVG or XML markup.")

    # The register.
    page.goto(url("/documents/register/"))
    expect(page.locator("#register")).to_contain_text(document.register_number)
    expect(page.locator("#register")).to_contain_text("Globex")
    assert a11y_problems(page) == []
    screenshot(page, "documents-register")
