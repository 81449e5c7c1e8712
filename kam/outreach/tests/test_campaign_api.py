"""/api/v1/campaigns/: CRUD with optimistic locking, filters and ordering, the actions (audience,
preview, launch, cancel, report, recipients, letters, deals) and the access matrix."""

from __future__ import annotations

import io
from typing import Any

import pytest
from pypdf import PdfReader

from kam.accounts.choices import AddressKind, Channel
from kam.accounts.models import AccountAddress, Contact
from kam.accounts.tests.factories import AccountFactory, ContactFactory
from kam.outreach import choices
from kam.outreach.models import Campaign, Delivery
from kam.outreach.services import campaigns as services
from kam.outreach.tests.factories import CampaignFactory, consent, reachable_contact

pytestmark = pytest.mark.django_db
URL = "/api/v1/campaigns/"
# Who sees the owner's campaign (the owner is an account manager in the north team).
MATRIX = [
    ("owner", 200),
    ("lead", 200),
    ("peer", 404),
    ("other", 404),
    ("sales_head", 200),
    ("auditor", 200),
    ("marketing", 404),
    ("staff", 404),
]
PAYLOAD = {
    "name": "Spring promo",
    "kind": "promotion",
    "subject": "Spring prices for {{ account.name }}",
    "body": "Dear {{ contact.first_name }}, spring is here.",
    "channels": ["email", "post"],
}


@pytest.fixture
def campaign(org: Any) -> Campaign:
    account = AccountFactory(owner=org.owner, name="Acme")
    AccountAddress.objects.create(account=account, kind=AddressKind.POSTAL, street="Ring 5")
    reachable_contact(account, first_name="Anna", last_name="Mail")
    poster = ContactFactory(account=account, last_name="Poster")
    consent(poster, Channel.POST)
    ContactFactory(account=account, last_name="Silent", emails=["s@x.io"])
    return services.campaign_create(user=org.owner, data=dict(PAYLOAD))


def test_anonymous_gets_401_and_nothing_changes(api: Any, campaign: Campaign) -> None:
    assert api.get(URL).status_code == 401
    assert api.post(URL, PAYLOAD, format="json").status_code == 401
    assert api.post(f"{URL}{campaign.pk}/launch/").status_code == 401
    assert api.get(f"{URL}{campaign.pk}/report/").status_code == 401
    assert Campaign.objects.count() == 1
    assert Delivery.objects.count() == 0


@pytest.mark.parametrize(("role", "expected"), MATRIX)
def test_who_sees_a_campaign(
    api_as: Any, org: Any, campaign: Campaign, role: str, expected: int
) -> None:
    client = api_as(getattr(org, role))
    detail = client.get(f"{URL}{campaign.pk}/")
    assert detail.status_code == expected
    listed = [row["id"] for row in client.get(URL).json()["results"]]
    assert listed == ([campaign.pk] if expected == 200 else [])
    for action in ("report", "recipients", "audience"):
        assert client.get(f"{URL}{campaign.pk}/{action}/").status_code == expected
    if expected == 404:
        assert "Spring" not in detail.content.decode()


@pytest.mark.parametrize(
    ("role", "expected"),
    [("owner", 200), ("lead", 200), ("sales_head", 200), ("auditor", 403), ("other", 404)],
)
def test_who_may_launch(
    api_as: Any,
    org: Any,
    campaign: Campaign,
    role: str,
    expected: int,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=False):
        response = api_as(getattr(org, role)).post(f"{URL}{campaign.pk}/launch/")
    assert response.status_code == expected
    written = Delivery.objects.filter(campaign=campaign).count()
    assert written == (3 if expected == 200 else 0)
    if expected == 200:
        assert response.json()["status"] == "sending"
        assert response.json()["recipients"] == 3


