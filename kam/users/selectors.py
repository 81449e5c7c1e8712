from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet

from kam.core import access
from kam.users.models import Department, Notification, Team, User


def user_list(*, user: Any) -> QuerySet[User]:
    """All users for administrators and those who see everything; otherwise oneself only."""
    users = User.objects.select_related("team", "department").order_by("username")
    if access.sees_all(user):
        return users
    if not access.is_active_user(user):
        return users.none()
    return users.filter(pk=user.pk)


def team_list(*, user: Any) -> QuerySet[Team]:
    return (
        Team.objects.visible_to(user)
        .select_related("lead")
        .annotate(member_count=Count("members", filter=Q(members__is_active=True)))
        .order_by("name")
    )


def department_list(*, user: Any) -> QuerySet[Department]:
    return Department.objects.visible_to(user).order_by("name")


def notification_list(*, user: Any) -> QuerySet[Notification]:
    if not access.is_active_user(user):
        return Notification.objects.none()
    return Notification.objects.filter(recipient=user).order_by("-created_at", "-pk")


def unread_notification_count(*, user: Any) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()
