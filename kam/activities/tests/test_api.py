"""/api/v1/activities/ and /api/v1/tasks/: filters, ETag/If-Match, actions, access per role."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from kam.accounts.tests.factories import AccountFactory, ContactFactory
from kam.activities.models import Activity
from kam.activities.tests.factories import ActivityFactory, TaskFactory

pytestmark = pytest.mark.django_db


def test_list_is_paginated_filtered_and_costs_constant_queries(
    org: Any, api_as: Any, django_assert_max_num_queries: Any
) -> None:
    account = AccountFactory(owner=org.owner)
    contact = ContactFactory(account=account)
    for n in range(30):
        activity = ActivityFactory(account=account, kind="call" if n % 2 else "email")
        activity.contacts.add(contact)
    ActivityFactory(account=AccountFactory(owner=org.other))  # not his
    client = api_as(org.owner)

    with django_assert_max_num_queries(8):
        response = client.get("/api/v1/activities/", {"kind": "call", "contact": contact.pk})

    assert response.status_code == 200
    assert response.json()["count"] == 15
    assert {row["kind"] for row in response.json()["results"]} == {"call"}


def test_date_range_and_account_filters(org: Any, api_as: Any) -> None:
    account = AccountFactory(owner=org.owner)
    now = timezone.now()
    old = ActivityFactory(account=account, occurred_at=now - timedelta(days=40))
    ActivityFactory(account=account, occurred_at=now - timedelta(days=1))
    ActivityFactory(account=AccountFactory(owner=org.owner), occurred_at=now - timedelta(days=40))

    response = api_as(org.owner).get(
        "/api/v1/activities/",
        {"account": account.pk, "until": (now - timedelta(days=30)).isoformat()},
    )

    assert [row["id"] for row in response.json()["results"]] == [old.pk]


def test_create_answers_201_and_bad_input_answers_400_by_field(org: Any, api_as: Any) -> None:
    account = AccountFactory(owner=org.owner)
    client = api_as(org.owner)

    created = client.post(
        "/api/v1/activities/",
        {"kind": "call", "account": account.pk, "subject": "Intro", "direction": "inbound"},
        format="json",
    )
    future = client.post(
        "/api/v1/activities/",
        {
            "kind": "email",
            "account": account.pk,
            "subject": "x",
            "occurred_at": (timezone.now() + timedelta(days=3)).isoformat(),
        },
        format="json",
    )

    assert created.status_code == 201
    assert created.json()["direction"] == "inbound"
    assert created["ETag"] == '"1"'
    assert future.status_code == 400
    assert future.json()["code"] == "invalid_activity"
    assert list(future.json()["fields"]) == ["occurred_at"]
    assert Activity.objects.count() == 1


def test_update_needs_the_version_and_refuses_a_stale_one(org: Any, api_as: Any) -> None:
    activity = ActivityFactory(account=AccountFactory(owner=org.owner), subject="Old")
    client = api_as(org.owner)
    url = f"/api/v1/activities/{activity.pk}/"

    assert client.get(url)["ETag"] == '"1"'
    missing = client.patch(url, {"subject": "A"}, format="json")
    ok = client.patch(url, {"subject": "B"}, format="json", HTTP_IF_MATCH='"1"')
    stale = client.patch(url, {"subject": "C"}, format="json", HTTP_IF_MATCH='"1"')

    assert (missing.status_code, ok.status_code, stale.status_code) == (428, 200, 409)
    assert ok["ETag"] == '"2"'
    assert stale.json()["current"]["subject"] == "B"


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("owner", 200),
        ("lead", 200),
        ("sales_head", 200),
        ("auditor", 200),
        ("admin", 200),
        ("peer", 404),
        ("other", 404),
        ("staff", 404),
        ("marketing", 404),
    ],
)
def test_detail_access_per_role(org: Any, api_as: Any, who: str, status: int) -> None:
    activity = ActivityFactory(account=AccountFactory(owner=org.owner), body="secret plans")

    response = api_as(getattr(org, who)).get(f"/api/v1/activities/{activity.pk}/")

    assert response.status_code == status
    if status == 404:
        assert "secret plans" not in response.content.decode()


def test_anonymous_gets_nothing(api: Any, org: Any) -> None:
    ActivityFactory(account=AccountFactory(owner=org.owner))

    assert api.get("/api/v1/activities/").status_code in (401, 403)


def test_others_cannot_edit_delete_or_complete(org: Any, api_as: Any) -> None:
    task = TaskFactory(account=AccountFactory(owner=org.owner), subject="Keep")
    for who in ("other", "auditor"):
        client = api_as(getattr(org, who))
        url = f"/api/v1/tasks/{task.pk}/"
        assert client.patch(
            url, {"subject": "X"}, format="json", HTTP_IF_MATCH='"1"'
        ).status_code in (403, 404)
        assert client.delete(url).status_code in (403, 404)
        assert client.post(f"{url}complete/", {}, format="json").status_code in (403, 404)
    task.refresh_from_db()
    assert (task.subject, task.status, task.deleted_at) == ("Keep", "planned", None)


def test_tasks_endpoint_lists_only_tasks_filters_overdue_and_completes(
    org: Any, api_as: Any, django_assert_max_num_queries: Any
) -> None:
    account = AccountFactory(owner=org.owner)
    late = TaskFactory(account=account, due_at=timezone.now() - timedelta(days=2))
    TaskFactory(account=account, due_at=timezone.now() + timedelta(days=2))
    ActivityFactory(account=account)
    client = api_as(org.owner)

    with django_assert_max_num_queries(8):
        overdue = client.get("/api/v1/tasks/", {"overdue": "true", "assignee": org.owner.pk})
    everything = client.get("/api/v1/tasks/")
    done = client.post(f"/api/v1/tasks/{late.pk}/complete/", {"outcome": "Sent"}, format="json")

    assert [row["id"] for row in overdue.json()["results"]] == [late.pk]
    assert overdue.json()["results"][0]["is_overdue"] is True
    assert everything.json()["count"] == 2
    assert (done.status_code, done.json()["status"], done.json()["outcome"]) == (
        200,
        "done",
        "Sent",
    )


def test_creating_a_task_through_the_tasks_endpoint(org: Any, api_as: Any) -> None:
    account = AccountFactory(owner=org.owner)
    due = timezone.now() + timedelta(days=1)

    response = api_as(org.owner).post(
        "/api/v1/tasks/",
        {
            "account": account.pk,
            "subject": "Quote",
            "due_at": due.isoformat(),
            "assignee": org.peer.pk,
            "priority": "high",
        },
        format="json",
    )
    missing_due = api_as(org.owner).post(
        "/api/v1/tasks/", {"account": account.pk, "subject": "Quote"}, format="json"
    )

    assert response.status_code == 201
    assert (response.json()["kind"], response.json()["assignee"]) == ("task", org.peer.pk)
    assert missing_due.status_code == 400
    assert "due_at" in missing_due.json()["fields"]


def test_linking_an_invisible_account_answers_404_and_writes_nothing(org: Any, api_as: Any) -> None:
    theirs = AccountFactory(owner=org.other)

    response = api_as(org.owner).post(
        "/api/v1/activities/",
        {"kind": "note", "account": theirs.pk, "subject": "x"},
        format="json",
    )

    assert response.status_code == 404
    assert Activity.objects.count() == 0
