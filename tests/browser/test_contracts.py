"""Contracts in the browser: a contract drawn up from the account, moved to signed (a refused
move says why), obligations added and closed in place, and department staff closing theirs on
"My obligations". Screenshots of the list, the contract page and "My obligations"."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from kam.accounts.tests.factories import AccountFactory
from kam.contracts.models import Contract, Obligation
from kam.contracts.tests.factories import ContractFactory, ObligationFactory

pytestmark = pytest.mark.browser


def _move(page: Page, status: str) -> None:
    page.locator("#move-heading + form").get_by_role("button", name=status, exact=True).click()


def test_a_contract_is_drawn_up_signed_and_its_obligations_kept(
    page: Page, url: Any, org: Any, login_as: Any, screenshot: Any, a11y_problems: Any
) -> None:
    account = AccountFactory(owner=org.owner, name="Nordwind Logistik")
    login_as(org.owner)

    page.goto(url(f"/contracts/new/?account={account.pk}"))
    page.get_by_label("Type").select_option("framework")
    page.get_by_label("Title").fill("Framework 2027")
    page.get_by_label("Start date").fill("2027-01-01")
    page.get_by_label("End date").fill("2027-12-31")
    page.get_by_label("Value").fill("250000")
    page.get_by_label("Renews automatically").check()
    page.get_by_label("Renewal term (months)").fill("12")
    page.get_by_label("Notice period (days)").fill("60")
    page.get_by_role("button", name="Save", exact=True).click()
    contract = Contract.objects.get(title="Framework 2027")
    expect(page).to_have_url(url(f"/contracts/{contract.pk}/"))
    expect(page.locator("#contract-value")).to_have_text("250000.00 EUR")

    _move(page, "Negotiation")
    _move(page, "Approval")
    _move(page, "Signed")  # no signing date yet
    expect(page.get_by_role("alert").first).to_contain_text(
        "Give the signing date to mark the contract signed."
    )
    page.get_by_label("Signing date (to sign)").fill(timezone.localdate().isoformat())
    _move(page, "Signed")
    expect(page.locator("#contract-status")).to_have_text("Signed")
    expect(page.locator("#status-history")).to_contain_text("Approval")

    form = page.get_by_role("form", name="Add an obligation")
    form.get_by_label("What").fill("Deliver the first batch")
    form.get_by_label("Due date").fill("2027-02-01")
    form.get_by_label("Department").select_option(label="Logistics")
    form.get_by_role("button", name="Add obligation").click()
    expect(page.locator("#contract-obligations")).to_contain_text("Deliver the first batch")
    obligation = Obligation.objects.get()
    row = page.locator(f"#obligation-{obligation.pk}")
    row.get_by_label("Note").fill("Shipped early")
    row.get_by_role("button", name="Done").click()
    expect(page.locator(f"#obligation-{obligation.pk}")).to_contain_text("Shipped early")
    obligation.refresh_from_db()
    assert obligation.status == "done"
    assert a11y_problems(page) == []
    screenshot(page, "contract-detail")

    page.goto(url("/contracts/"))
    expect(page.locator(f"#contract-{contract.pk}")).to_contain_text("Framework 2027")
    screenshot(page, "contract-list")

    # The account page's panel: the contract in force and its renewal.
    page.goto(url(f"/accounts/{account.pk}/"))
    panel = page.locator("#account-contracts-panel")
    expect(panel).to_contain_text(f"Next renewal: {contract.number} ends 12/31/2027")
    expect(panel).to_contain_text("(renews automatically)")


def test_department_staff_close_their_obligations_without_seeing_the_value(
    page: Page, url: Any, org: Any, login_as: Any, screenshot: Any, a11y_problems: Any
) -> None:
    contract = ContractFactory(
        account=AccountFactory(owner=org.owner, name="Acme"),
        number="C-2026-0101",
        status="active",
        value=Decimal("77777.00"),
    )
    late = ObligationFactory(
        contract=contract,
        description="Deliver the second batch",
        due_date=timezone.localdate() - datetime.timedelta(days=3),
        department=org.logistics,
    )
    login_as(org.staff)

    page.goto(url("/obligations/"))
    row = page.locator(f"#obligation-{late.pk}")
    expect(row).to_contain_text("overdue")
    expect(row).to_contain_text("C-2026-0101")
    assert "77777" not in page.content()
    assert a11y_problems(page) == []
    screenshot(page, "my-obligations")
    row.get_by_role("button", name="Done").click()
    expect(page.locator(f"#obligation-{late.pk}")).to_contain_text("Reopen")
    late.refresh_from_db()
    assert (late.status, late.closed_by) == ("done", org.staff)


def test_a_contract_is_renewed_by_its_successor_and_generated_as_pdf(
    page: Page, url: Any, org: Any, login_as: Any, screenshot: Any, a11y_problems: Any
) -> None:
    from kam.catalog.tests.factories import AgreementFactory

    account = AccountFactory(owner=org.owner, name="Baltic Pumps")
    agreement = AgreementFactory(account=account, title="Key account 2026")
    old = ContractFactory(
        account=account,
        number="R-7",
        title="Pumps 2026",
        status="active",
        agreement=agreement,
        start_date=datetime.date(2026, 1, 1),
        end_date=datetime.date(2026, 12, 31),
    )
    ObligationFactory(contract=old, description="Service the pumps")
    login_as(org.owner)
    page.on("dialog", lambda dialog: dialog.accept())

    page.goto(url(f"/contracts/{old.pk}/"))
    expect(page.locator("#contract-agreement")).to_contain_text("Key account 2026")
    page.get_by_role("button", name="Renew").click()
    successor = Contract.objects.get(predecessor=old)
    expect(page).to_have_url(url(f"/contracts/{successor.pk}/"))
    expect(page.locator("#contract-predecessor")).to_have_text("R-7")
    expect(page.locator("#contract-obligations")).to_contain_text("Service the pumps")
    assert a11y_problems(page) == []
    screenshot(page, "contract-successor")

    page.get_by_role("button", name="Generate PDF").click()
    expect(page).to_have_url(re.compile(r"/documents/\d+/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(successor.number)
