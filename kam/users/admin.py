from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from kam.users.models import Department, Team, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):  # type: ignore[type-arg]
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
