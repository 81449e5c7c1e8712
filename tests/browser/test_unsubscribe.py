"""Unsubscribing from a campaign e-mail works in a browser without signing in."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from kam.accounts.models import ContactConsent
from kam.outreach.models import Delivery
from kam.outreach.services.delivery import campaign_send
from kam.outreach.tests.delivery_support import (
    Sink,
    make_campaign,
    make_contact,
    queue,
    smtp_settings,
    text_of,
)

pytestmark = pytest.mark.browser


def test_the_link_in_a_received_mail_unsubscribes_and_the_next_campaign_skips_him(
    page, live_server, settings, org, screenshot, a11y_problems
):
    with Sink() as sink:
        smtp_settings(settings, sink.port)
        settings.KAM_BASE_URL = live_server.url
        contact = make_contact("anna.berg@example.com", first_name="Anna", last_name="Berg")
        first = make_campaign(org.owner, name="Spring launch")
        queue(first, contact)
        assert campaign_send(campaign_id=first.pk) == {"sent": 1}
        [received] = sink.handler.to("anna.berg@example.com")
        link = re.search(r"https?://\S+/u/[\w-]+/", text_of(received.message)).group(0)

        page.goto(link)

        expect(page.get_by_role("heading", name="Unsubscribe")).to_be_visible()
        main = page.locator("main")
        expect(main).to_contain_text("Stop e-mail announcements to a•••@example.com?")
        expect(main).not_to_contain_text("Berg")
        assert a11y_problems(page) == []
        screenshot(page, "outreach-unsubscribe")

        page.get_by_role("button", name="Unsubscribe").click()

        expect(page.get_by_role("heading", name="You are unsubscribed")).to_be_visible()
        expect(page.locator("main")).to_contain_text(
            "We will send no more e-mail announcements to a•••@example.com."
        )
        screenshot(page, "outreach-unsubscribed")
        consent = ContactConsent.objects.get(contact=contact, channel="email")
        assert consent.is_granted is False

        second = make_campaign(org.owner, name="Summer sale")
        row = queue(second, contact)
        assert campaign_send(campaign_id=second.pk) == {"suppressed": 1}
        assert Delivery.objects.get(pk=row.pk).reason == "No consent on E-mail."
        assert len(sink.handler.received) == 1
