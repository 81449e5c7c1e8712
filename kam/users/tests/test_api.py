"""The users, teams, departments, notifications and audit-entries endpoints."""

from __future__ import annotations

from typing import Any

import pytest
from auditlog.models import LogEntry

from kam.core.roles import Role
from kam.users.models import Department, Team, User
from kam.users.tests.factories import NotificationFactory

pytestmark = pytest.mark.django_db


def test_me_returns_the_signed_in_user(api_as: Any, org: Any) -> None:
    response = api_as(org.owner).get("/api/v1/users/me/")

    assert response.status_code == 200
    body = response.json()
    assert (body["username"], body["role"], body["team"]["name"]) == (
        "owner",
        "account_manager",
        "North",
    )
    assert response["ETag"] == f'"{org.owner.version}"'
    assert "password" not in body


def test_me_update_checks_the_version(api_as: Any, org: Any) -> None:
    client = api_as(org.owner)
    ok = client.patch(
        "/api/v1/users/me/",
        {"first_name": "Olga", "timezone": "Europe/Berlin", "version": org.owner.version},
    )
    stale = client.patch("/api/v1/users/me/", {"first_name": "Stale", "version": org.owner.version})

    assert ok.status_code == 200
    assert ok.json()["timezone"] == "Europe/Berlin"
    assert stale.status_code == 409
    assert User.objects.get(pk=org.owner.pk).first_name == "Olga"


def test_me_cannot_change_his_own_role(api_as: Any, org: Any) -> None:
    response = api_as(org.owner).patch("/api/v1/users/me/", {"role": "admin", "version": 1})

    assert response.status_code == 200
    assert User.objects.get(pk=org.owner.pk).role == Role.ACCOUNT_MANAGER


def test_me_rejects_an_unknown_time_zone(api_as: Any, org: Any) -> None:
    response = api_as(org.owner).patch(
        "/api/v1/users/me/", {"timezone": "Mars/Olympus", "version": org.owner.version}
    )

    assert response.status_code == 400
    assert response.json()["fields"] == {"timezone": ["Mars/Olympus is not a known time zone."]}


@pytest.mark.parametrize(
    ("role", "count"),
    [("owner", 1), ("lead", 1), ("sales_head", 12), ("auditor", 12), ("admin", 12)],
)
def test_user_list_is_for_those_who_see_everything(
    api_as: Any, org: Any, role: str, count: int
) -> None:
    response = api_as(getattr(org, role)).get("/api/v1/users/")

    assert response.status_code == 200
    assert response.json()["count"] == count


def test_user_list_answers_in_constant_queries(
    api_as: Any, org: Any, django_assert_max_num_queries: Any
) -> None:
    with django_assert_max_num_queries(3):
        assert api_as(org.admin).get("/api/v1/users/").json()["count"] == 12


def test_only_admin_creates_users(api_as: Any, org: Any) -> None:
    payload = {
        "username": "newbie",
        "role": "account_manager",
        "password": "Sturdy-pass-42",
        "team": org.north.pk,
    }

    refused = api_as(org.sales_head).post("/api/v1/users/", payload)
    created = api_as(org.admin).post("/api/v1/users/", payload)

    assert refused.status_code == 403
    assert created.status_code == 201
    assert created.json()["team"] == {"id": org.north.pk, "name": "North"}
    assert User.objects.get(username="newbie").check_password("Sturdy-pass-42")


def test_user_create_rejects_bad_role_and_duplicate_name(api_as: Any, org: Any) -> None:
    client = api_as(org.admin)

    bad_role = client.post(
        "/api/v1/users/", {"username": "x", "role": "boss", "password": "Sturdy-pass-42"}
    )
    duplicate = client.post(
        "/api/v1/users/", {"username": "OWNER", "role": "auditor", "password": "Sturdy-pass-42"}
    )
    no_password = client.post("/api/v1/users/", {"username": "nopass", "role": "auditor"})

    assert bad_role.status_code == 400
    assert list(bad_role.json()["fields"]) == ["role"]
    assert duplicate.status_code == 400
    assert duplicate.json()["fields"] == {"username": ["A user named 'OWNER' already exists."]}
    assert list(no_password.json()["fields"]) == ["password"]
    assert User.objects.filter(username="nopass").exists() is False


def test_deactivating_a_user_ends_his_tokens_and_sessions(
    api: Any, api_as: Any, org: Any, client: Any
) -> None:
    from kam.users.services import token_create

    token = token_create(user=org.owner)
    client.force_login(org.owner)
    assert client.get("/").status_code == 200

    response = api_as(org.admin).post(f"/api/v1/users/{org.owner.pk}/deactivate/")
    api.force_authenticate(user=None)

    assert response.status_code == 200
    assert response.json()["is_active"] is False
    assert api.get("/api/v1/users/me/", HTTP_AUTHORIZATION=f"Token {token}").status_code == 401
    assert client.get("/").status_code == 302


def test_token_authenticates_the_api(api: Any, org: Any) -> None:
    from kam.users.services import token_create

    token = token_create(user=org.kam)

    response = api.get("/api/v1/users/me/", HTTP_AUTHORIZATION=f"Token {token}")
    wrong = api.get("/api/v1/users/me/", HTTP_AUTHORIZATION="Token " + "0" * 64)

    assert response.json()["username"] == "kam"
    assert wrong.status_code == 401


def test_everyone_lists_teams_with_member_counts(api_as: Any, org: Any) -> None:
    response = api_as(org.staff).get("/api/v1/teams/")

    assert [(t["name"], t["member_count"]) for t in response.json()["results"]] == [
        ("North", 3),
        ("South", 2),
    ]


