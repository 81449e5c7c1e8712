"""The public RSVP page: no login, the delivery's token only; yes, no, twice, closed, CSRF."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kam.accounts.tests.factories import AccountFactory, ContactFactory
from kam.outreach.choices import GuestStatus
from kam.outreach.models import EventGuest
from kam.outreach.services.events import guest_walk_in, rsvp_answer
from kam.outreach.tests.event_factories import make_campaign, make_delivery, make_event


@pytest.fixture
def invited(org):
    account = AccountFactory(name="Nordwerk GmbH", owner=org.owner)
    contact = ContactFactory(
        account=account, first_name="Greta", last_name="Lindqvist", emails=["greta@nordwerk.de"]
    )
    event = make_event(org.owner, name="Spring Fair", place="Hall 4")
    delivery = make_delivery(make_campaign(event, org.owner), contact)
    return event, contact, delivery


def _url(token):
    return reverse("outreach:rsvp", args=[token])


def test_the_page_shows_the_event_and_only_the_first_name(client, invited):
    event, _contact, delivery = invited

    response = client.get(_url(delivery.token))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Spring Fair" in html
    assert "Hall 4" in html
    assert "Dear Greta, will you come?" in html
    for secret in ("Lindqvist", "greta@nordwerk.de", "Nordwerk"):
        assert secret not in html
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert EventGuest.objects.count() == 0  # looking is not answering


def test_yes_registers_the_contact_with_the_delivery(client, invited):
    event, contact, delivery = invited

    response = client.post(_url(delivery.token), {"answer": "yes"})

    assert response.status_code == 200
    assert "you are registered" in response.content.decode()
    guest = EventGuest.objects.get()
    assert (guest.event, guest.contact, guest.account_id) == (event, contact, contact.account_id)
    assert (guest.status, guest.delivery) == (GuestStatus.REGISTERED, delivery)
    assert guest.responded_at is not None
    assert len(guest.token) == 43
    assert guest.token != delivery.token


def test_no_declines(client, invited):
    _event, _contact, delivery = invited

    response = client.post(_url(delivery.token), {"answer": "no"})

    assert "sorry you cannot come" in response.content.decode()
    assert EventGuest.objects.get().status == GuestStatus.DECLINED


def test_answering_twice_keeps_one_row_and_the_last_answer(client, invited):
    _event, _contact, delivery = invited

    client.post(_url(delivery.token), {"answer": "yes"})
    first = EventGuest.objects.get()
    client.post(_url(delivery.token), {"answer": "yes"})
    again = EventGuest.objects.get()
    client.post(_url(delivery.token), {"answer": "no"})

    assert again.responded_at == first.responded_at  # the same answer changes nothing
    guest = EventGuest.objects.get()
    assert guest.status == GuestStatus.DECLINED
    assert guest.pk == first.pk


def test_the_page_says_what_was_answered_before(client, invited):
    _event, _contact, delivery = invited
    rsvp_answer(token=delivery.token, is_attending=False)

    html = client.get(_url(delivery.token)).content.decode()

    assert "You have declined. You can still change your answer." in html


def test_a_guest_already_checked_in_stays_attended(org, invited):
    event, contact, delivery = invited
    guest_walk_in(user=org.owner, event=event, contact=contact)

    guest = rsvp_answer(token=delivery.token, is_attending=False)

    assert guest.status == GuestStatus.ATTENDED


@pytest.mark.parametrize("token", ["nope", "x" * 300, "%00", "1"])
def test_an_unknown_token_is_not_found(client, invited, token):
    assert client.get(_url(token)).status_code == 404
    assert client.post(_url(token), {"answer": "yes"}).status_code == 404
    assert EventGuest.objects.count() == 0


def test_a_delivery_of_a_campaign_without_an_event_is_not_an_invitation(client, org, invited):
    _event, contact, _delivery = invited
    other = make_campaign(make_event(org.owner), org.owner)
    other.event = None
    other.save()
    delivery = make_delivery(other, ContactFactory(account=contact.account))

    assert client.get(_url(delivery.token)).status_code == 404


def test_an_event_in_the_trash_is_not_found(client, invited):
    event, _contact, delivery = invited
    event.deleted_at = timezone.now()
    event.save()

    assert client.get(_url(delivery.token)).status_code == 404


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"is_cancelled": True}, "This event has been cancelled."),
        ({"ends_at": "past"}, "This event is over."),
    ],
)
def test_a_cancelled_or_past_event_says_so_and_takes_no_answer(client, invited, change, message):
    event, _contact, delivery = invited
    if change.get("ends_at") == "past":
        event.starts_at = timezone.now() - timedelta(days=3)
        event.ends_at = timezone.now() - timedelta(days=1)
    else:
        event.is_cancelled = True
    event.save()

    page = client.get(_url(delivery.token)).content.decode()
    answer = client.post(_url(delivery.token), {"answer": "yes"})

    assert message in page
    assert 'name="answer"' not in page
    assert message in answer.content.decode()
    assert EventGuest.objects.count() == 0


def test_a_post_without_the_csrf_token_is_refused(invited):
    _event, _contact, delivery = invited
    browser = Client(enforce_csrf_checks=True)

    response = browser.post(_url(delivery.token), {"answer": "yes"})

    assert response.status_code == 403
    assert EventGuest.objects.count() == 0


def test_a_post_with_the_csrf_token_from_the_page_is_taken(invited):
    _event, _contact, delivery = invited
    browser = Client(enforce_csrf_checks=True)
    page = browser.get(_url(delivery.token))
    token = page.context["csrf_token"]

    response = browser.post(_url(delivery.token), {"answer": "yes", "csrfmiddlewaretoken": token})

    assert response.status_code == 200
    assert EventGuest.objects.get().status == GuestStatus.REGISTERED


def test_a_bad_answer_is_refused(client, invited):
    _event, _contact, delivery = invited

    response = client.post(_url(delivery.token), {"answer": "maybe"})

    assert response.status_code == 400
    assert EventGuest.objects.count() == 0


def test_the_guests_own_token_opens_the_page_too(client, org, invited):
    event, contact, _delivery = invited
    guest = guest_walk_in(user=org.owner, event=event, contact=contact)

    response = client.get(_url(guest.token))

    assert response.status_code == 200
    assert "Dear Greta" in response.content.decode()
