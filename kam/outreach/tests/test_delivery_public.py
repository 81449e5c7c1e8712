"""Unsubscribe, open pixel and click redirect: reached without login, by the token only."""

from __future__ import annotations

from typing import Any

import pytest
from auditlog.models import LogEntry
from django.core import signing
from django.test import Client

from kam.accounts.choices import Channel
from kam.accounts.models import ContactConsent
from kam.outreach import choices, rendering
from kam.outreach.models import Delivery
from kam.outreach.services import delivery as outbox
from kam.outreach.tests.delivery_support import (
    BASE_URL,
    make_campaign,
    make_contact,
    queue,
)

S = choices.DeliveryStatus


@pytest.fixture
def sent(org: Any, settings: Any) -> Delivery:
    settings.KAM_BASE_URL = BASE_URL
    campaign = make_campaign(org.owner, name="Spring launch")
    contact = make_contact("ivan.petrov@example.com", first_name="Ivan", last_name="Petrov")
    row = queue(campaign, contact)
    Delivery.objects.filter(pk=row.pk).update(status=S.SENT)
    row.refresh_from_db()
    return row


def _consent(row: Delivery) -> ContactConsent:
    return ContactConsent.objects.get(contact=row.contact, channel=Channel.EMAIL)


# --- unsubscribe ------------------------------------------------------------------------------