@pytest.mark.parametrize(
    ("role", "status"),
    [("owner", 403), ("auditor", 403), ("lead", 403), ("sales_head", 200), ("admin", 200)],
)
def test_team_update_is_for_head_of_sales_and_admin(
    api_as: Any, org: Any, role: str, status: int
) -> None:
    response = api_as(getattr(org, role)).patch(
        f"/api/v1/teams/{org.north.pk}/", {"name": "North-West", "version": org.north.version}
    )

    assert response.status_code == status
    expected = "North-West" if status == 200 else "North"
    assert Team.objects.get(pk=org.north.pk).name == expected


def test_team_stale_update_is_a_conflict(api_as: Any, org: Any) -> None:
    client = api_as(org.admin)
    client.patch(f"/api/v1/teams/{org.north.pk}/", {"name": "A", "version": 2})

    response = client.patch(f"/api/v1/teams/{org.north.pk}/", {"name": "B", "version": 2})

    assert response.status_code == 409
    assert response.json()["current"]["name"] == "A"


def test_team_name_must_be_unique_among_live_teams(api_as: Any, org: Any) -> None:
    client = api_as(org.admin)

    duplicate = client.post("/api/v1/teams/", {"name": "North"})
    client.delete(f"/api/v1/teams/{org.north.pk}/")
    recreated = client.post("/api/v1/teams/", {"name": "North"})

    assert duplicate.status_code == 400
    assert list(duplicate.json()["fields"]) == ["name"]
    assert recreated.status_code == 201
    assert Team.all_objects.filter(name="North").count() == 2


def test_department_crud_is_admin_only(api_as: Any, org: Any) -> None:
    refused = api_as(org.sales_head).post(
        "/api/v1/departments/", {"name": "Legal2", "kind": "legal"}
    )
    created = api_as(org.admin).post("/api/v1/departments/", {"name": "Legal2", "kind": "legal"})
    bad_kind = api_as(org.admin).post("/api/v1/departments/", {"name": "X", "kind": "space"})

    assert refused.status_code == 403
    assert created.status_code == 201
    assert bad_kind.status_code == 400
    assert Department.objects.filter(name="Legal2").count() == 1


def test_audit_entries_endpoint_filters_by_record(api_as: Any, org: Any) -> None:
    api_as(org.admin).patch(f"/api/v1/teams/{org.south.pk}/", {"name": "South-East", "version": 1})

    response = api_as(org.auditor).get(
        "/api/v1/audit-entries/", {"model": "users.team", "object_pk": str(org.south.pk)}
    )

    results = response.json()["results"]
    assert results[0]["action"] == "update"
    assert results[0]["actor"] == {"id": org.admin.pk, "username": "admin"}
    assert results[0]["changes"] == {"name": ["South", "South-East"]}


def test_audit_entries_show_a_manager_only_his_own_actions(api_as: Any, org: Any) -> None:
    api_as(org.admin).patch(f"/api/v1/teams/{org.south.pk}/", {"name": "South-East", "version": 1})

    response = api_as(org.owner).get("/api/v1/audit-entries/")

    assert response.json()["count"] == 0


def test_audit_entries_are_append_only(api_as: Any, org: Any) -> None:
    api_as(org.admin).patch(f"/api/v1/teams/{org.south.pk}/", {"name": "S", "version": 1})
    entry = LogEntry.objects.latest("pk")

    response = api_as(org.admin).delete(f"/api/v1/audit-entries/{entry.pk}/")

    assert response.status_code == 405
    assert LogEntry.objects.filter(pk=entry.pk).exists()


def test_notifications_are_private_and_can_be_marked_read(api_as: Any, org: Any) -> None:
    NotificationFactory.create_batch(2, recipient=org.owner)
    NotificationFactory(recipient=org.other)
    client = api_as(org.owner)

    assert client.get("/api/v1/notifications/").json()["count"] == 2
    assert client.post("/api/v1/notifications/mark-read/").status_code == 204
    assert org.owner.notifications.filter(read_at__isnull=True).count() == 0
    assert org.other.notifications.filter(read_at__isnull=True).count() == 1


def test_errors_share_one_json_shape(api: Any) -> None:
    response = api.get("/api/v1/teams/")

    assert response.status_code == 401
    assert set(response.json()) == {"code", "detail", "fields"}


def test_put_with_only_an_if_match_header_is_accepted(api_as: Any, org: Any) -> None:
    response = api_as(org.admin).put(
        f"/api/v1/teams/{org.south.pk}/", {"name": "South-West"}, HTTP_IF_MATCH='"1"'
    )

    assert response.status_code == 200
    assert response["ETag"] == '"2"'


def test_signing_in_does_not_make_open_edits_stale(client: Any, org: Any) -> None:
    before = User.objects.get(pk=org.owner.pk).version

    client.post("/login/", {"username": "owner", "password": "secret-pass-123"})

    after = User.objects.get(pk=org.owner.pk)
    assert after.last_login is not None
    assert after.version == before


def test_api_root_lists_every_resource(api_as: Any, org: Any) -> None:
    body = api_as(org.owner).get("/api/v1/").json()

    assert {
        "users",
        "teams",
        "departments",
        "notifications",
        "audit-entries",
        "accounts",
        "contacts",
    } <= set(body)


def test_unknown_api_paths_answer_the_json_error_shape(api_as: Any, org: Any) -> None:
    response = api_as(org.owner).get("/api/v1/no-such-thing/")

    assert response.status_code == 404
    assert response.json() == {
        "code": "not_found",
        "detail": "There is no such API endpoint.",
        "fields": {},
    }
