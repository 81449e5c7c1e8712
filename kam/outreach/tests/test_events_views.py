"""The events pages: the access matrix on every page, the list, the form, conflicts, trash."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from kam.accounts.tests.factories import AccountFactory, ContactFactory
from kam.outreach.choices import GuestStatus
from kam.outreach.models import Event, EventGuest
from kam.outreach.services.events import event_update, guest_walk_in
from kam.outreach.tests.event_factories import make_event

READ = ["event_detail", "event_report"]
CHANGE = ["event_edit", "event_checkin", "lead_capture"]
# who: (status of a read page, of a change page)
MATRIX = {
    "owner": (200, 200),
    "peer": (200, 200),  # staff of the event
    "lead": (200, 200),  # leads the owner's team
    "sales_head": (200, 200),
    "auditor": (200, 403),
    "marketing": (200, 403),
    "other": (404, 404),
    "staff": (404, 404),
}


@pytest.fixture
def event(org):
    return make_event(org.owner, name="Spring Fair", staff=(org.peer,))


@pytest.mark.parametrize("who", sorted(MATRIX))
@pytest.mark.parametrize("name", READ + CHANGE)
def test_the_access_matrix_of_the_event_pages(client, org, event, who, name):
    client.force_login(getattr(org, who))
    expected = MATRIX[who][0 if name in READ else 1]

    response = client.get(reverse(f"outreach:{name}", args=[event.pk]))

    assert response.status_code == expected
    if expected != 200:
        assert "Spring Fair" not in response.content.decode()


@pytest.mark.parametrize("name", ["event_list", "event_create"])
def test_anonymous_visitors_are_sent_to_sign_in(client, name):
    response = client.get(reverse(f"outreach:{name}"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("users:login"))


@pytest.mark.parametrize("name", READ + CHANGE + ["event_account_panel"])
def test_anonymous_visitors_see_no_event_page(client, event, name):
    response = client.get(reverse(f"outreach:{name}", args=[event.pk]))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("users:login"))


def test_the_list_shows_what_the_user_sees_in_a_constant_number_of_queries(
    client, org, django_assert_max_num_queries
):
    for number in range(30):
        make_event(org.owner, name=f"Owner fair {number:02d}", staff=(org.peer,))
    make_event(org.other, name="South roadshow")
    client.force_login(org.owner)

    with django_assert_max_num_queries(12):
        response = client.get(reverse("outreach:event_list"), {"ordering": "name"})

    html = response.content.decode()
    assert html.count('<tr id="event-') == 25
    assert "Owner fair 00" in html
    assert "South roadshow" not in html
    assert "Page 1 of 2" in html


def test_the_list_filters_by_text_kind_and_time(client, org):
    make_event(org.owner, name="Hannover Messe", kind="fair")
    make_event(org.owner, name="Product webinar", kind="webinar")
    past = timezone.now() - timedelta(days=30)
    make_event(org.owner, name="Old Messe", kind="fair", starts_at=past)
    client.force_login(org.owner)

    def names(**params):
        page = client.get(reverse("outreach:event_list"), params).context["page"]
        return sorted(event.name for event in page.object_list)

    assert names(q="messe") == ["Hannover Messe", "Old Messe"]
    assert names(kind="webinar") == ["Product webinar"]
    assert names(when="past") == ["Old Messe"]
    assert names(when="upcoming", kind="fair") == ["Hannover Messe"]


def test_the_detail_shows_guests_with_contact_details_only_where_allowed(client, org, event):
    ours = ContactFactory(
        account=AccountFactory(owner=org.owner, name="Nordwerk"),
        first_name="Greta",
        last_name="Lindqvist",
        emails=["greta@nordwerk.de"],
    )
    guest_walk_in(user=org.owner, event=event, contact=ours)

    client.force_login(org.peer)  # staff, does not see Nordwerk
    peer_html = client.get(reverse("outreach:event_detail", args=[event.pk])).content.decode()
    client.force_login(org.owner)
    owner_html = client.get(reverse("outreach:event_detail", args=[event.pk])).content.decode()

    assert "Greta Lindqvist" in peer_html
    assert "greta@nordwerk.de" not in peer_html
    assert "greta@nordwerk.de" in owner_html


def test_create_through_the_form(client, org):
    client.force_login(org.owner)

    response = client.post(
        reverse("outreach:event_create"),
        {
            "name": "Autumn Expo",
            "kind": "exhibition",
            "starts_at": "2027-09-01T09:00",
            "ends_at": "2027-09-03T18:00",
            "place": "Messe Berlin",
            "budget": "8000",
            "currency": "usd",
            "staff": [org.peer.pk],
        },
    )

    event = Event.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("outreach:event_detail", args=[event.pk])
    assert (event.name, event.currency, event.owner) == ("Autumn Expo", "USD", org.owner)
    assert list(event.staff.all()) == [org.peer]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"ends_at": "2027-08-01T09:00"}, "ends_at"),
        ({"budget": "-5"}, "budget"),
        ({"currency": "EU"}, "currency"),
        ({"currency": "E1R"}, "currency"),
    ],
)
def test_the_form_keeps_the_input_and_names_the_bad_field(client, org, changes, field):
    client.force_login(org.owner)
    data = {
        "name": "Autumn Expo",
        "kind": "exhibition",
        "starts_at": "2027-09-01T09:00",
        "ends_at": "2027-09-03T18:00",
        "budget": "8000",
        "currency": "EUR",
        **changes,
    }

    response = client.post(reverse("outreach:event_create"), data)

    assert response.status_code == 200
    assert list(response.context["form"].errors) == [field]
    assert 'value="Autumn Expo"' in response.content.decode()
    assert Event.objects.count() == 0


def test_a_stale_edit_says_so_and_keeps_the_newer_values(client, org, event):
    client.force_login(org.owner)
    event_update(user=org.peer, event=event, expected_version=1, data={"place": "Hall 9"})

    response = client.post(
        reverse("outreach:event_edit", args=[event.pk]),
        {
            "name": "Spring Fair",
            "kind": "fair",
            "starts_at": event.starts_at.strftime("%Y-%m-%dT%H:%M"),
            "ends_at": event.ends_at.strftime("%Y-%m-%dT%H:%M"),
            "budget": "1",
            "currency": "EUR",
            "place": "Hall 1",
            "version": 1,
        },
    )

    assert response.status_code == 409
    assert 'id="event-conflict"' in response.content.decode()
    event.refresh_from_db()
    assert (event.place, event.version) == ("Hall 9", 2)


@pytest.mark.parametrize(
    ("who", "status", "deleted"),
    [
        ("owner", 302, True),
        ("sales_head", 302, True),
        ("lead", 302, True),
        ("peer", 403, False),
        ("auditor", 403, False),
        ("other", 404, False),
    ],
)
def test_delete_moves_to_the_trash_for_those_allowed(client, org, event, who, status, deleted):
    client.force_login(getattr(org, who))

    response = client.post(reverse("outreach:event_delete", args=[event.pk]))

    assert response.status_code == status
    assert Event.all_objects.get(pk=event.pk).is_deleted is deleted


def test_delete_needs_a_post(client, org, event):
    client.force_login(org.owner)

    assert client.get(reverse("outreach:event_delete", args=[event.pk])).status_code == 405


@pytest.mark.parametrize(("who", "status"), [("auditor", 403), ("other", 404), ("marketing", 403)])
def test_check_in_and_walk_in_posts_are_refused_without_change(client, org, event, who, status):
    contact = ContactFactory(account=AccountFactory(owner=org.owner))
    guest = guest_walk_in(user=org.owner, event=event, contact=contact)
    guest.status = GuestStatus.REGISTERED
    guest.save()
    client.force_login(getattr(org, who))

    check = client.post(reverse("outreach:guest_check_in", args=[event.pk, guest.pk]))
    walk = client.post(reverse("outreach:guest_walk_in", args=[event.pk]), {"contact": contact.pk})

    assert (check.status_code, walk.status_code) == (status, status)
    guest.refresh_from_db()
    assert guest.status == GuestStatus.REGISTERED
    assert EventGuest.objects.count() == 1


def test_the_account_panel_lists_the_events_its_people_attended(client, org, event):
    account = AccountFactory(owner=org.owner)
    guest_walk_in(user=org.owner, event=event, contact=ContactFactory(account=account))
    hidden = make_event(org.other, name="Their roadshow")
    guest_walk_in(user=org.sales_head, event=hidden, contact=ContactFactory(account=account))
    client.force_login(org.owner)

    html = client.get(reverse("outreach:event_account_panel", args=[account.pk])).content.decode()

    assert "Spring Fair" in html
    assert "Their roadshow" not in html
    client.force_login(org.other)
    assert client.get(reverse("outreach:event_account_panel", args=[account.pk])).status_code == 404


def test_the_navigation_has_events(client, org):
    client.force_login(org.owner)

    html = client.get(reverse("outreach:event_list")).content.decode()

    assert f'href="{reverse("outreach:event_list")}"' in html


def test_the_event_page_costs_the_same_with_many_guests_and_leads(
    client, org, event, django_assert_max_num_queries
):
    from kam.outreach.models import EventLead

    for number in range(40):
        contact = ContactFactory(account=AccountFactory(owner=org.owner), last_name=f"G{number}")
        guest_walk_in(user=org.owner, event=event, contact=contact)
        EventLead.objects.create(event=event, account=contact.account, contact=contact)
    client.force_login(org.owner)

    with django_assert_max_num_queries(30):
        response = client.get(reverse("outreach:event_detail", args=[event.pk]))

    html = response.content.decode()
    assert html.count('<tr id="guest-') == 40
    assert 'id="report-attended">40' in html


def test_the_search_palette_finds_events_the_user_sees(org, event):
    from kam.core.registry import search

    make_event(org.other, name="Spring roadshow")

    hits = [hit.title for hit in search(org.owner, "spring") if hit.kind == "Event"]

    assert hits == ["Spring Fair"]


def test_the_guest_list_filters_by_status_and_ignores_an_unknown_one(client, org, event):
    registered = ContactFactory(account=AccountFactory(owner=org.owner), last_name="Reg")
    came = ContactFactory(account=AccountFactory(owner=org.owner), last_name="Came")
    guest_walk_in(user=org.owner, event=event, contact=came)
    guest = guest_walk_in(user=org.owner, event=event, contact=registered)
    EventGuest.objects.filter(pk=guest.pk).update(status=GuestStatus.REGISTERED)
    client.force_login(org.owner)
    url = reverse("outreach:event_detail", args=[event.pk])

    def names(status):
        rows = client.get(url, {"status": status}).context["guests"]
        return [row.name for row in rows]

    assert names("registered") == ["Ivan Reg"]
    assert names("attended") == ["Ivan Came"]
    assert names("bogus") == ["Ivan Came", "Ivan Reg"]
