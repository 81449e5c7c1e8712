from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from kam.accounts import selectors, services
from kam.accounts.api import serializers as s
from kam.accounts.filters import AccountFilterSet, ContactFilterSet
from kam.accounts.models import Account, Contact
from kam.core.api.mixins import ETagMixin, VersionedUpdateMixin


class AccountViewSet(
    ETagMixin,
    VersionedUpdateMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Client companies. Lists and details show only what the user may see; confidential fields
    (credit limit, payment terms) only to roles with the permission."""

    serializer_class = s.AccountOutputSerializer
    update_serializer_class = s.AccountInputSerializer
    filterset_class = AccountFilterSet
    ordering_fields = ["name", "created_at", "updated_at", "tier", "status"]

    def get_queryset(self) -> QuerySet[Account]:
        return selectors.account_list(user=self.request.user).prefetch_related("addresses")

    def apply_update(self, instance: Any, expected: int, changes: dict[str, Any]) -> Any:
        return services.account_update(
            user=self.request.user, account=instance, expected_version=expected, data=changes
        )

    @extend_schema(request=s.AccountInputSerializer, responses={201: s.AccountOutputSerializer})
    def create(self, request: Request) -> Response:
        data = s.AccountInputSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        values.pop("version", None)
        account = services.account_create(user=request.user, data=values)
        return Response(
            self.get_serializer(self.get_queryset().get(pk=account.pk)).data,
            status=status.HTTP_201_CREATED,
        )

    def perform_destroy(self, instance: Account) -> None:
        services.account_delete(user=self.request.user, account=instance)


class ContactViewSet(
    ETagMixin,
    VersionedUpdateMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """People at client companies; they inherit their account's access."""

    serializer_class = s.ContactOutputSerializer
    update_serializer_class = s.ContactInputSerializer
    filterset_class = ContactFilterSet
    ordering_fields = ["last_name", "created_at", "updated_at"]

    def get_queryset(self) -> QuerySet[Contact]:
        return selectors.contact_list(user=self.request.user).prefetch_related("consents")

    def apply_update(self, instance: Any, expected: int, changes: dict[str, Any]) -> Any:
        return services.contact_update(
            user=self.request.user, contact=instance, expected_version=expected, data=changes
        )

    @extend_schema(request=s.ContactInputSerializer, responses={201: s.ContactOutputSerializer})
    def create(self, request: Request) -> Response:
        data = s.ContactInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        values.pop("version", None)
        contact = services.contact_create(user=request.user, data=values)
        return Response(
            self.get_serializer(self.get_queryset().get(pk=contact.pk)).data,
            status=status.HTTP_201_CREATED,
        )

    def perform_destroy(self, instance: Contact) -> None:
        services.contact_delete(user=self.request.user, contact=instance)

    @extend_schema(request=s.ConsentInputSerializer, responses=s.ContactOutputSerializer)
    @action(detail=True, methods=["post"])
    def consent(self, request: Request, pk: str | None = None) -> Response:
        data = s.ConsentInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        contact = self.get_object()
        services.contact_set_consent(user=request.user, contact=contact, **data.validated_data)
        return Response(self.get_serializer(self.get_queryset().get(pk=contact.pk)).data)