def test_create_answers_the_campaign_and_its_etag(api_as: Any, org: Any) -> None:
    response = api_as(org.marketing).post(URL, PAYLOAD, format="json")
    assert response.status_code == 201
    body = response.json()
    assert response["ETag"] == '"1"'
    assert (body["name"], body["status"], body["owner_name"], body["channels"]) == (
        "Spring promo",
        "draft",
        "marketing",
        ["email", "post"],
    )


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"subject": "{% if %}"}, "subject"),
        ({"channels": ["phone"]}, "channels"),
        ({"channels": []}, "channels"),
        ({"scheduled_at": "2001-01-01T00:00:00Z"}, "scheduled_at"),
        ({"audience_query": "account=abc"}, "audience_query"),
        ({"throttle_per_minute": 0}, "throttle_per_minute"),
    ],
)
def test_bad_input_is_a_field_error_and_nothing_is_stored(
    api_as: Any, org: Any, change: dict[str, Any], field: str
) -> None:
    response = api_as(org.owner).post(URL, {**PAYLOAD, **change}, format="json")
    assert response.status_code == 400
    assert list(response.json()["fields"]) == [field]
    assert Campaign.objects.count() == 0


@pytest.mark.parametrize("role", ["auditor", "staff", "service"])
def test_roles_without_campaigns_cannot_create(api_as: Any, org: Any, role: str) -> None:
    assert api_as(getattr(org, role)).post(URL, PAYLOAD, format="json").status_code == 403
    assert Campaign.objects.count() == 0


def test_a_stale_edit_gets_409_with_the_current_values(
    api_as: Any, org: Any, campaign: Campaign
) -> None:
    client = api_as(org.owner)
    ok = client.patch(f"{URL}{campaign.pk}/", {"name": "Renamed", "version": 1}, format="json")
    assert (ok.status_code, ok["ETag"]) == (200, '"2"')
    stale = client.patch(f"{URL}{campaign.pk}/", {"name": "Stale", "version": 1}, format="json")
    assert stale.status_code == 409
    assert stale.json()["current"]["name"] == "Renamed"
    assert client.patch(f"{URL}{campaign.pk}/", {"name": "X"}, format="json").status_code == 428
    assert (
        api_as(org.auditor)
        .patch(f"{URL}{campaign.pk}/", {"name": "A", "version": 2}, format="json")
        .status_code
        == 403
    )
    campaign.refresh_from_db()
    assert campaign.name == "Renamed"


def test_audience_preview_and_preview(api_as: Any, org: Any, campaign: Campaign) -> None:
    client = api_as(org.owner)
    assert client.get(f"{URL}{campaign.pk}/audience/").json() == {
        "total": 3,
        "reachable": 2,
        "by_channel": {"email": 1, "chat": 0, "post": 1, "fax": 0},
        "suppressed": 1,
        "suppressed_reasons": [{"reason": "No consent on E-mail. No consent on Post.", "count": 1}],
    }
    contact = Contact.objects.get(last_name="Mail")
    preview = client.post(f"{URL}{campaign.pk}/preview/", {"contact": contact.pk}, format="json")
    assert preview.json()["subject"] == "Spring prices for Acme"
    assert preview.json()["body"] == "Dear Anna, spring is here."
    bad = client.post(f"{URL}{campaign.pk}/preview/", {"contact": "x"}, format="json")
    assert list(bad.json()["fields"]) == ["contact"]


def test_launch_twice_is_409(
    api_as: Any, org: Any, campaign: Campaign, django_capture_on_commit_callbacks: Any
) -> None:
    client = api_as(org.owner)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert client.post(f"{URL}{campaign.pk}/launch/").status_code == 200
        again = client.post(f"{URL}{campaign.pk}/launch/")
    assert (again.status_code, again.json()["code"]) == (409, "campaign_state")
    assert Delivery.objects.count() == 3
    assert len(callbacks) == 1
    assert (
        client.patch(
            f"{URL}{campaign.pk}/", {"name": "Late", "version": 1}, format="json"
        ).status_code
        == 409
    )
    cancelled = client.post(f"{URL}{campaign.pk}/cancel/")
    assert cancelled.json()["status"] == "cancelled"


