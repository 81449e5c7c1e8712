"""The private calendar feed token: issued, shown, regenerated and revoked (profile and API)."""

from __future__ import annotations

from typing import Any

import pytest
from auditlog.models import LogEntry

from kam.core.errors import PermissionDeniedError
from kam.users import services
from kam.users.errors import UserError
from kam.users.models import User

pytestmark = pytest.mark.django_db


def test_regenerate_issues_a_fresh_token_of_256_secret_bits(org: Any) -> None:
    first = services.calendar_feed_regenerate(user=org.owner, actor=org.owner)
    second = services.calendar_feed_regenerate(user=org.owner, actor=org.owner)

    stored = User.objects.get(pk=org.owner.pk)
    assert stored.calendar_feed_token == second != first
    assert len(second) == 16 + 43  # key (hex) + 32 random bytes, URL-safe base64
    assert stored.calendar_feed_key == second[:16]
    assert stored.version == org.owner.version  # not an edit of the profile: no conflict later


def test_revoke_removes_the_feed(org: Any) -> None:
    services.calendar_feed_regenerate(user=org.owner, actor=org.owner)

    assert services.calendar_feed_revoke(user=org.owner, actor=org.owner) is True
    assert services.calendar_feed_revoke(user=org.owner, actor=org.owner) is False
    stored = User.objects.get(pk=org.owner.pk)
    assert (stored.calendar_feed_token, stored.calendar_feed_path()) == (None, None)


def test_only_he_or_an_admin_manages_his_feed(org: Any) -> None:
    with pytest.raises(PermissionDeniedError):
        services.calendar_feed_regenerate(user=org.owner, actor=org.lead)
    with pytest.raises(PermissionDeniedError):
        services.calendar_feed_revoke(user=org.owner, actor=org.sales_head)

    assert services.calendar_feed_regenerate(user=org.owner, actor=org.admin)
    assert User.objects.get(pk=org.owner.pk).calendar_feed_token is not None


def test_a_deactivated_user_gets_no_feed_and_loses_his_own(org: Any) -> None:
    services.calendar_feed_regenerate(user=org.owner, actor=org.owner)

    services.user_deactivate(user=org.owner, actor=org.admin)

    stored = User.objects.get(pk=org.owner.pk)
    assert stored.calendar_feed_token is None
    with pytest.raises(UserError):
        services.calendar_feed_regenerate(user=stored, actor=org.admin)


def test_changes_are_audited_without_the_token(org: Any) -> None:
    token = services.calendar_feed_regenerate(user=org.owner, actor=org.owner)
    services.calendar_feed_revoke(user=org.owner, actor=org.owner)

    entries = LogEntry.objects.get_for_object(org.owner).order_by("pk")
    events = [e.additional_data for e in entries if e.additional_data]
    assert events == [
        {"event": "calendar_feed", "change": "regenerated"},
        {"event": "calendar_feed", "change": "revoked"},
    ]
    assert {e.actor_id for e in entries if e.additional_data} == {org.owner.pk}
    assert not any(token[16:] in str(e.changes) + str(e.additional_data) for e in entries)


def test_me_shows_the_absolute_feed_url_or_null(api_as: Any, org: Any) -> None:
    client = api_as(org.owner)
    assert client.get("/api/v1/users/me/").json()["calendar_feed_url"] is None

    created = client.post("/api/v1/users/me/calendar-feed/")

    token = User.objects.get(pk=org.owner.pk).calendar_feed_token
    assert created.status_code == 200
    assert created.json()["calendar_feed_url"] == f"http://testserver/calendar/{token}.ics"
    assert client.get("/api/v1/users/me/").json()["calendar_feed_url"].endswith(f"/{token}.ics")


def test_api_regenerate_replaces_and_delete_revokes(api_as: Any, org: Any, client: Any) -> None:
    api = api_as(org.owner)
    old = api.post("/api/v1/users/me/calendar-feed/").json()["calendar_feed_url"]
    new = api.post("/api/v1/users/me/calendar-feed/").json()["calendar_feed_url"]
    old_path, new_path = (url.removeprefix("http://testserver") for url in (old, new))
    assert old != new
    assert client.get(old_path).status_code == 404
    assert client.get(new_path).status_code == 200

    revoked = api.delete("/api/v1/users/me/calendar-feed/")

    assert revoked.status_code == 200
    assert revoked.json()["calendar_feed_url"] is None
    assert client.get(new_path).status_code == 404


def test_the_feed_url_is_shown_to_no_one_else(api_as: Any, org: Any) -> None:
    services.calendar_feed_regenerate(user=org.owner, actor=org.owner)

    as_admin = api_as(org.admin)
    listed = as_admin.get("/api/v1/users/", {"username": "owner"}).json()
    detail = as_admin.get(f"/api/v1/users/{org.owner.pk}/").json()

    assert "calendar_feed_url" not in str(listed)
    assert "calendar_feed_url" not in detail


def test_the_feed_endpoints_need_a_signed_in_user(api: Any) -> None:
    assert api.post("/api/v1/users/me/calendar-feed/").status_code == 401
    assert api.delete("/api/v1/users/me/calendar-feed/").status_code == 401


def test_profile_page_creates_shows_and_switches_off_the_feed(client: Any, org: Any) -> None:
    client.force_login(org.owner)
    assert "You have no calendar feed." in client.get("/profile/").content.decode()

    created = client.post("/profile/", {"calendar_feed": "regenerate"}, follow=True)

    token = User.objects.get(pk=org.owner.pk).calendar_feed_token
    assert f"http://testserver/calendar/{token}.ics" in created.content.decode()
    switched_off = client.post("/profile/", {"calendar_feed": "revoke"}, HTTP_HX_REQUEST="true")
    assert switched_off.status_code == 200
    assert "You have no calendar feed." in switched_off.content.decode()
    assert "switched off" in switched_off.content.decode()
    assert User.objects.get(pk=org.owner.pk).calendar_feed_token is None


def test_profile_refuses_an_unknown_feed_action(client: Any, org: Any) -> None:
    client.force_login(org.owner)

    response = client.post("/profile/", {"calendar_feed": "steal"})

    assert response.status_code == 400
    assert User.objects.get(pk=org.owner.pk).calendar_feed_token is None


def test_saving_the_profile_after_a_new_feed_is_no_conflict(client: Any, org: Any) -> None:
    client.force_login(org.owner)
    version = User.objects.get(pk=org.owner.pk).version
    client.post("/profile/", {"calendar_feed": "regenerate"})

    response = client.post(
        "/profile/",
        {
            "first_name": "Olga",
            "last_name": "Ivanova",
            "email": "",
            "phone": "",
            "timezone": "",
            "language": "",
            "version": version,
        },
    )

    assert response.status_code == 302
    assert User.objects.get(pk=org.owner.pk).first_name == "Olga"