def test_the_confirm_page_shows_only_the_masked_address(client: Client, sent: Delivery) -> None:
    response = client.get(f"/u/{sent.token}/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "i•••@example.com" in html
    for secret in ("ivan.petrov", "Petrov", "Spring launch", sent.account.name):
        assert secret not in html
    assert '<meta name="robots" content="noindex, nofollow">' in html
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert response["Referrer-Policy"] == "no-referrer"
    assert "no-store" in response["Cache-Control"]
    assert _consent(sent).is_granted is True  # a GET changes nothing (link scanners)


def test_confirming_withdraws_the_email_consent_as_the_system(
    client: Client, sent: Delivery
) -> None:
    response = client.post(f"/u/{sent.token}/")

    assert response.status_code == 200
    assert "You are unsubscribed" in response.content.decode()
    consent = _consent(sent)
    assert consent.is_granted is False
    assert consent.how == "Unsubscribed from the campaign “Spring launch” (link in its e-mail)"
    row = Delivery.objects.get(pk=sent.pk)
    assert row.status == S.UNSUBSCRIBED
    assert row.unsubscribed_at is not None
    entry = LogEntry.objects.get_for_object(consent).latest("timestamp")
    assert entry.actor is None
    assert entry.changes_dict["is_granted"] == ["True", "False"]


def test_unsubscribing_twice_changes_nothing_more(client: Client, sent: Delivery) -> None:
    client.post(f"/u/{sent.token}/")
    first = (_consent(sent).given_at, Delivery.objects.get(pk=sent.pk).unsubscribed_at)
    entries = LogEntry.objects.count()

    response = client.post(f"/u/{sent.token}/")

    assert response.status_code == 200
    assert (_consent(sent).given_at, Delivery.objects.get(pk=sent.pk).unsubscribed_at) == first
    assert LogEntry.objects.count() == entries


def test_the_one_click_post_of_a_mail_client_needs_no_csrf_token(sent: Delivery) -> None:
    mail_client = Client(enforce_csrf_checks=True)

    response = mail_client.post(
        f"/u/{sent.token}/",
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 200
    assert _consent(sent).is_granted is False


@pytest.mark.parametrize("token", ["no-such-token", "x" * 65])
def test_an_unknown_token_is_not_found_and_changes_nothing(
    client: Client, sent: Delivery, token: str
) -> None:
    assert client.get(f"/u/{token}/").status_code == 404
    assert client.post(f"/u/{token}/").status_code == 404
    assert _consent(sent).is_granted is True


def test_other_methods_are_refused(client: Client, sent: Delivery) -> None:
    assert client.put(f"/u/{sent.token}/").status_code == 405
    assert _consent(sent).is_granted is True


@pytest.mark.parametrize("who", ["owner", "other", "sales_head", "auditor"])
def test_a_signed_in_user_sees_the_same_page_and_no_more(
    client: Client, sent: Delivery, org: Any, who: str
) -> None:
    client.force_login(getattr(org, who))

    html = client.get(f"/u/{sent.token}/").content.decode()

    assert "i•••@example.com" in html
    assert "ivan.petrov@example.com" not in html
    assert "Petrov" not in html


def test_the_next_campaign_suppresses_the_unsubscribed_contact(
    client: Client, sent: Delivery, org: Any
) -> None:
    client.post(f"/u/{sent.token}/")
    later = make_campaign(org.owner, name="Summer sale")
    row = queue(later, sent.contact)

    counts = outbox.campaign_send(campaign_id=later.pk)

    row.refresh_from_db()
    assert counts == {"suppressed": 1}
    assert (row.status, row.reason) == (S.SUPPRESSED, "No consent on E-mail.")


def test_the_confirm_page_costs_a_constant_number_of_queries(
    client: Client, sent: Delivery, django_assert_max_num_queries: Any
) -> None:
    with django_assert_max_num_queries(2):
        client.get(f"/u/{sent.token}/")


# --- open pixel -------------------------------------------------------------------------------


def test_the_pixel_records_the_first_open_only(client: Client, sent: Delivery) -> None:
    first = client.get(f"/o/{sent.token}.gif")
    opened_at = Delivery.objects.get(pk=sent.pk).opened_at
    client.get(f"/o/{sent.token}.gif")

    row = Delivery.objects.get(pk=sent.pk)
    assert (first.status_code, first["Content-Type"]) == (200, "image/gif")
    assert first.content.startswith(b"GIF89a")
    assert opened_at is not None
    assert (row.opened_at, row.status) == (opened_at, S.OPENED)


def test_the_pixel_of_an_unknown_token_is_the_same_gif(client: Client, sent: Delivery) -> None:
    known = client.get(f"/o/{sent.token}.gif")
    unknown = client.get("/o/nothing-here.gif")

    assert (unknown.status_code, unknown.content) == (200, known.content)


# --- click redirect ---------------------------------------------------------------------------


def test_a_tracked_link_redirects_and_records_the_first_click(
    client: Client, sent: Delivery
) -> None:
    link = rendering.click_url(sent.token, "https://shop.example.com/new?x=1&y=2")
    path = link.removeprefix(BASE_URL)

    first = client.get(path)
    clicked_at = Delivery.objects.get(pk=sent.pk).clicked_at
    client.get(path)

    row = Delivery.objects.get(pk=sent.pk)
    assert (first.status_code, first["Location"]) == (302, "https://shop.example.com/new?x=1&y=2")
    assert clicked_at is not None
    assert (row.clicked_at, row.status) == (clicked_at, S.CLICKED)
    assert row.opened_at is not None


@pytest.mark.parametrize(
    "signed",
    [
        "https://evil.example.net/",  # not signed at all
        signing.Signer(salt=f"{rendering.CLICK_SALT}.other").sign("https://evil.example.net/"),
        "",
    ],
)
def test_a_link_we_did_not_sign_for_this_token_is_refused(
    client: Client, sent: Delivery, signed: str
) -> None:
    response = client.get(f"/c/{sent.token}/", {"u": signed})

    assert response.status_code == 400
    assert "Location" not in response
    assert Delivery.objects.get(pk=sent.pk).clicked_at is None


def test_a_signed_link_to_a_script_is_still_refused(client: Client, sent: Delivery) -> None:
    signed = signing.Signer(salt=f"{rendering.CLICK_SALT}.{sent.token}").sign("javascript:x()")

    assert client.get(f"/c/{sent.token}/", {"u": signed}).status_code == 400
