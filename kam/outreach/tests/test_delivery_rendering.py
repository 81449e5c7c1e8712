"""A campaign's text is rendered per recipient from plain values only, its links tracked."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.template import TemplateSyntaxError
from django.utils import timezone

from kam.outreach import choices, rendering
from kam.outreach.models import Event
from kam.outreach.tests.delivery_support import BASE_URL, make_campaign, make_contact, queue


@pytest.fixture
def row(org: Any, settings: Any) -> Any:
    settings.KAM_BASE_URL = BASE_URL
    campaign = make_campaign(org.owner, name="Spring launch")
    contact = make_contact("anna@example.com", first_name="Anna", last_name="Berg")
    return queue(campaign, contact)


def _render(row: Any, body: str, subject: str = "Hi") -> rendering.Rendered:
    return rendering.render(
        row, rendering.compile_template(subject), rendering.compile_template(body)
    )


def test_the_fields_of_the_recipient_fill_the_text(row: Any) -> None:
    out = _render(
        row,
        "{{ contact.first_name }} {{ contact.last_name }} of {{ account.name }}: "
        "{{ campaign.name }}",
    )

    assert out.text.splitlines()[0] == f"Anna Berg of {row.account.name}: Spring launch"
    assert out.unsubscribe_url == f"{BASE_URL}/u/{row.token}/"
    assert out.text.endswith(f"To stop receiving these messages: {BASE_URL}/u/{row.token}/")


def test_an_unsubscribe_link_in_the_text_is_not_added_twice(row: Any) -> None:
    out = _render(row, "Bye: {{ unsubscribe_url }}")

    assert out.text == f"Bye: {BASE_URL}/u/{row.token}/"


def test_a_template_cannot_walk_into_the_records(row: Any) -> None:
    out = _render(row, "[{{ contact.emails }}][{{ campaign.owner.password }}][{{ settings }}]")

    assert out.text.splitlines()[0] == "[][][]"


@pytest.mark.parametrize(
    "source",
    [
        "{% load static %}{% static 'x' %}",
        "{% include 'base.html' %}",
        "{% extends 'base.html' %}",
        "{% debug %}",
        "{% url 'outreach:unsubscribe' 'x' %}",
        "{% csrf_token %}",
        "{% if %}",
    ],
)
def test_tags_beyond_logic_and_layout_are_refused(source: str) -> None:
    with pytest.raises(TemplateSyntaxError):
        rendering.compile_template(source)
    assert rendering.check_template(source) != ""


def test_logic_tags_and_filters_work(row: Any) -> None:
    source = (
        "{% if contact.first_name %}{{ contact.first_name|upper }}{% endif %}"
        "{% for c in 'ab' %}{{ c }}{% endfor %}"
    )

    assert _render(row, source).text.splitlines()[0] == "ANNAab"
    assert rendering.check_template("Hello {{ contact.first_name }}") == ""


def test_links_go_through_the_click_tracker_in_text_and_html(row: Any) -> None:
    out = _render(row, "See https://shop.example.com/new?a=1&b=2 now")

    tracked = rendering.click_url(row.token, "https://shop.example.com/new?a=1&b=2")
    assert out.text.splitlines()[0] == f"See {tracked} now"
    signed = parse_qs(urlsplit(tracked).query)["u"][0]
    assert rendering.click_target(row.token, signed) == "https://shop.example.com/new?a=1&b=2"
    assert f'<img src="{BASE_URL}/o/{row.token}.gif"' in out.html
    assert f'<p>See <a href="{tracked}">{tracked}</a> now' in out.html


def test_an_invitation_carries_its_rsvp_link_and_event(row: Any, org: Any) -> None:
    starts = timezone.now().replace(microsecond=0) + timedelta(days=10)
    event = Event.objects.create(
        name="Hannover Messe",
        kind=choices.EventKind.FAIR,
        starts_at=starts,
        ends_at=starts + timedelta(days=3),
        place="Hall 5",
        owner=org.owner,
    )
    row.campaign.event = event
    row.campaign.save()

    out = _render(row, "{{ event.name }}, {{ event.place }}: {{ rsvp_url }}")

    assert out.text.splitlines()[0] == f"Hannover Messe, Hall 5: {BASE_URL}/rsvp/{row.token}/"
