from __future__ import annotations

from typing import Any

from rest_framework import mixins, serializers, viewsets
from rest_framework.routers import DefaultRouter

from kam.core.api.mixins import ConfidentialFieldsMixin, ETagMixin, VersionedUpdateMixin
from kam.core.services import soft_delete, versioned_update
from tests.testapp.models import Record


class RecordSerializer(ConfidentialFieldsMixin, serializers.ModelSerializer):
    class Meta:
        model = Record
        fields = ["id", "name", "credit_limit", "version"]
        read_only_fields = ["id", "version"]


class RecordUpdateSerializer(ConfidentialFieldsMixin, serializers.ModelSerializer):
    version = serializers.IntegerField(required=False)

    class Meta:
        model = Record
        fields = ["name", "credit_limit", "version"]


class RecordViewSet(
    ETagMixin,
    VersionedUpdateMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = RecordSerializer
    update_serializer_class = RecordUpdateSerializer

    def get_queryset(self) -> Any:
        return Record.objects.visible_to(self.request.user).order_by("pk")

    def apply_update(self, instance: Any, expected: int, changes: dict[str, Any]) -> Any:
        from kam.core.access import get_for

        get_for(self.request.user, Record.objects.all(), instance.pk, "change")
        return versioned_update(
            instance=instance, expected_version=expected, changes=changes, user=self.request.user
        )

    def perform_destroy(self, instance: Record) -> None:
        soft_delete(instance=instance, user=self.request.user)


router = DefaultRouter()
router.register("records", RecordViewSet, basename="record")
