"""Core pages: the audit trail, the trash, the search palette, the navigation."""

from __future__ import annotations

from typing import Any

import pytest

from kam.core.audit import acting_as
from kam.core.services import soft_delete, versioned_update
from tests.testapp.models import Record

pytestmark = pytest.mark.django_db


@pytest.fixture
def trashed(org: Any) -> Record:
    record = Record.objects.create(name="Acme", owner=org.owner)
    return soft_delete(instance=record, user=org.owner)


def test_trash_page_lets_the_owner_restore(client: Any, org: Any, trashed: Record) -> None:
    client.force_login(org.owner)

    page = client.get("/trash/").content.decode()
    response = client.post(f"/trash/testapp.record/{trashed.pk}/restore/", follow=True)

    assert "Acme" in page
    assert "Restored “Acme”." in response.content.decode()
    assert Record.objects.filter(pk=trashed.pk).exists()


def test_trash_actions_answer_404_to_those_who_may_not_see(
    client: Any, org: Any, trashed: Record
) -> None:
    client.force_login(org.other)

    assert "Acme" not in client.get("/trash/").content.decode()
    assert client.post(f"/trash/testapp.record/{trashed.pk}/restore/").status_code == 404
    assert client.post(f"/trash/testapp.record/{trashed.pk}/purge/").status_code == 404
    assert client.post("/trash/auth.nosuch/1/purge/").status_code == 404
    assert client.post("/trash/auth.user/1/purge/").status_code == 404
    assert Record.all_objects.get(pk=trashed.pk).deleted_at is not None


def test_owner_cannot_purge_but_admin_can(client: Any, org: Any, trashed: Record) -> None:
    client.force_login(org.owner)
    refused = client.post(f"/trash/testapp.record/{trashed.pk}/purge/", follow=True)
    assert "Only an administrator can purge the trash." in refused.content.decode()
    assert Record.all_objects.filter(pk=trashed.pk).exists()

    client.force_login(org.admin)
    client.post(f"/trash/testapp.record/{trashed.pk}/purge/")

    assert Record.all_objects.filter(pk=trashed.pk).exists() is False


def test_trash_restore_needs_post(client: Any, org: Any, trashed: Record) -> None:
    client.force_login(org.owner)

    assert client.get(f"/trash/testapp.record/{trashed.pk}/restore/").status_code == 405


def test_audit_page_lists_changes_and_filters_by_model(client: Any, org: Any) -> None:
    with acting_as(org.owner):
        record = Record.objects.create(name="Acme", owner=org.owner)
    versioned_update(
        instance=record, expected_version=1, changes={"name": "Acme Group"}, user=org.owner
    )
    client.force_login(org.auditor)

    page = client.get("/audit/", {"model": "testapp.record"}).content.decode()
    other = client.get("/audit/", {"model": "users.department"}, HTTP_HX_REQUEST="true")

    assert "Acme Group" in page
    assert "Acme Group" not in other.content.decode()
    assert "<html" not in other.content.decode()


def test_audit_page_costs_constant_queries(
    client: Any, org: Any, django_assert_max_num_queries: Any
) -> None:
    with acting_as(org.owner):
        for n in range(30):
            Record.objects.create(name=f"r{n}", owner=org.owner)
    client.force_login(org.auditor)

    with django_assert_max_num_queries(8):
        assert client.get("/audit/").status_code == 200


def test_search_palette_finds_pages(client: Any, org: Any) -> None:
    client.force_login(org.owner)

    pages = client.get("/search/palette/", {"q": "trash"})
    nothing = client.get("/search/palette/", {"q": "zzzz"})

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
