"""The caller card: the person called sees who is calling (contact, account, open deals and
orders) as far as his access goes, and closes the card; nobody else sees or closes it."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from kam.orders.tests.factories import ProductFactory, bulk_orders
from kam.outreach.models import Call
from kam.outreach.tests.calls_helpers import client as make_client
from kam.sales.tests.factories import DealFactory, stage

pytestmark = pytest.mark.django_db

LIVE = "/calls/live/"


@pytest.fixture(autouse=True)
def _region(settings):
    settings.KAM_DEFAULT_PHONE_REGION = "DE"


def _ringing(user: Any, *, account: Any = None, contact: Any = None, **extra: Any) -> Call:
    values = {
        "key": f"k-{Call.objects.count()}",
        "direction": "inbound",
        "state": "ringing",
        "from_number": "+49301234567",
        "to_number": "+49309990001",
        "started_at": timezone.now(),
        "user": user,
        "account": account,
        "contact": contact,
    }
    values.update(extra)
    return Call.objects.create(**values)


def _cards(html: str) -> int:
    return html.count("<section ")


def _as(user: Any) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


def test_the_called_owner_sees_the_caller_his_account_open_deals_and_orders(org):
    account, contact = make_client(org.owner)
    deal = DealFactory(account=account, title="Fleet renewal")
    DealFactory(account=account, title="Lost one", stage=stage("Lost"))
    [order] = bulk_orders(account=account, owner=org.owner, count=1, product=ProductFactory())
    call = _ringing(org.owner, account=account, contact=contact)

    response = _as(org.owner).get(LIVE, headers={"HX-Request": "true"})

    assert response.status_code == 200
    html = response.content.decode()
    assert f'id="call-{call.pk}"' in html
    assert f'href="/contacts/{contact.pk}/">Jens Weber</a>' in html
    assert f'href="/accounts/{account.pk}/">Globex</a>' in html
    assert f'href="/deals/{deal.pk}/">Fleet renewal</a> · 1000.00 EUR' in html
    assert "Lost one" not in html
    assert f'href="/orders/{order.pk}/">{order.number}</a> · Received' in html
    assert "Incoming call" in html


def test_a_manager_called_about_an_account_he_may_not_see_gets_only_the_number(org):
    account, contact = make_client(org.owner)
    DealFactory(account=account, title="Fleet renewal")
    _ringing(org.other, account=account, contact=contact)

    html = _as(org.other).get(LIVE).content.decode()

    assert "+49301234567" in html
    assert "Not a known client of yours." in html
    for secret in ("Globex", "Jens", "Weber", "Fleet renewal", f"/accounts/{account.pk}/"):
        assert secret not in html


@pytest.mark.parametrize("role", ["sales_head", "auditor"])
def test_roles_that_see_every_account_get_the_whole_card(org, role):
    account, contact = make_client(org.owner)
    _ringing(getattr(org, role), account=account, contact=contact)

    html = _as(getattr(org, role)).get(LIVE).content.decode()

    assert "Jens Weber" in html
    assert "Globex" in html


def test_nobody_else_sees_a_users_call(org):
    account, contact = make_client(org.owner)
    _ringing(org.owner, account=account, contact=contact)

    for user in (org.peer, org.lead, org.sales_head, org.admin):
        html = _as(user).get(LIVE).content.decode()
        assert _cards(html) == 0, user
        assert "+49301234567" not in html


def test_signed_out_the_poll_gets_401_and_nothing(org):
    account, contact = make_client(org.owner)
    _ringing(org.owner, account=account, contact=contact)

    response = Client().get(LIVE)

    assert response.status_code == 401
    assert response.content == b""


def test_an_unknown_caller_shows_his_number_and_a_withheld_one_says_so(org):
    _ringing(org.owner, from_number="+442079460000")
    _ringing(org.owner, from_number="", key="withheld")

    html = _as(org.owner).get(LIVE).content.decode()

    assert "+442079460000" in html
    assert "Withheld number" in html


@pytest.mark.parametrize(
    "changes",
    [
        {"state": "ended"},
        {"state": "missed"},
        {"direction": "outbound"},
        {"dismissed_at": timezone.now()},
        {"started_at": timezone.now() - datetime.timedelta(minutes=31)},
    ],
)
def test_no_card_for_calls_over_outgoing_dismissed_or_stale(org, changes):
    _ringing(org.owner, **changes)

    assert _cards(_as(org.owner).get(LIVE).content.decode()) == 0


def test_an_answered_call_says_on_the_line(org):
    _ringing(org.owner, state="answered")

    assert "On the line" in _as(org.owner).get(LIVE).content.decode()


def test_the_poll_costs_the_same_queries_whatever_the_calls_deals_and_orders(
    org, django_assert_max_num_queries
):
    product = ProductFactory()
    browser = _as(org.owner)
    for index in range(3):
        account, contact = make_client(org.owner, name=f"Client {index}", phone=f"030 100{index}")
        for _ in range(8):
            DealFactory(account=account)
        bulk_orders(account=account, owner=org.owner, count=8, product=product)
        _ringing(org.owner, account=account, contact=contact, key=f"c{index}")

    # Session, user, calls, led members, visible accounts, deals, orders, the unread badge.
    with django_assert_max_num_queries(8):
        html = browser.get(LIVE).content.decode()

    assert _cards(html) == 3
    # Five deals and five orders per caller at most; the account page has the rest.
    assert html.count("/deals/") == 15
    assert html.count("/orders/") == 15


# --- dismiss ----------------------------------------------------------------------------------


def test_the_called_user_dismisses_the_card(org):
    call = _ringing(org.owner)
    browser = _as(org.owner)

    response = browser.post(f"/calls/{call.pk}/dismiss/", headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert _cards(response.content.decode()) == 0
    call.refresh_from_db()
    assert call.dismissed_at is not None
    assert _cards(browser.get(LIVE).content.decode()) == 0


@pytest.mark.parametrize("role", ["peer", "lead", "other", "sales_head", "auditor", "admin"])
def test_only_the_called_user_may_dismiss(org, role):
    call = _ringing(org.owner)

    response = _as(getattr(org, role)).post(f"/calls/{call.pk}/dismiss/")

    assert response.status_code == 404
    call.refresh_from_db()
    assert call.dismissed_at is None


def test_signed_out_dismiss_goes_to_sign_in_and_changes_nothing(org):
    call = _ringing(org.owner)

    response = Client().post(f"/calls/{call.pk}/dismiss/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/") or "login" in response["Location"]
    call.refresh_from_db()
    assert call.dismissed_at is None


def test_dismiss_needs_post_and_csrf(org):
    call = _ringing(org.owner)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(org.owner)

    assert browser.get(f"/calls/{call.pk}/dismiss/").status_code == 405
    assert browser.post(f"/calls/{call.pk}/dismiss/").status_code == 403
    call.refresh_from_db()
    assert call.dismissed_at is None


def test_the_base_layout_polls_for_calls_only_when_signed_in(org):
    signed_in = _as(org.owner).get("/").content.decode()
    signed_out = Client().get("/accounts/login/").content.decode()

    assert '<div hx-get="/calls/live/" hx-trigger="load" hx-swap="outerHTML"></div>' in signed_in
    assert "/calls/live/" not in signed_out


def test_the_poll_carries_what_it_shows_and_gets_204_while_nothing_changes(org):
    call = _ringing(org.owner)
    browser = _as(org.owner)

    first = browser.get(LIVE).content.decode()
    assert f'hx-get="/calls/live/?seen={call.pk}.ringing"\n     hx-trigger="every 5s"' in first
    unchanged = browser.get(LIVE, {"seen": f"{call.pk}.ringing"})
    Call.objects.filter(pk=call.pk).update(state="answered")
    changed = browser.get(LIVE, {"seen": f"{call.pk}.ringing"})

    assert (unchanged.status_code, unchanged.content) == (204, b"")
    assert changed.status_code == 200
    assert f"?seen={call.pk}.answered" in changed.content.decode()
    assert "On the line" in changed.content.decode()


def test_an_idle_poll_is_cheap(org, django_assert_max_num_queries):
    browser = _as(org.owner)

    with django_assert_max_num_queries(3):
        response = browser.get(LIVE, {"seen": ""})

    assert response.status_code == 204
