"""The access policy (DESIGN.md section 4) for every role against own, team and others' rows."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser

from kam.core import access
from kam.core.errors import NotFoundError, PermissionDeniedError
from tests.testapp.models import Child, Record

pytestmark = pytest.mark.django_db


@pytest.fixture
def rows(org: Any) -> dict[str, Record]:
    rows = {
        "own": Record.objects.create(name="own", owner=org.owner),
        "peer": Record.objects.create(name="peer", owner=org.peer),
        "south": Record.objects.create(name="south", owner=org.other),
        "dept": Record.objects.create(name="dept", owner=org.other, department=org.logistics),
        "assigned": Record.objects.create(name="assigned", owner=org.other, assignee=org.outsider),
    }
    rows["peer"].team_members.add(org.kam, org.other)  # shared with two people: no duplicates
    for row in rows.values():
        Child.objects.create(record=row, title=f"child of {row.name}")
    return rows


ALL = {"own", "peer", "south", "dept", "assigned"}
VIEW = {
    "owner": {"own"},
    "peer": {"peer"},
    "lead": {"own", "peer"},
    "other": {"peer", "south", "dept", "assigned"},
    "kam": {"peer"},
    "sales_head": ALL,
    "auditor": ALL,
    "admin": ALL,
    "marketing": ALL,
    "service": {"dept"},
    "staff": {"dept"},
    "outsider": {"assigned"},
}
CHANGE = {**VIEW, "auditor": set(), "marketing": set()}
DELETE = {
    **{role: set() for role in VIEW},
    "owner": {"own"},
    "peer": {"peer"},
    "lead": {"own", "peer"},
    "other": {"south", "dept", "assigned"},
    "sales_head": ALL,
    "admin": ALL,
}


def names(queryset: Any) -> list[str]:
    return sorted(queryset.values_list("name", flat=True))


@pytest.mark.parametrize(
    ("action", "expected"), [("view", VIEW), ("change", CHANGE), ("delete", DELETE)]
)
@pytest.mark.parametrize("role", sorted(VIEW))
def test_every_role_sees_exactly_its_rows(
    org: Any, rows: Any, role: str, action: str, expected: dict[str, set[str]]
) -> None:
    user = getattr(org, role)

    visible = Record.objects.visible_to(user, action)

    assert names(visible) == sorted(expected[role])
    assert visible.count() == len(expected[role])


@pytest.mark.parametrize("role", sorted(VIEW))
def test_children_inherit_their_parents_access(org: Any, rows: Any, role: str) -> None:
    user = getattr(org, role)

    titles = sorted(Child.objects.visible_to(user).values_list("title", flat=True))

    assert titles == sorted(f"child of {name}" for name in VIEW[role])


def test_anonymous_and_deactivated_users_see_nothing(org: Any, rows: Any) -> None:
    org.owner.is_active = False
    org.owner.save()

    assert names(Record.objects.visible_to(AnonymousUser())) == []
    assert names(Record.objects.visible_to(org.owner)) == []


def test_a_lead_of_a_deleted_team_loses_its_rows(org: Any, rows: Any) -> None:
    from kam.core.services import soft_delete

    soft_delete(instance=org.north, user=org.admin)
    lead = type(org.lead).objects.get(pk=org.lead.pk)

    assert names(Record.objects.visible_to(lead)) == []


def test_access_grants_add_up_for_a_member_who_also_owns(org: Any, rows: Any) -> None:
    rows["south"].team_members.add(org.owner)

    assert names(Record.objects.visible_to(org.owner)) == ["own", "south"]


def test_get_for_answers_not_found_for_invisible_and_missing_rows(org: Any, rows: Any) -> None:
    with pytest.raises(NotFoundError):
        access.get_for(org.owner, Record.objects.all(), rows["south"].pk)
    with pytest.raises(NotFoundError):
        access.get_for(org.owner, Record.objects.all(), 10**9)
    with pytest.raises(NotFoundError):
        access.get_for(org.owner, Record.objects.all(), "not-a-number")


def test_get_for_refuses_an_action_on_a_visible_row(org: Any, rows: Any) -> None:
    with pytest.raises(PermissionDeniedError):
        access.get_for(org.auditor, Record.objects.all(), rows["own"].pk, "change")
    with pytest.raises(PermissionDeniedError):
        access.get_for(org.kam, Record.objects.all(), rows["peer"].pk, "delete")

    assert access.get_for(org.kam, Record.objects.all(), rows["peer"].pk, "change") == rows["peer"]


def test_failed_access_attempts_on_existing_rows_are_audited(org: Any, rows: Any) -> None:
    from auditlog.models import LogEntry

    denials = LogEntry.objects.filter(action=LogEntry.Action.ACCESS)
    with pytest.raises(NotFoundError):
        access.get_for(org.owner, Record.objects.all(), rows["south"].pk)
    with pytest.raises(PermissionDeniedError):
        access.get_for(org.auditor, Record.objects.all(), rows["own"].pk, "change")
    with pytest.raises(NotFoundError):
        access.get_for(org.owner, Record.objects.all(), 10**9)  # nothing there: nothing to record
    with pytest.raises(NotFoundError):
        access.get_for(org.owner, Record.objects.all(), "not-a-number")

    entries = list(denials.order_by("pk"))
    assert [(e.actor, e.object_pk, e.additional_data) for e in entries] == [
        (org.owner, str(rows["south"].pk), {"event": "access_denied", "action": "view"}),
        (org.auditor, str(rows["own"].pk), {"event": "access_denied", "action": "change"}),
    ]
    # Successful reads leave no trace.
    access.get_for(org.owner, Record.objects.all(), rows["own"].pk)
    assert denials.count() == 2


def test_rows_in_the_trash_are_hidden_from_everyone(org: Any, rows: Any) -> None:
    from kam.core.services import soft_delete

    soft_delete(instance=rows["own"], user=org.owner)

    assert "own" not in names(Record.objects.visible_to(org.admin))
    assert "own" not in names(Record.objects.visible_to(org.owner))
    assert Record.all_objects.filter(name="own").count() == 1


@pytest.mark.parametrize(
    ("role", "sees"),
    [
        ("owner", True),
        ("kam", True),
        ("sales_head", True),
        ("auditor", True),
        ("admin", True),
        ("marketing", False),
        ("service", False),
        ("staff", False),
    ],
)
def test_confidential_fields_only_for_roles_with_the_permission(
    org: Any, role: str, sees: bool
) -> None:
    hidden = access.hidden_fields(getattr(org, role), Record)

    assert hidden == (() if sees else ("credit_limit",))


def test_unknown_action_is_a_programming_error(org: Any) -> None:
    with pytest.raises(ValueError, match="unknown action"):
        access.visible_q(org.owner, Record, "purge")  # type: ignore[arg-type]


def test_visible_to_costs_one_query_per_list(
    org: Any, rows: Any, django_assert_num_queries: Any
) -> None:
    user = type(org.lead).objects.get(pk=org.lead.pk)
    with django_assert_num_queries(2):  # the lead's team members, then the rows
        assert len(list(Record.objects.visible_to(user))) == 2
    with django_assert_num_queries(1):  # team members are cached on the user for the request
        assert len(list(Record.objects.visible_to(user, "change"))) == 2
