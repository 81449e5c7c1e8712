"""/api/v1/events/: the access matrix, create, versioned update, guests, check-in, leads, report."""

from __future__ import annotations

from decimal import Decimal

import pytest

from kam.accounts.models import Account
from kam.accounts.tests.factories import AccountFactory, ContactFactory
from kam.outreach.choices import GuestStatus
from kam.outreach.models import Event, EventGuest, EventLead
from kam.outreach.services.events import guest_walk_in, new_token
from kam.outreach.tests.event_factories import make_event

BASE = "/api/v1/events/"


@pytest.fixture
def event(org):
    return make_event(org.owner, name="Spring Fair", staff=(org.peer,))


def _detail(event, suffix=""):
    return f"{BASE}{event.pk}/{suffix}"


# who: (GET detail/guests/leads/report, PATCH / check-in / capture a lead, DELETE)
MATRIX = {
    "owner": (200, 200, 204),
    "peer": (200, 200, 403),
    "lead": (200, 200, 204),
    "sales_head": (200, 200, 204),
    "auditor": (200, 403, 403),
    "marketing": (200, 403, 403),
    "other": (404, 404, 404),
}


@pytest.mark.parametrize("suffix", ["", "guests/", "leads/", "report/"])
def test_anonymous_gets_nothing(api, event, suffix):
    response = api.get(_detail(event, suffix))

    assert response.status_code in (401, 403)
    assert "Spring Fair" not in response.content.decode()


def test_anonymous_lists_nothing(api, event):
    assert api.get(BASE).status_code in (401, 403)


@pytest.mark.parametrize("who", sorted(MATRIX))
@pytest.mark.parametrize("suffix", ["", "guests/", "leads/", "report/"])
def test_reads_follow_the_matrix(api_as, org, event, who, suffix):
    response = api_as(getattr(org, who)).get(_detail(event, suffix))

    assert response.status_code == MATRIX[who][0]
    if MATRIX[who][0] == 404:
        assert response.json()["code"] == "not_found"
        assert "Spring Fair" not in response.content.decode()


@pytest.mark.parametrize("who", sorted(MATRIX))
def test_writes_follow_the_matrix_and_a_refusal_changes_nothing(api_as, org, event, who):
    client = api_as(getattr(org, who))
    contact = ContactFactory(account=AccountFactory(owner=org.owner))
    guest = EventGuest.objects.create(
        event=event, contact=contact, account=contact.account, token=new_token()
    )
    expected = MATRIX[who][1]

    patch = client.patch(_detail(event), {"place": "Hall 2", "version": 1}, format="json")
    check = client.post(_detail(event, "check-in/"), {"guest": guest.pk}, format="json")
    lead = client.post(
        _detail(event, "leads/"),
        {"company_name": f"Lead of {who}", "contact_last_name": "Vogel"},
        format="json",
    )

    assert (patch.status_code, check.status_code) == (expected, expected)
    assert lead.status_code == (201 if expected == 200 else expected)
    if expected != 200:
        event.refresh_from_db()
        guest.refresh_from_db()
        assert (event.place, event.version, guest.status) == ("Hall 7, stand B12", 1, "invited")
        assert not Account.objects.filter(name=f"Lead of {who}").exists()
    deleted = client.delete(_detail(event))
    assert deleted.status_code == MATRIX[who][2]


def test_the_list_is_scoped_filtered_and_costs_constant_queries(
    api_as, org, django_assert_max_num_queries
):
    for number in range(20):
        make_event(org.owner, name=f"Fair {number:02d}", staff=(org.peer, org.kam))
    make_event(org.owner, name="Webinar", kind="webinar")
    make_event(org.other, name="Theirs")
    client = api_as(org.owner)

    with django_assert_max_num_queries(8):
        response = client.get(BASE, {"kind": "fair", "ordering": "name", "page_size": 50})

    body = response.json()
    assert body["count"] == 20
    assert body["results"][0]["name"] == "Fair 00"
    assert sorted(body["results"][0]["staff"]) == sorted([org.peer.pk, org.kam.pk])
    assert [e["name"] for e in client.get(BASE, {"q": "webin"}).json()["results"]] == ["Webinar"]


