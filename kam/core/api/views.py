from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework import mixins, viewsets

from kam.core.api.serializers import AuditEntryOutputSerializer
from kam.core.filters import AuditEntryFilterSet
from kam.core.selectors import audit_list


class AuditEntryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The audit trail (append-only): everything for head of sales, auditors and admins; one's
    own actions for everyone else."""

    serializer_class = AuditEntryOutputSerializer
    filterset_class = AuditEntryFilterSet
    ordering_fields = ["timestamp"]

    def get_queryset(self) -> QuerySet[Any]:
        return audit_list(user=self.request.user)
