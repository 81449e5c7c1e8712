"""Events in the browser: an invitation's RSVP link answered without signing in, the event page
then showing the guest registered; check-in at the door on a phone (390 px): live search, one
tap, a walk-in. Screenshots of the RSVP page, the event page and the check-in page."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from kam.accounts.tests.factories import AccountFactory, ContactFactory
from kam.outreach.choices import GuestStatus
from kam.outreach.models import EventGuest
from kam.outreach.services.events import new_token
from kam.outreach.tests.event_factories import make_campaign, make_delivery, make_event

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def test_an_invitee_answers_without_signing_in_and_the_event_shows_him_registered(
    page: Page, url: Any, org: Any, login_as: Any, screenshot: Any, a11y_problems: Any
) -> None:
    account = AccountFactory(owner=org.owner, name="Nordwerk GmbH")
    greta = ContactFactory(
        account=account, first_name="Greta", last_name="Lindqvist", emails=["greta@nordwerk.de"]
    )
    event = make_event(org.owner, name="Spring Fair", place="Hall 4, stand C2")
    delivery = make_delivery(make_campaign(event, org.owner), greta)

    page.goto(url(f"/rsvp/{delivery.token}/"))

    expect(page.get_by_role("heading", level=1)).to_have_text("Spring Fair")
    expect(page.get_by_text("Dear Greta, will you come?")).to_be_visible()
    expect(page.get_by_text("Lindqvist")).to_have_count(0)
    assert a11y_problems(page) == []
    screenshot(page, "event-rsvp")
    page.get_by_role("button", name="Yes, I will come").click()

    expect(page.locator("#rsvp-confirmation")).to_have_text(
        "Thank you, you are registered. We look forward to seeing you."
    )
    screenshot(page, "event-rsvp-answered")
    assert EventGuest.objects.get(contact=greta).status == GuestStatus.REGISTERED

    login_as(org.owner)
    page.goto(url(f"/events/{event.pk}/"))
    row = page.locator("#event-guests tbody tr", has_text="Greta Lindqvist")
    expect(row.locator("[data-status]")).to_have_text("Registered")
    expect(page.locator("#report-registered")).to_have_text("1")
    expect(page.locator("#report-invited")).to_have_text("1")
    assert a11y_problems(page) == []
    screenshot(page, "event-detail")


def test_check_in_at_the_door_on_a_phone(
    page: Page, url: Any, org: Any, login_as: Any, screenshot: Any, a11y_problems: Any
) -> None:
    event = make_event(org.owner, name="Spring Fair", staff=(org.peer,))
    account = AccountFactory(owner=org.owner, name="Nordwerk GmbH")
    greta = ContactFactory(account=account, first_name="Greta", last_name="Lindqvist")
    EventGuest.objects.create(
        event=event,
        contact=greta,
        account=account,
        status=GuestStatus.REGISTERED,
        token=new_token(),
    )
    ContactFactory(account=account, first_name="Walter", last_name="Lindgren")
    page.set_viewport_size(PHONE)
    login_as(org.owner)

    page.goto(url(f"/events/{event.pk}/check-in/"))
    page.get_by_label("Name, company, e-mail or phone").fill("lind")

    button = page.get_by_role("button", name="Check in Greta Lindqvist")
    expect(button).to_be_visible()
    box = button.bounding_box()
    assert box is not None
    assert box["height"] >= 44  # a finger's target
    assert page.evaluate("document.documentElement.scrollWidth") == PHONE["width"]
    assert a11y_problems(page) == []
    screenshot(page, "event-check-in-phone")
    button.click()

    expect(page.locator("#checkin-done")).to_have_text("Greta Lindqvist checked in.")
    walk_in = page.get_by_role("button", name="Check in Walter Lindgren as a walk-in")
    expect(walk_in).to_be_visible()
    walk_in.click()

    expect(page.locator("#checkin-done")).to_have_text("Walter Lindgren checked in as a walk-in.")
    statuses = dict(EventGuest.objects.values_list("contact__first_name", "status"))
    assert statuses == {"Greta": "attended", "Walter": "attended"}
    screenshot(page, "event-check-in-phone-done")
