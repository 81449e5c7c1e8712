from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models

from kam.core.access import AccessSpec
from kam.core.models import SoftDeleteModel, live_unique
from kam.core.roles import Role


class Record(SoftDeleteModel):
    """Shaped like an account: an owner, an account team, a department, a confidential field."""

    name = models.CharField(max_length=100)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    team_members = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    department = models.ForeignKey(
        "users.Department", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    credit_limit = models.DecimalField(max_digits=12, decimal_places=2, default=0)

    access: ClassVar[AccessSpec] = AccessSpec(
        owner="owner",
        members="team_members",
        department="department",
        assignee="assignee",
        readable_by=frozenset({Role.MARKETING}),
        confidential=("credit_limit",),
    )

    class Meta:
        app_label = "testapp"
        constraints = [live_unique("name", name="testapp_record_name_live")]

    def __str__(self) -> str:
        return self.name


class Child(SoftDeleteModel):
    """Hangs off a Record and inherits its access (like a deal off an account)."""

    record = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="children")
    title = models.CharField(max_length=100)

    access: ClassVar[AccessSpec] = AccessSpec(via="record")

    class Meta:
        app_label = "testapp"

    def __str__(self) -> str:
        return self.title
