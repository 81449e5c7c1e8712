"""Signing in and out through the forms, as a person does."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

WRONG_LOGIN = (
    "Please enter a correct username and password. Note that both fields may be case-sensitive."
)


def test_sign_in_lands_on_home_with_name_and_role_then_sign_out_returns_to_login(
    page, url, org, screenshot
):
    page.goto(url("/"))
    expect(page).to_have_url(url("/login/?next=/"))
    screenshot(page, "login")
    page.get_by_label("Username").fill("owner")
    page.get_by_label("Password").fill("secret-pass-123")
    page.get_by_role("button", name="Sign in").click()

    expect(page).to_have_url(url("/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Good to see you, Olga")
    expect(page.locator("main p").first).to_have_text("Account manager · North")
    expect(page.locator("#kam-user-menu")).to_have_text("Olga Owen")
    screenshot(page, "home")

    page.locator("#kam-user-menu").click()
    menu = page.locator(".dropdown-menu.show")
    expect(menu.get_by_text("Account manager", exact=True)).to_be_visible()
    menu.get_by_role("button", name="Sign out").click()

    expect(page).to_have_url(url("/login/"))
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    page.goto(url("/"))
    expect(page).to_have_url(url("/login/?next=/"))


def test_wrong_password_shows_the_error_and_keeps_the_username(page, url, org, screenshot):
    page.goto(url("/login/"))
    page.get_by_label("Username").fill("owner")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()

    expect(page).to_have_url(url("/login/"))
    expect(page.get_by_role("alert")).to_have_text(WRONG_LOGIN)
    expect(page.get_by_label("Username")).to_have_value("owner")
    expect(page.get_by_label("Password")).to_have_value("")
    expect(page.locator("#kam-user-menu")).to_have_count(0)
    screenshot(page, "login-error")


def test_a_signed_in_user_is_sent_home_from_the_login_page(page, url, org, login_as):
    login_as(org.kam)

    page.goto(url("/login/"))

    expect(page).to_have_url(url("/"))
    expect(page.locator("main p").first).to_have_text("Key-account manager · South")


def test_an_empty_form_says_per_field_what_is_missing(page, url, org):
    page.goto(url("/login/"))

    page.get_by_role("button", name="Sign in").click()

    for label in ("Username", "Password"):
        field = page.get_by_label(label)
        expect(field).to_have_attribute("aria-invalid", "true")
        expect(field).to_have_accessible_description("This field is required.")
    expect(page.get_by_label("Username")).to_be_focused()
