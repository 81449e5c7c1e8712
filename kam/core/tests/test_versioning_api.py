"""Optimistic locking through the API: stale writes answer 409 and change nothing."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from tests.testapp.models import Record

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.testapp.urls")]


@pytest.fixture
def record(org: Any) -> Record:
    return Record.objects.create(name="Acme", owner=org.owner, credit_limit=Decimal("5000.00"))


def url(record: Record) -> str:
    return f"/api/v1/test/records/{record.pk}/"


def test_detail_carries_the_version_as_etag(api_as: Any, org: Any, record: Record) -> None:
    response = api_as(org.owner).get(url(record))

    assert response.status_code == 200
    assert response["ETag"] == '"1"'
    assert response.json()["version"] == 1


def test_update_with_the_current_version_saves_and_bumps_it(
    api_as: Any, org: Any, record: Record
) -> None:
    response = api_as(org.owner).patch(url(record), {"name": "Acme Group", "version": 1})

    assert response.status_code == 200
    assert response.json()["name"] == "Acme Group"
    assert response.json()["version"] == 2
    assert response["ETag"] == '"2"'
    record.refresh_from_db()
    assert (record.name, record.version) == ("Acme Group", 2)


def test_stale_version_answers_409_with_current_values_and_changes_nothing(
    api_as: Any, org: Any, record: Record
) -> None:
    client = api_as(org.owner)
    client.patch(url(record), {"name": "Newer name", "version": 1})

    response = client.patch(url(record), {"name": "Older edit", "version": 1})

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "conflict"
    assert body["version"] == 2
    assert body["current"]["name"] == "Newer name"
    record.refresh_from_db()
    assert (record.name, record.version) == ("Newer name", 2)


def test_stale_if_match_header_answers_409(api_as: Any, org: Any, record: Record) -> None:
    client = api_as(org.owner)
    client.patch(url(record), {"name": "Newer"}, HTTP_IF_MATCH='"1"')

    response = client.put(
        url(record), {"name": "Older", "credit_limit": "1"}, HTTP_IF_MATCH='W/"1"'
    )

    assert response.status_code == 409
    record.refresh_from_db()
    assert record.name == "Newer"
    assert record.credit_limit == Decimal("5000.00")


def test_update_without_a_version_is_refused(api_as: Any, org: Any, record: Record) -> None:
    response = api_as(org.owner).patch(url(record), {"name": "Blind write"})

    assert response.status_code == 428
    assert response.json()["fields"] == {
        "version": ["Send the version you last read (or an If-Match header)."]
    }
    record.refresh_from_db()
    assert record.name == "Acme"


def test_validation_errors_name_the_field(api_as: Any, org: Any, record: Record) -> None:
    response = api_as(org.owner).patch(url(record), {"name": "x" * 101, "version": 1})

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_error"
    assert list(body["fields"]) == ["name"]


def test_another_managers_record_answers_404_and_is_not_changed(
    api_as: Any, org: Any, record: Record
) -> None:
    client = api_as(org.other)

    assert client.get(url(record)).status_code == 404
    response = client.patch(url(record), {"name": "Hijack", "version": 1})

    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "detail": "Not found.", "fields": {}}
    record.refresh_from_db()
    assert record.name == "Acme"


def test_auditor_reads_but_cannot_write(api_as: Any, org: Any, record: Record) -> None:
    client = api_as(org.auditor)

    assert client.get(url(record)).status_code == 200
    response = client.patch(url(record), {"name": "Audited", "version": 1})

    assert response.status_code == 403
    record.refresh_from_db()
    assert record.name == "Acme"


def test_anonymous_gets_401_and_no_data(api: Any, record: Record) -> None:
    response = api.get(url(record))

    assert response.status_code == 401
    assert "Acme" not in response.content.decode()


def test_confidential_field_is_absent_for_roles_without_permission(
    api_as: Any, org: Any, record: Record
) -> None:
    record.team_members.add(org.marketing)

    owner_view = api_as(org.owner).get(url(record)).json()
    marketing_view = api_as(org.marketing).get(url(record)).json()

    assert owner_view["credit_limit"] == "5000.00"
    assert "credit_limit" not in marketing_view
    assert marketing_view["name"] == "Acme"


def test_writing_a_confidential_field_without_permission_is_refused(
    api_as: Any, org: Any, record: Record
) -> None:
    record.department = org.logistics
    record.save()

    response = api_as(org.service).patch(url(record), {"credit_limit": "1.00", "version": 2})

    assert response.status_code == 400
    assert response.json()["fields"] == {
        "credit_limit": ["You do not have permission to set this field."]
    }
    record.refresh_from_db()
    assert record.credit_limit == Decimal("5000.00")


def test_delete_moves_to_trash_and_the_record_answers_404(
    api_as: Any, org: Any, record: Record
) -> None:
    client = api_as(org.owner)

    assert client.delete(url(record)).status_code == 204

    assert client.get(url(record)).status_code == 404
    assert Record.all_objects.get(pk=record.pk).deleted_by == org.owner


def test_list_costs_a_constant_number_of_queries(
    api_as: Any, org: Any, django_assert_max_num_queries: Any
) -> None:
    for n in range(30):
        Record.objects.create(name=f"r{n}", owner=org.owner)
    client = api_as(org.owner)

    with django_assert_max_num_queries(4):
        response = client.get("/api/v1/test/records/")

    assert response.json()["count"] == 30
