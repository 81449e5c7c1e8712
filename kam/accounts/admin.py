"""Administrators define custom fields and tags here; business records are edited in KAM."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from kam.accounts.models import CustomField, Tag


@admin.register(CustomField)
class CustomFieldAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["label", "key", "applies_to", "field_type", "is_required"]
    list_filter = ["applies_to", "field_type"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # values stay readable in the records' history; retire by renaming


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["name", "created_at"]
    search_fields = ["name"]
