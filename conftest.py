"""Shared fixtures: a user per role (with a team and a department), API clients, a frozen clock."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from rest_framework.test import APIClient

from kam.core.roles import Role
from kam.users.models import Department, Team, User
from kam.users.tests.factories import DepartmentFactory, TeamFactory, UserFactory

PASSWORD = "secret-pass-123"  # noqa: S105 - the factories' password


@dataclass
class Org:
    """Two sales teams (north led by `lead`, south), a logistics department, a user per role."""

    north: Team
    south: Team
    logistics: Department
    owner: User  # account manager in north
    lead: User  # leads north
    peer: User  # another account manager in north
    other: User  # account manager in south
    kam: User  # key-account manager in south
    sales_head: User
    auditor: User
    admin: User
    marketing: User
    service: User  # service agent in logistics
    staff: User  # department staff in logistics
    outsider: User  # department staff in another department


@pytest.fixture
def org(db: Any) -> Org:
    north, south = TeamFactory(name="North"), TeamFactory(name="South")
    logistics, legal = DepartmentFactory(name="Logistics"), DepartmentFactory(name="Legal")
    lead = UserFactory(username="lead", team=north)
    north.lead = lead
    north.save()
    return Org(
        north=north,
        south=south,
        logistics=logistics,
        owner=UserFactory(username="owner", team=north),
        lead=lead,
        peer=UserFactory(username="peer", team=north),
        other=UserFactory(username="other", team=south),
        kam=UserFactory(username="kam", team=south, role=Role.KEY_ACCOUNT_MANAGER),
        sales_head=UserFactory(username="head", role=Role.SALES_HEAD),
        auditor=UserFactory(username="auditor", role=Role.AUDITOR),
        admin=UserFactory(username="admin", role=Role.ADMIN),
        marketing=UserFactory(username="marketing", role=Role.MARKETING),
        service=UserFactory(username="service", role=Role.SERVICE_AGENT, department=logistics),
        staff=UserFactory(username="staff", role=Role.DEPARTMENT_STAFF, department=logistics),
        outsider=UserFactory(username="outsider", role=Role.DEPARTMENT_STAFF, department=legal),
    )


@pytest.fixture
def api() -> APIClient:
    return APIClient()


@pytest.fixture
def api_as(api: APIClient) -> Any:
    """`api_as(user)`: an API client authenticated as `user` (session-less, like a token)."""

    def login(user: User) -> APIClient:
        api.force_authenticate(user=user)
        return api

    return login
