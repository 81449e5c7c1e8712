"""Check-in at the door: search guests and contacts, one tap, walk-ins; what staff may see."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kam.accounts.tests.factories import AccountFactory, ContactFactory
from kam.core.errors import NotFoundError, PermissionDeniedError
from kam.outreach.choices import GuestStatus
from kam.outreach.models import EventGuest
from kam.outreach.selectors.events import guest_rows, guest_search
from kam.outreach.services.events import guest_check_in, guest_walk_in, new_token
from kam.outreach.tests.event_factories import make_event


def _guest(event, contact, status=GuestStatus.REGISTERED):
    return EventGuest.objects.create(
        event=event, contact=contact, account=contact.account, status=status, token=new_token()
    )


@pytest.fixture
def door(org):
    """An event of `owner` staffed by `other` (south team), guests of owner's and others'."""
    event = make_event(org.owner, staff=(org.other,))
    ours = AccountFactory(name="Nordwerk GmbH", owner=org.owner)
    theirs = AccountFactory(name="Südmetall AG", owner=org.kam)
    greta = ContactFactory(
        account=ours,
        first_name="Greta",
        last_name="Lindqvist",
        emails=["greta@nordwerk.de"],
        phones=["+4930123456"],
    )
    hans = ContactFactory(
        account=theirs, first_name="Hans", last_name="Berger", emails=["hans@suedmetall.de"]
    )
    return event, _guest(event, greta), _guest(event, hans), greta, hans


def _names(guests):
    return [str(g.contact) for g in guests]


def test_guests_are_found_by_name_and_company_by_everyone_working_the_event(org, door):
    event, *_ = door

    assert _names(guest_search(user=org.owner, event=event, query="lindq")) == ["Greta Lindqvist"]
    assert _names(guest_search(user=org.other, event=event, query="nordwerk")) == [
        "Greta Lindqvist"
    ]
    assert _names(guest_search(user=org.owner, event=event, query="hans berger")) == ["Hans Berger"]
    assert guest_search(user=org.owner, event=event, query="h") == []


def test_guests_are_found_by_e_mail_or_phone_only_where_the_user_sees_the_contact(org, door):
    event, *_ = door

    assert _names(guest_search(user=org.owner, event=event, query="greta@nordwerk.de")) == [
        "Greta Lindqvist"
    ]
    assert _names(guest_search(user=org.owner, event=event, query="30 123456")) == [
        "Greta Lindqvist"
    ]
    # `other` staffs the event but does not see Nordwerk: its people's addresses stay hidden.
    assert guest_search(user=org.other, event=event, query="greta@nordwerk.de") == []
    assert guest_search(user=org.owner, event=event, query="hans@suedmetall.de") == []


def test_guest_rows_show_contact_details_only_to_who_sees_the_contact(org, door):
    event, greta_guest, hans_guest, *_ = door
    guests = list(EventGuest.objects.select_related("contact", "account").order_by("pk"))

    owner_rows = guest_rows(user=org.owner, guests=guests)
    other_rows = guest_rows(user=org.other, guests=guests)

    assert [(r.name, r.company, r.emails, r.sees_contact) for r in owner_rows] == [
        ("Greta Lindqvist", "Nordwerk GmbH", ["greta@nordwerk.de"], True),
        ("Hans Berger", "Südmetall AG", [], False),
    ]
    assert [(r.name, r.emails, r.phones) for r in other_rows] == [
        ("Greta Lindqvist", [], []),
        ("Hans Berger", [], []),
    ]


def test_check_in_marks_attended_with_who_and_when_once(org, door):
    event, greta_guest, *_ = door

    guest = guest_check_in(user=org.other, guest=greta_guest)
    first = guest.checked_in_at
    again = guest_check_in(user=org.owner, guest=greta_guest)

    assert (guest.status, guest.checked_in_by) == (GuestStatus.ATTENDED, org.other)
    assert (again.checked_in_at, again.checked_in_by) == (first, org.other)


@pytest.mark.parametrize(
    ("who", "error"),
    [
        ("peer", NotFoundError),
        ("auditor", PermissionDeniedError),
        ("marketing", PermissionDeniedError),
    ],
)
def test_check_in_needs_the_right_to_change_the_event(org, door, who, error):
    _event, greta_guest, *_ = door

    with pytest.raises(error):
        guest_check_in(user=getattr(org, who), guest=greta_guest)

    greta_guest.refresh_from_db()
    assert greta_guest.status == GuestStatus.REGISTERED


def test_a_walk_in_becomes_an_attended_guest(org, door):
    event, *_ = door
    walker = ContactFactory(account=AccountFactory(owner=org.owner), first_name="Walt")

    guest = guest_walk_in(user=org.owner, event=event, contact=walker)

    assert (guest.status, guest.checked_in_by, guest.delivery) == (
        GuestStatus.ATTENDED,
        org.owner,
        None,
    )
    assert guest.account_id == walker.account_id
    assert guest.checked_in_at is not None


def test_walking_in_an_invited_guest_checks_him_in(org, door):
    event, greta_guest, _hans, greta, _ = door

    guest = guest_walk_in(user=org.owner, event=event, contact=greta)

    assert guest.pk == greta_guest.pk
    assert EventGuest.objects.filter(event=event).count() == 2
    assert guest.status == GuestStatus.ATTENDED


def test_a_walk_in_needs_a_contact_the_user_sees(org, door):
    event, *_ = door
    hidden = ContactFactory(account=AccountFactory(owner=org.kam))

    with pytest.raises(NotFoundError):
        guest_walk_in(user=org.owner, event=event, contact=hidden)
    assert not EventGuest.objects.filter(contact=hidden).exists()


def test_the_check_in_page_searches_guests_in_a_bounded_number_of_queries(
    client, org, door, django_assert_max_num_queries
):
    event, *_ = door
    for number in range(30):
        _guest(
            event,
            ContactFactory(account=AccountFactory(owner=org.owner), last_name=f"Lind{number}"),
        )
    client.force_login(org.owner)
    url = reverse("outreach:event_checkin", args=[event.pk])

    with django_assert_max_num_queries(16):
        response = client.get(url, {"q": "lind"}, headers={"HX-Request": "true"})

    html = response.content.decode()
    assert response.status_code == 200
    assert html.count('id="checkin-guest-') == 20  # the first page of matches
    assert "<html" not in html  # the fragment only


def test_the_check_in_button_checks_in_and_shows_it(client, org, door):
    event, greta_guest, *_ = door
    client.force_login(org.owner)

    response = client.post(
        reverse("outreach:guest_check_in", args=[event.pk, greta_guest.pk]),
        {"q": "greta"},
        headers={"HX-Request": "true"},
    )

    html = response.content.decode()
    assert "Greta Lindqvist checked in." in html
    greta_guest.refresh_from_db()
    assert greta_guest.status == GuestStatus.ATTENDED


def test_the_walk_in_button_adds_the_contact(client, org, door):
    event, *_ = door
    walker = ContactFactory(
        account=AccountFactory(owner=org.owner), first_name="Walt", last_name="Kowalski"
    )
    client.force_login(org.owner)

    response = client.post(
        reverse("outreach:guest_walk_in", args=[event.pk]), {"contact": walker.pk, "q": "walt"}
    )

    assert response.status_code == 302
    assert EventGuest.objects.get(contact=walker).status == GuestStatus.ATTENDED


def test_a_guest_of_another_event_cannot_be_checked_in_through_this_one(client, org, door):
    event, greta_guest, *_ = door
    mine = make_event(org.owner, name="Other fair")
    client.force_login(org.owner)

    response = client.post(reverse("outreach:guest_check_in", args=[mine.pk, greta_guest.pk]))

    assert response.status_code == 404
    greta_guest.refresh_from_db()
    assert greta_guest.status == GuestStatus.REGISTERED
