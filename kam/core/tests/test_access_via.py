"""Rows that inherit their access from a parent (`AccessSpec(via=...)`).

The rule is "the row's FK is one of the parents the user may see, or the row's own owner /
assignee / department grant it"; it is written as a sub-select of the visible parent ids so the
database uses the FK index instead of joining the parent for every row. These tests pin the
behaviour (per role and action, single-row checks, trashed parents, via-of-via) and the shape of
the query (no join to the parent in the outer query).
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.apps import apps

from kam.core import access
from kam.core.services import soft_delete
from kam.core.tests.test_access import CHANGE, DELETE, VIEW
from tests.testapp.models import Child, Record

pytestmark = pytest.mark.django_db


@pytest.fixture
def children(org: Any) -> dict[str, Child]:
    records = {
        "own": Record.objects.create(name="own", owner=org.owner),
        "peer": Record.objects.create(name="peer", owner=org.peer),
        "south": Record.objects.create(name="south", owner=org.other),
        "dept": Record.objects.create(name="dept", owner=org.other, department=org.logistics),
        "assigned": Record.objects.create(name="assigned", owner=org.other, assignee=org.outsider),
    }
    records["peer"].team_members.add(org.kam, org.other)
    return {
        name: Child.objects.create(record=record, title=f"child of {name}")
        for name, record in records.items()
    }


def outer_from_clause(queryset: Any) -> str:
    """The outer query up to its WHERE (sub-selects of the rule come after it)."""
    return str(queryset.query).split(" WHERE ", 1)[0]


def titles(queryset: Any) -> list[str]:
    return sorted(queryset.values_list("title", flat=True))


@pytest.mark.parametrize(
    ("action", "expected"), [("view", VIEW), ("change", CHANGE), ("delete", DELETE)]
)
@pytest.mark.parametrize("role", sorted(VIEW))
def test_children_follow_their_parent_for_every_role_and_action(
    org: Any, children: Any, role: str, action: str, expected: dict[str, set[str]]
) -> None:
    user = getattr(org, role)

    visible = Child.objects.visible_to(user, action)

    assert titles(visible) == sorted(f"child of {name}" for name in expected[role])
    assert visible.count() == len(expected[role])


@pytest.mark.parametrize("action", ["view", "change", "delete"])
@pytest.mark.parametrize("role", sorted(VIEW))
def test_single_row_checks_agree_with_the_list(
    org: Any, children: Any, role: str, action: Any
) -> None:
    user = getattr(org, role)
    expected = {"view": VIEW, "change": CHANGE, "delete": DELETE}[action][role]

    allowed = {name for name, child in children.items() if access.can(user, child, action)}

    assert allowed == expected


def test_the_outer_query_does_not_join_the_parent(org: Any, children: Any) -> None:
    user = type(org.lead).objects.get(pk=org.lead.pk)  # owner, led members, shares: every grant
    queryset = Child.objects.visible_to(user)

    assert " JOIN " not in outer_from_clause(queryset)
    assert titles(queryset) == ["child of own", "child of peer"]


def test_a_parent_in_the_trash_still_lends_its_access(org: Any, children: Any) -> None:
    soft_delete(instance=children["own"].record, user=org.owner)

    assert titles(Child.objects.visible_to(org.owner)) == ["child of own"]
    assert titles(Child.objects.visible_to(org.peer)) == ["child of peer"]


def test_a_row_in_the_trash_is_hidden_even_when_its_parent_is_visible(
    org: Any, children: Any
) -> None:
    soft_delete(instance=children["own"], user=org.owner)

    assert titles(Child.objects.visible_to(org.owner)) == []
    assert titles(Child.objects.visible_to(org.admin)) == sorted(
        f"child of {name}" for name in ("peer", "south", "dept", "assigned")
    )


def test_a_child_list_costs_one_query_whatever_its_size(
    org: Any, children: Any, django_assert_num_queries: Any
) -> None:
    user = type(org.lead).objects.get(pk=org.lead.pk)
    for n in range(20):
        Child.objects.create(record=children["own"].record, title=f"more {n:02d}")
    led_ids = access.led_member_ids(user)  # cached on the user, as in a request
    assert sorted(led_ids) == sorted([org.owner.pk, org.lead.pk, org.peer.pk])

    with django_assert_num_queries(1):
        rows = list(Child.objects.visible_to(user))

    assert len(rows) == 22


# --- via of via: an order line inherits from its order, which inherits from its account -------


@pytest.fixture
def orders(org: Any) -> dict[str, Any]:
    """Two accounts (the owner's, the other manager's), an order of each manager on each."""
    Account = apps.get_model("accounts", "Account")  # noqa: N806 (core may not import apps)
    Order = apps.get_model("orders", "Order")  # noqa: N806
    OrderLine = apps.get_model("orders", "OrderLine")  # noqa: N806
    Product = apps.get_model("catalog", "Product")  # noqa: N806
    product = Product.objects.create(
        sku="SKU-VIA", name="Widget", list_price=Decimal("10.00"), vat_rate=Decimal("20.00")
    )
    accounts = {
        "mine": Account.objects.create(name="Mine", owner=org.owner),
        "theirs": Account.objects.create(name="Theirs", owner=org.other),
    }
    made: dict[str, Any] = {}
    for account_key, account in accounts.items():
        for who in ("owner", "other"):
            user = getattr(org, who)
            order = Order.objects.create(
                number=f"VIA-{account_key}-{who}",
                account=account,
                owner=user,
                created_by=user,
                total_net=Decimal("10.00"),
                total_tax=Decimal("2.00"),
                promised_date=datetime.date(2026, 12, 10),
            )
            OrderLine.objects.create(
                order=order,
                product=product,
                quantity=Decimal("1"),
                unit_price=Decimal("10.00"),
                total_net=Decimal("10.00"),
                total_tax=Decimal("2.00"),
                promised_date=datetime.date(2026, 12, 10),
            )
            made[f"{account_key}/{who}"] = order
    return made


def order_numbers_of_visible_lines(user: Any, action: Any = "view") -> list[str]:
    OrderLine = apps.get_model("orders", "OrderLine")  # noqa: N806
    lines = access.scope(OrderLine.objects.all(), user, action)
    return sorted(lines.values_list("order__number", flat=True))


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        # the owner's account (both orders on it) and his own order on someone else's account
        ("owner", ["VIA-mine-other", "VIA-mine-owner", "VIA-theirs-owner"]),
        ("lead", ["VIA-mine-other", "VIA-mine-owner", "VIA-theirs-owner"]),
        ("other", ["VIA-mine-other", "VIA-theirs-other", "VIA-theirs-owner"]),
        ("peer", []),
        ("staff", []),
        (
            "sales_head",
            ["VIA-mine-other", "VIA-mine-owner", "VIA-theirs-other", "VIA-theirs-owner"],
        ),
        ("auditor", ["VIA-mine-other", "VIA-mine-owner", "VIA-theirs-other", "VIA-theirs-owner"]),
    ],
)
def test_order_lines_inherit_through_the_order_and_its_account(
    org: Any, orders: Any, role: str, expected: list[str]
) -> None:
    assert order_numbers_of_visible_lines(getattr(org, role)) == expected


def test_order_lines_follow_the_actions_of_their_order(org: Any, orders: Any) -> None:
    assert order_numbers_of_visible_lines(org.auditor, "change") == []
    assert order_numbers_of_visible_lines(org.other, "delete") == [
        "VIA-mine-other",
        "VIA-theirs-other",
        "VIA-theirs-owner",
    ]


def test_order_lines_query_joins_neither_order_nor_account(org: Any, orders: Any) -> None:
    OrderLine = apps.get_model("orders", "OrderLine")  # noqa: N806
    queryset = access.scope(OrderLine.objects.order_by(), org.owner)  # (Meta.ordering joins)

    assert " JOIN " not in outer_from_clause(queryset)
    assert queryset.count() == 3
