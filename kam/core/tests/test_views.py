"""Core pages: the audit trail, the trash, the search palette."""

from __future__ import annotations

from typing import Any

import pytest

from kam.core.services import soft_delete
from kam.users.models import Team

pytestmark = pytest.mark.django_db


def test_trash_page_restores_for_an_admin(client: Any, org: Any) -> None:
    soft_delete(instance=org.south, user=org.admin)
    client.force_login(org.admin)

    page = client.get("/trash/").content.decode()
    response = client.post(f"/trash/users.team/{org.south.pk}/restore/", follow=True)

    assert "South" in page
    assert "Restored “South”." in response.content.decode()
    assert Team.objects.filter(pk=org.south.pk).exists()


def test_trash_actions_answer_404_to_those_who_may_not_see(client: Any, org: Any) -> None:
    soft_delete(instance=org.south, user=org.admin)
    client.force_login(org.owner)

    assert "South" not in client.get("/trash/").content.decode()
    assert client.post(f"/trash/users.team/{org.south.pk}/restore/").status_code == 404
    assert client.post(f"/trash/users.team/{org.south.pk}/purge/").status_code == 404
    assert client.post("/trash/auth.nosuch/1/purge/").status_code == 404
    assert Team.all_objects.get(pk=org.south.pk).deleted_at is not None


def test_purge_from_the_trash_page(client: Any, org: Any) -> None:
    soft_delete(instance=org.south, user=org.admin)
    client.force_login(org.admin)

    client.post(f"/trash/users.team/{org.south.pk}/purge/")

    assert Team.all_objects.filter(pk=org.south.pk).exists() is False


def test_trash_restore_needs_post(client: Any, org: Any) -> None:
    soft_delete(instance=org.south, user=org.admin)
    client.force_login(org.admin)

    assert client.get(f"/trash/users.team/{org.south.pk}/restore/").status_code == 405


def test_audit_page_lists_changes_and_filters_by_model(client: Any, org: Any) -> None:
    from kam.users.services import team_update

    team_update(team=org.south, expected_version=1, changes={"name": "South-East"}, actor=org.admin)
    client.force_login(org.auditor)

    page = client.get("/audit/", {"model": "users.team"}).content.decode()
    empty = client.get("/audit/", {"model": "users.department"}, HTTP_HX_REQUEST="true")

    assert "South-East" in page
    assert "South-East" not in empty.content.decode()
    assert "<html" not in empty.content.decode()


def test_search_palette_finds_teams_and_pages(client: Any, org: Any) -> None:
    client.force_login(org.owner)

    teams = client.get("/search/palette/", {"q": "nor"})
    pages = client.get("/search/palette/", {"q": "trash"})
    nothing = client.get("/search/palette/", {"q": "zzzz"})

    assert [hit.title for hit in teams.context["hits"]] == ["North"]
    assert [str(item.label) for item in pages.context["nav"]] == ["Trash"]
    assert "Nothing found for “zzzz”." in nothing.content.decode()


def test_navigation_shows_admin_sections_only_to_admins(client: Any, org: Any) -> None:
    client.force_login(org.owner)
    manager_nav = [item.key for item in client.get("/").context["kam_nav"]]
    client.force_login(org.admin)
    admin_nav = [item.key for item in client.get("/").context["kam_nav"]]

    assert "users" not in manager_nav
    assert "users" in admin_nav
    assert manager_nav[0] == "home"
