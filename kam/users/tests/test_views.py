"""Pages: sign-in (rate-limited), profile with optimistic locking, teams, users, notifications."""

from __future__ import annotations

from typing import Any

import pytest

from kam.users.models import User
from kam.users.tests.factories import NotificationFactory

pytestmark = pytest.mark.django_db
PASSWORD = "secret-pass-123"  # noqa: S105


def test_pages_require_sign_in(client: Any) -> None:
    for path in ["/", "/profile/", "/teams/", "/audit/", "/trash/", "/notifications/"]:
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"] == f"/login/?next={path}"


def test_sign_in_lands_on_home_and_sign_out_ends_the_session(client: Any, org: Any) -> None:
    response = client.post("/login/", {"username": "owner", "password": PASSWORD}, follow=True)

    assert response.redirect_chain == [("/", 302)]
    assert "Good to see you, Test" in response.content.decode()
    client.post("/logout/")
    assert client.get("/").status_code == 302


def test_wrong_password_keeps_the_username_and_says_why(client: Any, org: Any) -> None:
    response = client.post("/login/", {"username": "owner", "password": "nope"})

    page = response.content.decode()
    assert response.status_code == 200
    assert 'value="owner"' in page
    assert "Please enter a correct username and password" in page


def test_sign_in_is_locked_after_repeated_failures(client: Any, org: Any) -> None:
    for _ in range(5):
        client.post("/login/", {"username": "owner", "password": "wrong"})

    response = client.post("/login/", {"username": "owner", "password": PASSWORD})

    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert client.get("/").status_code == 302


def test_lockout_is_per_username(client: Any, org: Any) -> None:
    for _ in range(5):
        client.post("/login/", {"username": "owner", "password": "wrong"})

    response = client.post("/login/", {"username": "peer", "password": PASSWORD})

    assert response.status_code == 302


def test_profile_saves_with_the_version_read(client: Any, org: Any) -> None:
    client.force_login(org.owner)
    version = User.objects.get(pk=org.owner.pk).version

    response = client.post(
        "/profile/",
        {
            "first_name": "Olga",
            "last_name": "K",
            "email": "o@x.io",
            "phone": "",
            "timezone": "Europe/Moscow",
            "language": "ru",
            "version": version,
        },
    )

    assert response.status_code == 302
    saved = User.objects.get(pk=org.owner.pk)
    assert (saved.first_name, saved.timezone, saved.version) == (
        "Olga",
        "Europe/Moscow",
        version + 1,
    )


def test_profile_stale_form_shows_the_newer_values_and_keeps_the_input(
    client: Any, org: Any
) -> None:
    client.force_login(org.owner)
    stale = User.objects.get(pk=org.owner.pk).version
    User.objects.filter(pk=org.owner.pk).update(first_name="Newer", version=stale + 1)

    response = client.post(
        "/profile/",
        {
            "first_name": "Mine",
            "last_name": "K",
            "email": "",
            "phone": "",
            "timezone": "",
            "language": "",
            "version": stale,
        },
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "changed by someone else" in page
    assert "Newer" in page
    assert 'value="Mine"' in page
    assert User.objects.get(pk=org.owner.pk).first_name == "Newer"
    assert f'name="version" value="{stale + 1}"' in page  # saving again applies his values


def test_profile_field_errors_are_shown_per_field(client: Any, org: Any) -> None:
    client.force_login(org.owner)

    response = client.post(
        "/profile/",
        {
            "first_name": "A",
            "last_name": "",
            "email": "not-mail",
            "phone": "",
            "timezone": "Nowhere/City",
            "language": "",
            "version": org.owner.version,
        },
    )

    form = response.context["form"]
    assert sorted(form.errors) == ["email", "timezone"]
    assert 'aria-invalid="true"' in response.content.decode()


def test_team_pages_show_members_and_history(client: Any, org: Any) -> None:
    client.force_login(org.staff)

    listing = client.get("/teams/").content.decode()
    detail = client.get(f"/teams/{org.north.pk}/").content.decode()

    assert "North" in listing
    assert "South" in listing
    assert "Members" in detail
    assert str(org.peer) in detail
    assert client.get("/teams/999999/").status_code == 404


def test_user_directory_is_hidden_from_managers(client: Any, org: Any) -> None:
    client.force_login(org.owner)
    assert client.get("/users/").status_code == 404

    client.force_login(org.admin)
    response = client.get("/users/", {"q": "outsider"})
    assert [u.username for u in response.context["page"].object_list] == ["outsider"]


def test_notification_badge_counts_unread_and_mark_read_clears_it(client: Any, org: Any) -> None:
    NotificationFactory.create_batch(3, recipient=org.owner)
    client.force_login(org.owner)

    assert client.get("/").context["unread_count"] == 3
    client.post("/notifications/mark-read/")
    assert client.get("/").context["unread_count"] == 0


def test_home_costs_a_constant_number_of_queries(
    client: Any, org: Any, django_assert_max_num_queries: Any
) -> None:
    NotificationFactory.create_batch(20, recipient=org.owner)
    client.force_login(org.owner)

    with django_assert_max_num_queries(8):
        assert client.get("/").status_code == 200


def test_search_palette_finds_teams_and_people_for_admins(client: Any, org: Any) -> None:
    client.force_login(org.owner)
    manager_hits = client.get("/search/palette/", {"q": "nor"}).context["hits"]
    client.force_login(org.admin)
    admin_hits = client.get("/search/palette/", {"q": "outsider"}).context["hits"]

    assert [hit.title for hit in manager_hits] == ["North"]
    assert [hit.subtitle for hit in admin_hits] == ["Department staff"]
