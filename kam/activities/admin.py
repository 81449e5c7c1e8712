"""Administrators tune the contact cadence per tier here; activities are edited in KAM."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from kam.activities.models import CadenceRule


@admin.register(CadenceRule)
class CadenceRuleAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["tier", "max_days_without_contact", "updated_at"]
    list_editable = ["max_days_without_contact"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # one rule per tier; a missing one falls back to the built-in default