def test_report_recipients_letters_and_deals(
    api_as: Any, org: Any, campaign: Campaign, django_capture_on_commit_callbacks: Any
) -> None:
    client = api_as(org.owner)
    with django_capture_on_commit_callbacks(execute=False):
        client.post(f"{URL}{campaign.pk}/launch/")
    report = client.get(f"{URL}{campaign.pk}/report/").json()
    assert (report["total"], report["counts"]["queued"], report["counts"]["suppressed"]) == (
        3,
        2,
        1,
    )
    rows = client.get(f"{URL}{campaign.pk}/recipients/?status=suppressed").json()
    assert [r["contact_name"] for r in rows["results"]] == ["Ivan Silent"]
    letters = client.post(f"{URL}{campaign.pk}/letters/")
    assert (letters.status_code, letters["Content-Type"], letters["X-KAM-Letters-Marked"]) == (
        200,
        "application/pdf",
        "1",
    )
    assert len(PdfReader(io.BytesIO(letters.content)).pages) == 1
    assert api_as(org.auditor).post(f"{URL}{campaign.pk}/letters/").status_code == 403
    client = api_as(org.owner)
    mail = Delivery.objects.get(channel="email")
    Delivery.objects.filter(pk=mail.pk).update(replied_at=mail.created_at)
    deals = client.post(f"{URL}{campaign.pk}/deals/", {"deliveries": [mail.pk]}, format="json")
    assert deals.json() == {"opened": 1}
    rows = client.get(f"{URL}{campaign.pk}/recipients/?status=replied").json()
    rows = rows["results"]
    assert rows[0]["deal"] is not None


def test_list_filters_orders_and_costs_constant_queries(
    api_as: Any, org: Any, django_assert_max_num_queries: Any
) -> None:
    for n in range(30):
        CampaignFactory(owner=org.owner, name=f"Bulk {n:02d}")
    CampaignFactory(owner=org.owner, name="Fair invite", kind="invitation", status="completed")
    CampaignFactory(owner=org.other, name="Not mine")
    client = api_as(org.owner)
    with django_assert_max_num_queries(6):
        page = client.get(f"{URL}?page_size=50").json()
    assert page["count"] == 31
    invites = client.get(f"{URL}?kind=invitation&status=completed").json()["results"]
    assert [row["name"] for row in invites] == ["Fair invite"]
    ordered = client.get(f"{URL}?ordering=name&q=Bulk&page_size=3").json()
    assert [row["name"] for row in ordered["results"]] == ["Bulk 00", "Bulk 01", "Bulk 02"]
    assert client.get(f"{URL}?status=nonsense").status_code == 400


def test_delete_moves_to_the_trash_but_not_while_sending(
    api_as: Any, org: Any, campaign: Campaign, django_capture_on_commit_callbacks: Any
) -> None:
    assert api_as(org.other).delete(f"{URL}{campaign.pk}/").status_code == 404
    client = api_as(org.owner)
    with django_capture_on_commit_callbacks(execute=False):
        client.post(f"{URL}{campaign.pk}/launch/")
    assert client.delete(f"{URL}{campaign.pk}/").status_code == 409
    draft = CampaignFactory(owner=org.owner)
    assert client.delete(f"{URL}{draft.pk}/").status_code == 204
    assert Campaign.all_objects.get(pk=draft.pk).deleted_at is not None
    assert Campaign.objects.get(pk=campaign.pk).status == choices.CampaignStatus.SENDING


def test_the_schema_documents_the_campaign_actions(api_as: Any, org: Any) -> None:
    schema = api_as(org.owner).get("/api/schema/?format=json").json()
    paths = schema["paths"]
    for action in ("launch", "cancel", "report", "recipients", "letters", "deals", "preview"):
        assert f"/api/v1/campaigns/{{id}}/{action}/" in paths
