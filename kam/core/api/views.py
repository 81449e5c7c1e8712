from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import api_view, permission_classes
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

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


@extend_schema(exclude=True)
@api_view(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"])
@permission_classes([AllowAny])
def api_not_found(request: Request, *args: Any, **kwargs: Any) -> Response:
    """Unknown API paths answer the JSON error shape, not an HTML page."""
    raise NotFound("There is no such API endpoint.")
