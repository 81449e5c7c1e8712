"""The 360° account page in the browser: a fact edited in place, a team member added, a contact
created from the page; the timeline shows each change."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from kam.accounts import services
from kam.accounts.models import Account, Contact

pytestmark = pytest.mark.browser


def test_edit_a_fact_add_a_team_member_and_create_a_contact(
    page, url, org, login_as, screenshot, a11y_problems
):
    account = services.account_create(
        user=org.owner,
        data={
            "name": "Globex",
            "legal_name": "Globex GmbH",
            "country": "DE",
            "industry": "Chemicals",
            "website": "globex.de",
            "phones": ["030 1234567"],
            "kind": "customer",
            "status": "active",
        },
    )
    services.account_set_address(
        user=org.owner,
        account=account,
        kind="legal",
        data={"street": "Hauptstr. 1", "postal_code": "10115", "city": "Berlin", "country": "DE"},
    )
    services.contact_create(
        user=org.owner,
        data={
            "account": account,
            "first_name": "Jens",
            "last_name": "Weber",
            "buying_role": "user",
        },
    )
    login_as(org.owner)
    page.goto(url(f"/accounts/{account.pk}/"))

    # A key fact, in place.
    page.get_by_role("button", name="Edit Tier").click()
    page.locator("#fact-tier").get_by_label("Tier", exact=True).select_option("key")
    page.locator("#fact-tier").get_by_role("button", name="Save").click()
    expect(page.locator("#fact-tier dd")).to_contain_text("Key")
    expect(page.locator("#account-summary h1")).to_contain_text("Key")
    assert Account.objects.get(pk=account.pk).tier == "key"

    # The account team.
    team = page.locator("#account-team")
    team.get_by_label("User").select_option(label=str(org.peer))
    team.get_by_label("Role in the team").fill("Technical lead")
    team.get_by_role("button", name="Add").click()
    expect(page.locator(f"#team-member-{org.peer.pk}")).to_contain_text("Technical lead")

    page.reload()
    page.evaluate("window.scrollTo(0, 0)")
    expect(page.locator("#timeline li").first).to_contain_text("Account team member")
    assert a11y_problems(page) == []
    screenshot(page, "account-page")

    # A contact, from the account page.
    page.get_by_role("link", name="New contact").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New contact at Globex")
    page.get_by_label("First name").fill("Anna")
    page.get_by_label("Last name").fill("Schmidt")
    page.get_by_label("Buying role").select_option("decision_maker")
    page.locator("#id_emails").fill("anna@globex.de")
    page.get_by_role("button", name="Add another").first.click()
    page.get_by_label("E-mails 2").fill("a.schmidt@globex.de")
    page.get_by_label("Phones").fill("030 7654321")
    page.locator("#id_consent_email").select_option("yes")
    page.locator("#id_consent_email_how").fill("Business card at the fair")
    assert a11y_problems(page) == []
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "contact-form")
    page.get_by_role("button", name="Save", exact=True).click()

    expect(page).to_have_url(
        url(f"/accounts/{account.pk}/#contact-{Contact.objects.get(last_name='Schmidt').pk}")
    )
    expect(page.get_by_role("link", name="Anna Schmidt", exact=True)).to_be_visible()
    contact = Contact.objects.get(last_name="Schmidt")
    assert contact.emails == ["anna@globex.de", "a.schmidt@globex.de"]
    assert contact.phones == ["+49307654321"]
    assert contact.consents.get().how == "Business card at the fair"
