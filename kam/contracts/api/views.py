from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from kam.contracts import selectors, services
from kam.contracts.api import serializers as s
from kam.contracts.filters import ContractFilterSet, ObligationFilterSet
from kam.contracts.models import Contract, Obligation
from kam.contracts.permissions import access_contract
from kam.core import access
from kam.core.api.mixins import ETagMixin, VersionedUpdateMixin, etag
from kam.core.errors import PermissionDeniedError


def _values(serializer: Any) -> dict[str, Any]:
    values = dict(serializer.validated_data)
    values.pop("version", None)
    return values


class ContractViewSet(
    ETagMixin,
    VersionedUpdateMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Contracts the user may see (they inherit their account's access). Filters: status, kind,
    account, owner, ending_before, renewal_due, q; `ordering`. The status changes only through
    `transition`; `value` and `currency` are hidden from roles without confidential access."""

    serializer_class = s.ContractOutputSerializer
    update_serializer_class = s.ContractInputSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = ContractFilterSet

    def get_queryset(self) -> QuerySet[Contract]:
        return (
            selectors.contract_list(user=self.request.user)
            .select_related("successor")
            .prefetch_related("other_accounts", "client_signatories")
        )

    def apply_update(self, instance: Any, expected: int, changes: dict[str, Any]) -> Any:
        return services.contract_update(
            user=self.request.user, contract=instance, expected_version=expected, data=changes
        )

    @extend_schema(
        request=s.ContractCreateInputSerializer, responses={201: s.ContractOutputSerializer}
    )
    def create(self, request: Request) -> Response:
        data = s.ContractCreateInputSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        data.is_valid(raise_exception=True)
        contract = services.contract_create(user=request.user, data=_values(data))
        return Response(
            self.get_serializer(self.get_queryset().get(pk=contract.pk)).data,
            status=status.HTTP_201_CREATED,
            headers={"ETag": etag(contract.version)},
        )

    def perform_destroy(self, instance: Contract) -> None:
        services.contract_delete(user=self.request.user, contract=instance)

    @extend_schema(
        request=s.ContractTransitionInputSerializer, responses=s.ContractOutputSerializer
    )
    @action(detail=True, methods=["post"])
    def transition(self, request: Request, pk: str | None = None) -> Response:
        """Move the contract to another status. A refused move answers 400 with the reason
        (`code: transition_refused`, `detail`, `allowed`) and changes nothing."""
        contract = self.get_object()
        data = s.ContractTransitionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        moved = services.contract_transition(
            user=request.user,
            contract=contract,
            status=data.validated_data["status"],
            reason=data.validated_data["reason"],
            signed_on=data.validated_data.get("signed_on"),
            expected_version=data.validated_data.get("version"),
        )
        return Response(
            self.get_serializer(self.get_queryset().get(pk=moved.pk)).data,
            headers={"ETag": etag(moved.version)},
        )

    @extend_schema(
        request=s.ContractRenewInputSerializer, responses={201: s.ContractOutputSerializer}
    )
    @action(detail=True, methods=["post"])
    def renew(self, request: Request, pk: str | None = None) -> Response:
        """Renew the contract by a successor (a new draft contract continuing its dates, parties
        and open obligations); the old one becomes `renewed`. Answers the successor (201). A
        refusal answers 400 `transition_refused` and changes nothing."""
        contract = self.get_object()
        data = s.ContractRenewInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        successor = services.contract_renew(
            user=request.user,
            contract=contract,
            expected_version=data.validated_data.get("version"),
        )
        return Response(
            self.get_serializer(self.get_queryset().get(pk=successor.pk)).data,
            status=status.HTTP_201_CREATED,
            headers={"ETag": etag(successor.version)},
        )

    @extend_schema(responses=s.StatusChangeOutputSerializer(many=True))
    @action(detail=True, methods=["get"])
    def history(self, request: Request, pk: str | None = None) -> Response:
        """The contract's status changes and automatic renewals, newest first."""
        contract = self.get_object()
        changes = selectors.status_history(contract=contract)
        return Response(s.StatusChangeOutputSerializer(changes, many=True).data)


class ObligationViewSet(
    ETagMixin,
    VersionedUpdateMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Obligations of both sides: those of the contracts one may see, plus those assigned to
    one's department (department staff) or to oneself. Filters: contract, account, department,
    status, side, due_before. Editing needs the right to change the contract; `complete` (done,
    waived, or `open` to reopen) is open to whoever the obligation is assigned to."""

    serializer_class = s.ObligationOutputSerializer
    update_serializer_class = s.ObligationInputSerializer
    filter_backends = [DjangoFilterBackend]
    filterset_class = ObligationFilterSet

    def get_queryset(self) -> QuerySet[Obligation]:
        return selectors.obligation_list(user=self.request.user)

    def apply_update(self, instance: Any, expected: int, changes: dict[str, Any]) -> Any:
        changes.pop("contract", None)
        return services.obligation_update(
            user=self.request.user, obligation=instance, expected_version=expected, data=changes
        )

    @extend_schema(
        request=s.ObligationCreateInputSerializer, responses={201: s.ObligationOutputSerializer}
    )
    def create(self, request: Request) -> Response:
        if access.is_read_only(request.user):
            raise PermissionDeniedError()
        data = s.ObligationCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = _values(data)
        contract = access_contract(user=request.user, contract_id=values.pop("contract"))
        obligation = services.obligation_create(user=request.user, contract=contract, data=values)
        return Response(
            self.get_serializer(self.get_queryset().get(pk=obligation.pk)).data,
            status=status.HTTP_201_CREATED,
            headers={"ETag": etag(obligation.version)},
        )

    def perform_destroy(self, instance: Obligation) -> None:
        services.obligation_delete(user=self.request.user, obligation=instance)

    @extend_schema(
        request=s.ObligationCompleteInputSerializer, responses=s.ObligationOutputSerializer
    )
    @action(detail=True, methods=["post"])
    def complete(self, request: Request, pk: str | None = None) -> Response:
        """Mark the obligation done (default) or waived (a `note` says why); `open` reopens it."""
        obligation = self.get_object()
        data = s.ObligationCompleteInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        closed = services.obligation_close(
            user=request.user,
            obligation=obligation,
            status=data.validated_data["status"],
            note=data.validated_data["note"],
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=closed.pk)).data)