def test_create_answers_the_event_with_its_etag(api_as, org):
    response = api_as(org.owner).post(
        BASE,
        {
            "name": "Autumn Expo",
            "kind": "product_launch",
            "starts_at": "2027-09-01T09:00:00Z",
            "ends_at": "2027-09-01T18:00:00Z",
            "budget": "2500.00",
            "currency": "chf",
            "staff": [org.peer.pk],
        },
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    assert (body["name"], body["kind"], body["currency"], body["budget"]) == (
        "Autumn Expo",
        "product_launch",
        "CHF",
        "2500.00",
    )
    assert (body["owner"], body["staff"], body["version"]) == (org.owner.pk, [org.peer.pk], 1)
    assert response["ETag"] == '"1"'


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"ends_at": "2027-08-01T09:00:00Z"}, "ends_at"),
        ({"budget": "-1.00"}, "budget"),
        ({"currency": "EURO"}, "currency"),
        ({"kind": "party"}, "kind"),
        ({"staff": [987654]}, "staff"),
    ],
)
def test_create_refuses_bad_input_field_by_field(api_as, org, changes, field):
    data = {
        "name": "Autumn Expo",
        "kind": "fair",
        "starts_at": "2027-09-01T09:00:00Z",
        "ends_at": "2027-09-02T18:00:00Z",
        **changes,
    }

    response = api_as(org.owner).post(BASE, data, format="json")

    assert response.status_code == 400
    assert list(response.json()["fields"]) == [field]
    assert Event.all_objects.count() == 0


def test_update_needs_the_version_and_a_stale_one_is_a_conflict(api_as, org, event):
    client = api_as(org.owner)

    missing = client.patch(_detail(event), {"place": "Hall 2"}, format="json")
    ok = client.patch(_detail(event), {"place": "Hall 2"}, format="json", HTTP_IF_MATCH='"1"')
    stale = client.patch(_detail(event), {"place": "Hall 3", "version": 1}, format="json")

    assert missing.status_code == 428
    assert (ok.status_code, ok.json()["place"], ok["ETag"]) == (200, "Hall 2", '"2"')
    assert stale.status_code == 409
    assert (stale.json()["current"]["place"], stale.json()["version"]) == ("Hall 2", 2)


def test_guests_show_contact_details_only_to_who_sees_the_contact(api_as, org, event):
    contact = ContactFactory(
        account=AccountFactory(owner=org.owner, name="Nordwerk"),
        first_name="Greta",
        last_name="Lindqvist",
        emails=["greta@nordwerk.de"],
    )
    guest_walk_in(user=org.owner, event=event, contact=contact)

    owner_row = api_as(org.owner).get(_detail(event, "guests/")).json()["results"][0]
    peer_row = api_as(org.peer).get(_detail(event, "guests/")).json()["results"][0]

    assert (owner_row["name"], owner_row["company"], owner_row["emails"]) == (
        "Greta Lindqvist",
        "Nordwerk",
        ["greta@nordwerk.de"],
    )
    assert (peer_row["name"], peer_row["emails"], peer_row["status"]) == (
        "Greta Lindqvist",
        [],
        "attended",
    )


def test_guests_filter_by_status_in_constant_queries(
    api_as, org, event, django_assert_max_num_queries
):
    for number in range(15):
        contact = ContactFactory(account=AccountFactory(owner=org.owner))
        status = GuestStatus.REGISTERED if number % 3 else GuestStatus.DECLINED
        EventGuest.objects.create(
            event=event, contact=contact, account=contact.account, status=status, token=new_token()
        )
    client = api_as(org.owner)

    with django_assert_max_num_queries(8):
        body = client.get(_detail(event, "guests/"), {"status": "registered"}).json()

    assert body["count"] == 10
    assert client.get(_detail(event, "guests/"), {"status": "maybe"}).status_code == 400


