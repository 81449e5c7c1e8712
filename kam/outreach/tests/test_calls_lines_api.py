"""/api/v1/telephony/lines/: the numbers and extensions that ring a user, managed by admins;
and the OpenAPI schema of the calls endpoints."""

from __future__ import annotations

from typing import Any

import pytest
from auditlog.models import LogEntry

from kam.outreach.models import TelephonyLine

pytestmark = pytest.mark.django_db

URL = "/api/v1/telephony/lines/"


@pytest.fixture(autouse=True)
def _region(settings: Any) -> None:
    settings.KAM_DEFAULT_PHONE_REGION = "DE"


def test_an_admin_creates_a_line_with_the_number_normalised(api_as, org):
    response = api_as(org.admin).post(
        URL, {"number": "030 999 0001", "user": org.owner.pk, "label": "Desk"}
    )

    assert response.status_code == 201
    line = TelephonyLine.objects.get()
    assert response.json() == {
        "id": line.pk,
        "number": "+49309990001",
        "user": org.owner.pk,
        "label": "Desk",
        "is_active": True,
        "version": 1,
        "created_at": line.created_at.isoformat().replace("+00:00", "Z"),
    }
    entry = LogEntry.objects.get_for_object(line).get()
    assert entry.actor == org.admin


def test_an_extension_is_kept_as_digits(api_as, org):
    response = api_as(org.admin).post(URL, {"number": "201", "user": org.owner.pk})

    assert response.json()["number"] == "201"


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"number": "call me"}, "number", "call me is not a valid phone number"),
        (
            {"number": "+49309990001"},
            "number",
            "Telephony line with this Number or extension already exists.",
        ),
        ({"user": 999999}, "user", 'Invalid pk "999999" - object does not exist.'),
    ],
)
def test_bad_lines_are_400(api_as, org, body, field, message):
    TelephonyLine.objects.create(number="+49309990001", user=org.peer)
    payload = {"number": "+49 30 9990002", "user": org.owner.pk, **body}

    response = api_as(org.admin).post(URL, payload)

    assert response.status_code == 400
    assert response.json()["fields"][field] == [message]
    assert TelephonyLine.objects.count() == 1


def test_an_inactive_user_gets_no_line(api_as, org):
    org.peer.is_active = False
    org.peer.save()

    response = api_as(org.admin).post(URL, {"number": "202", "user": org.peer.pk})

    assert response.status_code == 400
    assert response.json()["fields"] == {"user": ["Choose an active user."]}


@pytest.mark.parametrize("role", ["owner", "lead", "sales_head", "auditor", "marketing"])
def test_only_admins_create_lines(api_as, org, role):
    response = api_as(getattr(org, role)).post(URL, {"number": "203", "user": org.owner.pk})

    assert response.status_code == 403
    assert TelephonyLine.objects.count() == 0


def test_anonymous_gets_401(api, org):
    TelephonyLine.objects.create(number="204", user=org.owner)

    assert api.get(URL).status_code == 401
    assert api.post(URL, {"number": "205", "user": org.owner.pk}).status_code == 401
    assert TelephonyLine.objects.count() == 1


@pytest.mark.parametrize(
    ("role", "sees"),
    [
        ("owner", ["210"]),
        ("lead", ["210", "211"]),
        ("peer", ["211"]),
        ("other", []),
        ("sales_head", ["210", "211"]),
        ("auditor", ["210", "211"]),
        ("admin", ["210", "211"]),
    ],
)
def test_who_sees_which_lines(api_as, org, role, sees):
    TelephonyLine.objects.create(number="210", user=org.owner)
    TelephonyLine.objects.create(number="211", user=org.peer)

    response = api_as(getattr(org, role)).get(URL)

    assert [row["number"] for row in response.json()["results"]] == sees


def test_an_admin_changes_a_line_with_its_version_and_a_stale_one_conflicts(api_as, org):
    line = TelephonyLine.objects.create(number="220", user=org.owner)
    api = api_as(org.admin)

    changed = api.patch(f"{URL}{line.pk}/", {"user": org.peer.pk, "version": 1})
    stale = api.patch(f"{URL}{line.pk}/", {"label": "late", "version": 1})

    assert changed.status_code == 200
    assert (changed.json()["user"], changed.json()["version"]) == (org.peer.pk, 2)
    assert stale.status_code == 409
    line.refresh_from_db()
    assert (line.user, line.label) == (org.peer, "")


@pytest.mark.parametrize(("role", "code"), [("owner", 403), ("peer", 404), ("sales_head", 403)])
def test_non_admins_neither_change_nor_delete(api_as, org, role, code):
    line = TelephonyLine.objects.create(number="230", user=org.owner)
    api = api_as(getattr(org, role))

    changed = api.patch(f"{URL}{line.pk}/", {"label": "mine", "version": 1})
    deleted = api.delete(f"{URL}{line.pk}/")

    assert (changed.status_code, deleted.status_code) == (code, code)
    line.refresh_from_db()
    assert line.label == ""


def test_an_admin_deletes_a_line(api_as, org):
    line = TelephonyLine.objects.create(number="240", user=org.owner)

    response = api_as(org.admin).delete(f"{URL}{line.pk}/")

    assert response.status_code == 204
    assert TelephonyLine.objects.count() == 0


def test_the_line_list_costs_the_same_queries_for_many_lines(
    api_as, org, django_assert_max_num_queries
):
    TelephonyLine.objects.bulk_create(
        TelephonyLine(number=str(300 + index), user=org.owner) for index in range(40)
    )
    api = api_as(org.admin)

    with django_assert_max_num_queries(3):
        response = api.get(URL)

    assert response.json()["count"] == 40


def test_the_schema_documents_the_calls_endpoints_without_warnings():
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator

    GENERATOR_STATS.reset()
    schema = SchemaGenerator().get_schema(request=None, public=True)

    assert not GENERATOR_STATS
    webhook = schema["paths"]["/api/v1/telephony/events/"]["post"]
    assert "security" not in webhook  # no session, no token: the signature
    assert list(webhook["requestBody"]["content"]) == ["application/json"]
    body = schema["components"]["schemas"]["TelephonyEventInputRequest"]
    assert set(body["properties"]) == {
        "from",
        "to",
        "direction",
        "start",
        "duration",
        "recording_url",
        "call_id",
        "event",
    }
    assert {p["name"] for p in webhook["parameters"]} == {"X-KAM-Signature"}
    assert "/api/v1/telephony/lines/{id}/" in schema["paths"]
    assert set(schema["paths"]["/api/v1/consents/{id}/"]) == {"get", "put", "patch"}
