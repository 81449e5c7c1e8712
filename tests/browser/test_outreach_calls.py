"""Incoming calls in the browser: the telephony provider posts a signed "ringing" event and the
card of who is calling appears on the page of the signed-in user being called, without a reload;
he dismisses it. (The outreach calls topic; its other tests are in kam/outreach/tests.)"""

from __future__ import annotations

import json
import urllib.request

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from kam.outreach.models import Call
from kam.outreach.tests.calls_helpers import SECRET, client, line, sign
from kam.sales.tests.factories import DealFactory

pytestmark = pytest.mark.browser


def _post_event(base_url: str, payload: dict[str, object]) -> int:
    body = json.dumps(payload).encode()
    request = urllib.request.Request(  # noqa: S310 - the live server's own http address
        f"{base_url}/api/v1/telephony/events/",
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "X-KAM-Signature": sign(body)},
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return int(response.status)


def test_the_called_user_sees_who_is_calling_and_dismisses_the_card(
    page, url, org, login_as, live_server, settings, screenshot, a11y_problems
):
    settings.KAM_TELEPHONY_SECRET = SECRET
    settings.KAM_DEFAULT_PHONE_REGION = "DE"
    account, _contact = client(org.owner)
    DealFactory(account=account, title="Fleet renewal")
    line(org.owner)
    login_as(org.owner)
    page.goto(url("/"))
    cards = page.locator("#kam-live-calls")
    expect(cards.locator("section")).to_have_count(0)

    status = _post_event(
        live_server.url,
        {
            "from": "+49 30 1234567",
            "to": "+49 30 9990001",
            "direction": "inbound",
            "start": timezone.now().isoformat(),
            "call_id": "browser-1",
            "event": "ringing",
        },
    )

    assert status == 201
    card = cards.locator("section")
    expect(card).to_have_count(1, timeout=15_000)
    expect(card.get_by_role("heading", name="Jens Weber")).to_be_visible()
    expect(card.get_by_role("link", name="Globex")).to_have_attribute(
        "href", f"/accounts/{account.pk}/"
    )
    expect(card.get_by_role("link", name="Fleet renewal")).to_be_visible()
    assert a11y_problems(page) == []
    screenshot(page, "incoming-call")

    card.get_by_role("button", name="Dismiss").click()

    expect(cards.locator("section")).to_have_count(0)
    assert Call.objects.get(provider_call_id="browser-1").dismissed_at is not None
