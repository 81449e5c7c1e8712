from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from kam.activities import choices, selectors, services
from kam.activities.api import serializers as s
from kam.activities.filters import ActivityFilterSet, TaskFilterSet
from kam.activities.models import Activity
from kam.core.api.mixins import ETagMixin, VersionedUpdateMixin, etag


class _ActivityBase(
    ETagMixin,
    VersionedUpdateMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = s.ActivityOutputSerializer
    create_serializer_class: Any = s.ActivityInputSerializer

    def get_queryset(self) -> QuerySet[Activity]:
        return selectors.activity_list(user=self.request.user)

    def creation_defaults(self) -> dict[str, Any]:
        return {}

    def apply_update(self, instance: Any, expected: int, changes: dict[str, Any]) -> Any:
        return services.activity_update(
            user=self.request.user, activity=instance, expected_version=expected, data=changes
        )

    def create(self, request: Request) -> Response:
        data = self.create_serializer_class(data=request.data)
        data.is_valid(raise_exception=True)
        values = {**dict(data.validated_data), **self.creation_defaults()}
        values.pop("version", None)
        activity = services.activity_create(user=request.user, data=values)
        return self._answer(activity, status.HTTP_201_CREATED)

    def perform_destroy(self, instance: Activity) -> None:
        services.activity_delete(user=self.request.user, activity=instance)

    def _answer(self, activity: Activity, code: int = status.HTTP_200_OK) -> Response:
        body = self.get_serializer(self.get_queryset().get(pk=activity.pk)).data
        return Response(body, status=code, headers={"ETag": etag(activity.version)})

    @extend_schema(request=s.CompleteInputSerializer, responses=s.ActivityOutputSerializer)
    @action(detail=True, methods=["post"])
    def complete(self, request: Request, pk: str | None = None) -> Response:
        """Mark a planned activity or an open task done, with an optional outcome."""
        data = s.CompleteInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        activity = services.activity_complete(
            user=request.user, activity=self.get_object(), **data.validated_data
        )
        return self._answer(activity)


class ActivityViewSet(_ActivityBase):
    """Calls, meetings, e-mails, chats, faxes, letters, notes, presentations and tasks, visible
    with their account (and to their owner and assignee). Filters: kind, status, account, deal,
    contact, owner, since/until (when it happened or is planned)."""

    update_serializer_class = s.ActivityInputSerializer
    filterset_class = ActivityFilterSet
    ordering_fields = ["occurred_at", "created_at", "updated_at"]

    @extend_schema(request=s.ActivityInputSerializer, responses={201: s.ActivityOutputSerializer})
    def create(self, request: Request) -> Response:
        return super().create(request)

    @extend_schema(request=None, responses=s.ActivityOutputSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str | None = None) -> Response:
        return self._answer(services.activity_cancel(user=request.user, activity=self.get_object()))

    @extend_schema(request=None, responses=s.ActivityOutputSerializer)
    @action(detail=True, methods=["post"])
    def reopen(self, request: Request, pk: str | None = None) -> Response:
        return self._answer(services.activity_reopen(user=request.user, activity=self.get_object()))


class TaskViewSet(_ActivityBase):
    """Tasks only: due date, priority, assignee, reminder. Filters: status, priority, assignee,
    account, deal, due_after/due_before, overdue."""

    update_serializer_class = s.TaskInputSerializer
    create_serializer_class = s.TaskInputSerializer
    filterset_class = TaskFilterSet
    ordering_fields = ["due_at", "priority", "created_at", "updated_at"]

    def get_queryset(self) -> QuerySet[Activity]:
        return selectors.activity_list(user=self.request.user).filter(kind=choices.Kind.TASK)

    def creation_defaults(self) -> dict[str, Any]:
        return {"kind": choices.Kind.TASK}

    @extend_schema(request=s.TaskInputSerializer, responses={201: s.ActivityOutputSerializer})
    def create(self, request: Request) -> Response:
        return super().create(request)
