from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from kam.core import access
from kam.core.api.mixins import ETagMixin, VersionedUpdateMixin, etag, expected_version
from kam.core.errors import PermissionDeniedError
from kam.sales import selectors, services
from kam.sales.api import serializers as s
from kam.sales.errors import SalesError
from kam.sales.filters import DealFilterSet, NeedFilterSet, ObjectionFilterSet
from kam.sales.models import Deal, Need, Objection, Pipeline, Stage


def _refuse_read_only(request: Request) -> None:
    if access.is_read_only(request.user):
        raise PermissionDeniedError()


class PipelineViewSet(
    ETagMixin,
    VersionedUpdateMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Pipelines, each with its ordered `stages`. Everyone reads; administrators create and edit
    (a new pipeline starts with a copy of the default cycle's stages unless `stages` are given)."""

    serializer_class = s.PipelineOutputSerializer
    update_serializer_class = s.PipelineInputSerializer
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[Pipeline]:
        return selectors.pipeline_list(user=self.request.user)

    def apply_update(self, instance: Any, expected: int, changes: dict[str, Any]) -> Any:
        return services.pipeline_update(
            user=self.request.user, pipeline=instance, expected_version=expected, data=changes
        )

    @extend_schema(request=s.PipelineInputSerializer, responses={201: s.PipelineOutputSerializer})
    def create(self, request: Request) -> Response:
        data = s.PipelineInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        pipeline = services.pipeline_create(
            user=request.user,
            name=data.validated_data.get("name", ""),
            description=data.validated_data.get("description", ""),
        )
        return Response(
            self.get_serializer(self.get_queryset().get(pk=pipeline.pk)).data,
            status=status.HTTP_201_CREATED,
        )


class StageViewSet(
    ETagMixin,
    VersionedUpdateMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Stages of the pipelines. Administrators add, rename, reorder (`position`), set the
    default probability and the entry `requirements` (keys of the registered stage checks)."""

    serializer_class = s.StageOutputSerializer
    update_serializer_class = s.StageInputSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_fields = ["pipeline", "outcome"]

    def get_queryset(self) -> QuerySet[Stage]:
        return Stage.objects.visible_to(self.request.user).order_by("pipeline", "position", "pk")

    def apply_update(self, instance: Any, expected: int, changes: dict[str, Any]) -> Any:
        changes.pop("pipeline", None)
        return services.stage_update(
            user=self.request.user, stage=instance, expected_version=expected, data=changes
        )

    @extend_schema(request=s.StageInputSerializer, responses={201: s.StageOutputSerializer})
    def create(self, request: Request) -> Response:
        data = s.StageInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        values.pop("version", None)
        pipeline = values.pop("pipeline", None)
        if pipeline is None:
            raise SalesError(fields={"pipeline": ["This field is required."]})
        stage = services.stage_create(user=request.user, pipeline=pipeline, data=values)
        return Response(self.get_serializer(stage).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance: Stage) -> None:
        services.stage_delete(user=self.request.user, stage=instance)


class DealViewSet(
    ETagMixin,
    VersionedUpdateMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Deals the user may see: his own, his accounts', his team's (a lead), all (head of sales,
    auditor, admin). Filters: pipeline, stage, status, owner, team, account, close_from,
    close_to, q; `ordering`. Stages change only through `move`."""

    serializer_class = s.DealOutputSerializer
    update_serializer_class = s.DealInputSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = DealFilterSet

    def get_queryset(self) -> QuerySet[Deal]:
        return selectors.deal_list(user=self.request.user).prefetch_related("contacts")

    def apply_update(self, instance: Any, expected: int, changes: dict[str, Any]) -> Any:
        return services.deal_update(
            user=self.request.user, deal=instance, expected_version=expected, data=changes
        )

    @extend_schema(request=s.DealInputSerializer, responses={201: s.DealOutputSerializer})
    def create(self, request: Request) -> Response:
        _refuse_read_only(request)
        data = s.DealInputSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        values.pop("version", None)
        deal = services.deal_create(user=request.user, data=values)
        return Response(
            self.get_serializer(self.get_queryset().get(pk=deal.pk)).data,
            status=status.HTTP_201_CREATED,
            headers={"ETag": etag(deal.version)},
        )

    def perform_destroy(self, instance: Deal) -> None:
        services.deal_delete(user=self.request.user, deal=instance)

    @extend_schema(request=s.MoveInputSerializer, responses=s.DealOutputSerializer)
    @action(detail=True, methods=["post"])
    def move(self, request: Request, pk: str | None = None) -> Response:
        """Move the deal to another stage of its pipeline. A refused move (a requirement not
        met, a stage of another pipeline, lost without a reason) answers 400 with the reason
        and changes nothing."""
        deal = self.get_object()
        data = s.MoveInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        moved = services.deal_move(
            user=request.user,
            deal=deal,
            stage=data.validated_data["stage"],
            lost_reason=data.validated_data.get("lost_reason", ""),
            lost_to=data.validated_data.get("lost_to", ""),
            expected_version=data.validated_data.get("version"),
        )
        return Response(
            self.get_serializer(self.get_queryset().get(pk=moved.pk)).data,
            headers={"ETag": etag(moved.version)},
        )


class NeedViewSet(
    ETagMixin,
    VersionedUpdateMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Needs recorded on deals (`?deal=` or `?account=`); they inherit the deal's access."""

    serializer_class = s.NeedOutputSerializer
    update_serializer_class = s.NeedInputSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = NeedFilterSet

    def get_queryset(self) -> QuerySet[Need]:
        return selectors.need_list(user=self.request.user)

    def apply_update(self, instance: Any, expected: int, changes: dict[str, Any]) -> Any:
        changes.pop("deal", None)
        return services.need_update(
            user=self.request.user, need=instance, expected_version=expected, data=changes
        )

    @extend_schema(request=s.NeedInputSerializer, responses={201: s.NeedOutputSerializer})
    def create(self, request: Request) -> Response:
        _refuse_read_only(request)
        data = s.NeedInputSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        values = data.validated_data
        _required(values, "deal", "description")
        need = services.need_create(
            user=request.user,
            deal=values["deal"],
            description=values["description"],
            priority=values.get("priority", "medium"),
            products=values.get("products", ""),
        )
        return Response(self.get_serializer(need).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance: Need) -> None:
        services.need_delete(user=self.request.user, need=instance)


class ObjectionViewSet(
    ETagMixin,
    VersionedUpdateMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Objections raised on deals (`?deal=`, `?account=`, `?kind=`, `?is_resolved=`);
    `POST .../resolve/` with the answer given resolves one."""

    serializer_class = s.ObjectionOutputSerializer
    update_serializer_class = s.ObjectionInputSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = ObjectionFilterSet

    def get_queryset(self) -> QuerySet[Objection]:
        return selectors.objection_list(user=self.request.user)

    def apply_update(self, instance: Any, expected: int, changes: dict[str, Any]) -> Any:
        changes.pop("deal", None)
        return services.objection_update(
            user=self.request.user, objection=instance, expected_version=expected, data=changes
        )

    @extend_schema(request=s.ObjectionInputSerializer, responses={201: s.ObjectionOutputSerializer})
    def create(self, request: Request) -> Response:
        _refuse_read_only(request)
        data = s.ObjectionInputSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        values = data.validated_data
        _required(values, "deal", "kind", "description")
        objection = services.objection_create(
            user=request.user,
            deal=values["deal"],
            kind=values["kind"],
            description=values["description"],
            answer=values.get("answer", ""),
        )
        return Response(self.get_serializer(objection).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance: Objection) -> None:
        services.objection_delete(user=self.request.user, objection=instance)

    @extend_schema(request=s.ResolveInputSerializer, responses=s.ObjectionOutputSerializer)
    @action(detail=True, methods=["post"])
    def resolve(self, request: Request, pk: str | None = None) -> Response:
        objection = self.get_object()
        data = s.ResolveInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        resolved = services.objection_resolve(
            user=request.user,
            objection=objection,
            answer=data.validated_data["answer"],
            expected_version=expected_version(request),
        )
        return Response(
            self.get_serializer(resolved).data, headers={"ETag": etag(resolved.version)}
        )


def _required(values: dict[str, Any], *names: str) -> None:
    missing = {name: ["This field is required."] for name in names if not values.get(name)}
    if missing:
        raise SalesError(fields=missing)


class ForecastView(APIView):
    """The weighted pipeline (sum of amount x probability / 100 of open deals) by month of
    expected close, by owner and by team, per currency, with the amounts won since `won_since`
    (default: 1 January) beside it. Takes the deal list's filters."""

    @extend_schema(
        parameters=[
            OpenApiParameter("won_since", OpenApiTypes.DATE, description="default: 1 January"),
            OpenApiParameter("pipeline", OpenApiTypes.INT),
            OpenApiParameter("owner", OpenApiTypes.INT),
            OpenApiParameter("team", OpenApiTypes.INT),
            OpenApiParameter("close_from", OpenApiTypes.DATE),
            OpenApiParameter("close_to", OpenApiTypes.DATE),
        ],
        responses=s.ForecastOutputSerializer,
    )
    def get(self, request: Request) -> Response:
        params = request.query_params.copy()
        raw_since = params.pop("won_since", [""])[0]
        try:
            won_since = date.fromisoformat(raw_since) if raw_since else None
        except ValueError:
            raise SalesError(fields={"won_since": ["Give a date as YYYY-MM-DD."]}) from None
        filters = DealFilterSet(params, queryset=selectors.deal_list(user=request.user))
        if not filters.is_valid():
            raise SalesError(fields={k: list(v) for k, v in filters.errors.items()})
        result = selectors.forecast(user=request.user, deals=filters.qs, won_since=won_since)
        return Response(
            {
                "won_since": result.won_since.isoformat(),
                "months": [line.as_dict() for line in result.months],
                "owners": [line.as_dict() for line in result.owners],
                "teams": [line.as_dict() for line in result.teams],
                "totals": [line.as_dict() for line in result.totals],
            }
        )
