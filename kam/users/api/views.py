from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from kam.core import access
from kam.core.api.mixins import ETagMixin, VersionedUpdateMixin, etag, expected_version
from kam.core.services import soft_delete
from kam.users import selectors, services
from kam.users.api import serializers as s
from kam.users.models import Department, Team, User


class UserViewSet(
    ETagMixin,
    VersionedUpdateMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Users: the full list for administrators (and roles that see everything); `me` for all."""

    serializer_class = s.UserOutputSerializer
    update_serializer_class = s.UserAdminUpdateInputSerializer
    filterset_fields = ["role", "team", "department", "is_active"]
    ordering_fields = ["username", "last_name", "date_joined"]

    def get_queryset(self) -> QuerySet[User]:
        return selectors.user_list(user=self.request.user)

    def apply_update(self, instance: Any, expected: int, changes: dict[str, Any]) -> Any:
        return services.user_update(
            user=instance, expected_version=expected, changes=changes, actor=self.request.user
        )

    @extend_schema(request=s.UserCreateInputSerializer, responses={201: s.UserOutputSerializer})
    def create(self, request: Request) -> Response:
        data = s.UserCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user, _ = services.user_create(actor=request.user, **data.validated_data)
        return Response(s.UserOutputSerializer(user).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.UserMeUpdateInputSerializer, responses=s.UserMeOutputSerializer)
    @action(detail=False, methods=["get", "patch"], url_path="me")
    def me(self, request: Request) -> Response:
        user = User.objects.select_related("team", "department").get(pk=request.user.pk or 0)
        if request.method == "PATCH":
            data = s.UserMeUpdateInputSerializer(data=request.data, partial=True)
            data.is_valid(raise_exception=True)
            changes = {k: v for k, v in data.validated_data.items() if k != "version"}
            user = services.user_update(
                user=user,
                expected_version=expected_version(request),
                changes=changes,
                actor=request.user,
            )
        return Response(
            s.UserMeOutputSerializer(user, context={"request": request}).data,
            headers={"ETag": etag(user.version)},
        )

    @extend_schema(
        request=None,
        responses={200: s.UserMeOutputSerializer},
        description=(
            "POST: a new private calendar feed address (the old one stops working); "
            "DELETE: no feed at all (`calendar_feed_url` becomes null)."
        ),
    )
    @action(detail=False, methods=["post", "delete"], url_path="me/calendar-feed")
    def calendar_feed(self, request: Request) -> Response:
        user = User.objects.select_related("team", "department").get(pk=request.user.pk or 0)
        if request.method == "POST":
            services.calendar_feed_regenerate(user=user, actor=request.user)
        else:
            services.calendar_feed_revoke(user=user, actor=request.user)
        return Response(s.UserMeOutputSerializer(user, context={"request": request}).data)

    @extend_schema(request=None, responses=s.UserOutputSerializer)
    @action(detail=True, methods=["post"])
    def deactivate(self, request: Request, pk: str | None = None) -> Response:
        user = services.user_deactivate(user=self.get_object(), actor=request.user)
        return Response(s.UserOutputSerializer(user).data)


class TeamViewSet(
    ETagMixin,
    VersionedUpdateMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = s.TeamOutputSerializer
    update_serializer_class = s.TeamUpdateInputSerializer
    ordering_fields = ["name", "created_at"]
    filterset_fields = ["lead"]

    def get_queryset(self) -> QuerySet[Team]:
        return selectors.team_list(user=self.request.user)

    def apply_update(self, instance: Any, expected: int, changes: dict[str, Any]) -> Any:
        return services.team_update(
            team=instance, expected_version=expected, changes=changes, actor=self.request.user
        )

    @extend_schema(request=s.TeamInputSerializer, responses={201: s.TeamOutputSerializer})
    def create(self, request: Request) -> Response:
        data = s.TeamInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        team = services.team_create(actor=request.user, **data.validated_data)
        return Response(
            self.get_serializer(self.get_queryset().get(pk=team.pk)).data,
            status=status.HTTP_201_CREATED,
        )

    def perform_destroy(self, instance: Team) -> None:
        soft_delete(instance=instance, user=self.request.user)


class DepartmentViewSet(
    ETagMixin,
    VersionedUpdateMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = s.DepartmentOutputSerializer
    update_serializer_class = s.DepartmentUpdateInputSerializer
    ordering_fields = ["name", "kind"]
    filterset_fields = ["kind"]

    def get_queryset(self) -> QuerySet[Department]:
        return selectors.department_list(user=self.request.user)

    def apply_update(self, instance: Any, expected: int, changes: dict[str, Any]) -> Any:
        return services.department_update(
            department=instance,
            expected_version=expected,
            changes=changes,
            actor=self.request.user,
        )

    @extend_schema(
        request=s.DepartmentInputSerializer, responses={201: s.DepartmentOutputSerializer}
    )
    def create(self, request: Request) -> Response:
        data = s.DepartmentInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        department = services.department_create(actor=request.user, **data.validated_data)
        return Response(self.get_serializer(department).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance: Department) -> None:
        if not access.can_administer(self.request.user):
            from kam.core.errors import PermissionDeniedError

            raise PermissionDeniedError("Only an administrator can delete departments.")
        soft_delete(instance=instance, user=self.request.user)


class NotificationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = s.NotificationOutputSerializer

    def get_queryset(self) -> QuerySet[Any]:
        return selectors.notification_list(user=self.request.user)

    @extend_schema(request=None, responses={204: None})
    @action(detail=False, methods=["post"], url_path="mark-read")
    def mark_read(self, request: Request) -> Response:
        services.notifications_mark_read(user=self.request.user)  # type: ignore[arg-type]
        return Response(status=status.HTTP_204_NO_CONTENT)
