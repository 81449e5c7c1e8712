"""The calls page: one's own calls and those about accounts one may see; a caller whose account
one may not see shows as a number only."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from kam.outreach.models import Call
from kam.outreach.tests.calls_helpers import client as make_client

pytestmark = pytest.mark.django_db

PAGE = "/calls/"


@pytest.fixture(autouse=True)
def _region(settings: Any) -> None:
    settings.KAM_DEFAULT_PHONE_REGION = "DE"


def _call(key: str, *, user: Any = None, account: Any = None, contact: Any = None, **extra: Any):
    values = {
        "key": key,
        "direction": "inbound",
        "state": "ended",
        "from_number": "+49301234567",
        "to_number": "+49309990001",
        "started_at": timezone.now() - datetime.timedelta(hours=1),
        "duration_seconds": 42,
        "user": user,
        "account": account,
        "contact": contact,
    }
    values.update(extra)
    return Call.objects.create(**values)


def _rows(user: Any, query: str = "") -> str:
    browser = Client()
    browser.force_login(user)
    response = browser.get(PAGE + query)
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def calls(org: Any) -> dict[str, Call]:
    account, contact = make_client(org.owner)
    return {
        "owners": _call("a", user=org.owner, account=account, contact=contact),
        # The other manager took a call about the owner's client.
        "others": _call("b", user=org.other, account=account, contact=contact),
        "unknown": _call("c", user=org.owner, from_number="+442079460000"),
        "nobodys": _call("d", account=account, contact=contact, from_number="+49301112222"),
    }


@pytest.mark.parametrize(
    ("role", "seen"),
    [
        ("owner", {"owners", "others", "unknown", "nobodys"}),
        ("lead", {"owners", "others", "unknown", "nobodys"}),
        ("other", {"others"}),
        ("peer", set()),
        ("sales_head", {"owners", "others", "unknown", "nobodys"}),
        ("auditor", {"owners", "others", "unknown", "nobodys"}),
        ("staff", set()),
    ],
)
def test_who_sees_which_calls(org, calls, role, seen):
    html = _rows(getattr(org, role))

    shown = {name for name, call in calls.items() if f'id="call-row-{call.pk}"' in html}
    assert shown == seen


def test_a_call_about_an_account_one_may_not_see_shows_the_number_only(org, calls):
    html = _rows(org.other)

    assert "+49301234567" in html
    assert "Not a client of yours" in html
    assert "Globex" not in html
    assert "Jens Weber" not in html


def test_the_owner_sees_his_client_linked_and_the_unknown_number(org, calls):
    html = _rows(org.owner)
    account = calls["owners"].account

    assert f'<a href="/accounts/{account.pk}/">Globex</a>' in html
    assert f'<a href="/contacts/{calls["owners"].contact_id}/">Jens Weber</a>' in html
    assert "+442079460000" in html
    assert "Unknown number" in html


def test_anonymous_is_sent_to_sign_in(calls):
    response = Client().get(PAGE)

    assert response.status_code == 302
    assert "login" in response["Location"]


def test_filters_known_and_state(org, calls):
    missed_call = _call("e", user=org.owner, account=calls["owners"].account, state="missed")

    unknown = _rows(org.owner, "?known=false")
    missed = _rows(org.owner, "?state=missed")

    assert unknown.count('id="call-row-') == 1
    assert f'id="call-row-{calls["unknown"].pk}"' in unknown
    assert missed.count('id="call-row-') == 1
    assert f'id="call-row-{missed_call.pk}"' in missed


def test_a_bad_filter_says_so(org, calls):
    html = _rows(org.owner, "?direction=sideways")

    assert "Select a valid choice. sideways is not one of the available choices." in html


def test_the_page_costs_the_same_queries_for_many_calls(org, django_assert_max_num_queries):
    account, contact = make_client(org.owner)
    Call.objects.bulk_create(
        Call(
            key=f"bulk-{index}",
            direction="inbound",
            state="ended",
            from_number="+49301234567",
            to_number="+49309990001",
            started_at=timezone.now(),
            user=org.owner if index % 2 else org.other,
            account=account,
            contact=contact,
        )
        for index in range(60)
    )
    browser = Client()
    browser.force_login(org.owner)

    with django_assert_max_num_queries(9):
        response = browser.get(PAGE)

    assert response.content.decode().count('id="call-row-') == 50


def test_the_navigation_offers_the_calls_page(org):
    browser = Client()
    browser.force_login(org.owner)

    assert 'href="/calls/"' in browser.get("/").content.decode()
