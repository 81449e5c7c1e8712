"""The outreach tables admins manage on the admin site."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import models
from django.http import HttpRequest

from kam.core.roles import Role
from kam.outreach.models import ChatProvider

# --- delivery ---------------------------------------------------------------------------------


def _is_admin(request: HttpRequest) -> bool:
    user: Any = request.user
    return bool(user.is_active and (user.is_superuser or getattr(user, "role", "") == Role.ADMIN))


@admin.register(ChatProvider)
class ChatProviderAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Only admins see or set where chat and SMS messages are posted (the URL is validated to
    be http or https by the model)."""

    list_display = ["name", "url", "is_active", "updated_at"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _is_admin(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_admin(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return _is_admin(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_admin(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_admin(request)
