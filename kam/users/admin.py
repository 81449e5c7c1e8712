from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.http import HttpRequest

from kam.users.models import Department, Team, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):  # type: ignore[type-arg]
    """Users are deactivated (kam user deactivate), never deleted: the audit keeps them."""

    list_display = ["username", "email", "role", "team", "department", "is_active"]
    list_filter = ["role", "is_active", "team", "department"]
    fieldsets = (
        *BaseUserAdmin.fieldsets,  # type: ignore[misc]
        ("KAM", {"fields": ("role", "team", "department", "timezone", "language", "phone")}),
    )


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["name", "lead", "version"]


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["name", "kind", "email"]


def _no_hard_delete(model_admin: type[admin.ModelAdmin]) -> None:  # type: ignore[type-arg]
    """Deleting goes through the trash (or deactivation), never the admin's hard delete."""

    def has_delete_permission(self: Any, request: HttpRequest, obj: Any = None) -> bool:
        return False

    model_admin.has_delete_permission = has_delete_permission  # type: ignore[method-assign]


for _admin in (UserAdmin, TeamAdmin, DepartmentAdmin):
    _no_hard_delete(_admin)