def test_check_in_by_guest_or_walk_in_by_contact(api_as, org, event):
    contact = ContactFactory(account=AccountFactory(owner=org.owner))
    walker = ContactFactory(account=AccountFactory(owner=org.owner))
    guest = EventGuest.objects.create(
        event=event, contact=contact, account=contact.account, token=new_token()
    )
    client = api_as(org.peer)

    checked = client.post(_detail(event, "check-in/"), {"guest": guest.pk}, format="json")
    walked = client.post(_detail(event, "check-in/"), {"contact": walker.pk}, format="json")
    both = client.post(
        _detail(event, "check-in/"), {"guest": guest.pk, "contact": walker.pk}, format="json"
    )

    assert (checked.status_code, checked.json()["status"]) == (200, "attended")
    assert checked.json()["checked_in_by"] == org.peer.pk
    # `peer` staffs the event but does not see the walker: 404, nothing added.
    assert walked.status_code == 404
    assert both.status_code == 400
    walked = api_as(org.owner).post(
        _detail(event, "check-in/"), {"contact": walker.pk}, format="json"
    )
    assert (walked.status_code, walked.json()["contact"]) == (200, walker.pk)
    assert EventGuest.objects.filter(event=event, status="attended").count() == 2


def test_capture_a_lead_with_a_deal(api_as, org, event):
    response = api_as(org.owner).post(
        _detail(event, "leads/"),
        {
            "company_name": "Brightwave Optics",
            "contact_first_name": "Lena",
            "contact_last_name": "Vogel",
            "email": "lena@brightwave.example",
            "create_deal": True,
            "deal_amount": "1200.00",
        },
        format="json",
    )

    assert response.status_code == 201
    lead = EventLead.objects.get()
    assert response.json()["account_name"] == "Brightwave Optics"
    assert (lead.deal.amount, lead.deal.currency, lead.deal.source) == (
        Decimal("1200.00"),
        "EUR",
        "exhibition",
    )
    listed = api_as(org.auditor).get(_detail(event, "leads/")).json()
    assert [row["id"] for row in listed["results"]] == [lead.pk]


def test_a_lead_like_an_existing_account_answers_the_duplicates(api_as, org, event):
    from kam.accounts.duplicates import refresh_match_keys

    existing = AccountFactory(name="Brightwave Optics", owner=org.owner)
    refresh_match_keys(account=existing)
    client = api_as(org.owner)
    data = {"company_name": "Brightwave Optics", "contact_last_name": "Vogel"}

    warned = client.post(_detail(event, "leads/"), data, format="json")
    confirmed = client.post(
        _detail(event, "leads/"), {**data, "ignore_duplicates": True}, format="json"
    )

    assert warned.status_code == 400
    assert warned.json()["code"] == "possible_duplicates"
    assert [d["id"] for d in warned.json()["duplicates"]] == [existing.pk]
    assert confirmed.status_code == 201


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"contact_last_name": "Vogel"}, "company_name"),
        ({"company_name": "X"}, "contact_last_name"),
        ({"company_name": "X", "contact_last_name": "V", "deal_amount": "-1"}, "deal_amount"),
        ({"company_name": "X", "contact_last_name": "V", "deal_currency": "EU"}, "deal_currency"),
        ({"company_name": "X", "contact_last_name": "V", "email": "nope"}, "email"),
    ],
)
def test_a_bad_lead_is_refused_field_by_field(api_as, org, event, data, field):
    response = api_as(org.owner).post(_detail(event, "leads/"), data, format="json")

    assert response.status_code == 400
    assert list(response.json()["fields"]) == [field]
    assert EventLead.objects.count() == 0


def test_the_report_endpoint(api_as, org, event):
    contact = ContactFactory(account=AccountFactory(owner=org.owner))
    guest_walk_in(user=org.owner, event=event, contact=contact)

    body = api_as(org.marketing).get(_detail(event, "report/")).json()

    assert body == {
        "invited": 0,
        "registered": 0,
        "declined": 0,
        "attended": 1,
        "walk_ins": 1,
        "leads": 0,
        "deals": 0,
        "won_deals": 0,
        "revenue": {},
        "budget": "12000.00",
        "currency": "EUR",
        "cost_per_lead": None,
    }
