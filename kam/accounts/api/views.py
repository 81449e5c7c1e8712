from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from kam.accounts import selectors, services
from kam.accounts.api import serializers as s
from kam.accounts.errors import AccountError
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
        tags = changes.pop("tags", None)
        return services.account_update(
            user=self.request.user,
            account=instance,
            expected_version=expected,
            data=changes,
            tags=tags,
        )

    @extend_schema(request=s.AccountInputSerializer, responses={201: s.AccountOutputSerializer})
    def create(self, request: Request) -> Response:
        data = s.AccountInputSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        values.pop("version", None)
        tags = values.pop("tags", None)
        account = services.account_create(user=request.user, data=values, tags=tags)
        return Response(
            self.get_serializer(self.get_queryset().get(pk=account.pk)).data,
            status=status.HTTP_201_CREATED,
        )

    def perform_destroy(self, instance: Account) -> None:
        services.account_delete(user=self.request.user, account=instance)

    @extend_schema(
        request=s.AddressInputSerializer,
        responses={
            200: s.AccountAddressSerializer,
            204: OpenApiResponse(description="Every part was blank: the address was removed."),
        },
    )
    @action(detail=True, methods=["put"], url_path=r"addresses/(?P<kind>[a-z]+)")
    def address(self, request: Request, pk: str | None = None, kind: str = "") -> Response:
        """Write the account's `legal`, `postal` or `delivery` address; all parts blank removes
        it. `updated_at` is the address's `updated_at` as you read it (null if it had none)."""
        data = s.AddressInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        expected = values.pop("updated_at")
        address = services.account_set_address(
            user=request.user,
            account=self.get_object(),
            kind=kind,
            data=values,
            expected_updated_at=expected,
        )
        if address is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(s.AccountAddressSerializer(address).data)

    @extend_schema(methods=["get"], request=None, responses=s.TeamMemberSerializer(many=True))
    @extend_schema(
        methods=["post"],
        request=s.TeamMemberInputSerializer,
        responses={200: s.TeamMemberSerializer, 201: s.TeamMemberSerializer},
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None)
    def team(self, request: Request, pk: str | None = None) -> Response:
        """The account team (the owner is not on it). POST adds a member, or changes the role
        of one already on it (200)."""
        account = self.get_object()
        if request.method == "GET":
            members = account.memberships.select_related("user").order_by("user__username", "pk")
            return Response(s.TeamMemberSerializer(members, many=True).data)
        data = s.TeamMemberInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        member = data.validated_data["user"]
        was_on_team = account.memberships.filter(user=member).exists()
        try:
            membership = services.account_team_add(
                user=request.user, account=account, member=member, role=data.validated_data["role"]
            )
        except AccountError as error:  # the service names the field `member`; here it is `user`
            error.fields = {"user" if k == "member" else k: v for k, v in error.fields.items()}
            raise
        return Response(
            s.TeamMemberSerializer(membership).data,
            status=status.HTTP_200_OK if was_on_team else status.HTTP_201_CREATED,
        )

    @extend_schema(request=None, responses={204: None})
    @action(detail=True, methods=["delete"], url_path=r"team/(?P<user_id>[0-9]+)")
    def team_member(self, request: Request, pk: str | None = None, user_id: str = "") -> Response:
        """Take a user off the account team (404 if he is not on it)."""
        services.account_team_remove(
            user=request.user, account=self.get_object(), member_id=int(user_id)
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


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
