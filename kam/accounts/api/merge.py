"""Merge endpoints and the duplicates review list.

`POST /api/v1/accounts/{id}/merge/` and `POST /api/v1/contacts/{id}/merge/` merge the `loser`
into the record in the path (the survivor) and answer the survivor;
`GET /api/v1/duplicate-pairs/?target=accounts|contacts` lists likely duplicate pairs.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from kam.accounts import merge, selectors, selectors_duplicates
from kam.accounts.api import serializers as s
from kam.accounts.models import Account, Contact
from kam.core.api.mixins import etag, expected_version
from kam.core.errors import PreconditionRequiredError
from kam.core.pagination import PageNumberPagination


class MergeInputSerializer(serializers.Serializer):  # type: ignore[type-arg]
    loser = serializers.IntegerField(help_text="The id of the record merged away (trashed).")
    # DRF's metaclass takes declared fields off the class, so `fields` does not shadow `.fields`.
    fields = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ChoiceField(choices=list(merge.CHOICES)),
        required=False,
        default=dict,
        help_text='Per field, whose value survives: "survivor" (the default), "loser", or '
        '"union" for lists (e-mails, phones) and custom fields.',
    )
    version = serializers.IntegerField(
        min_value=1, required=False, help_text="The survivor's version you last read."
    )
    loser_version = serializers.IntegerField(
        min_value=1, required=False, help_text="The loser's version you last read."
    )


def _versions(request: Request, data: dict[str, Any]) -> dict[str, int]:
    """Both versions the client last read: a merge never runs on values nobody saw."""
    if data.get("loser_version") is None:
        raise PreconditionRequiredError(
            fields={"loser_version": ["Send the loser's version you last read."]}
        )
    return {"survivor": expected_version(request), "loser": data["loser_version"]}


class _MergeViewSet(viewsets.GenericViewSet):  # type: ignore[type-arg]
    """POST .../{id}/merge/: merge the `loser` named in the body into record {id}."""

    model: type[Account] | type[Contact]

    def merge_records(self, **kwargs: Any) -> Any:
        raise NotImplementedError

    def merge(self, request: Request, pk: str) -> Response:
        data = MergeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        versions = _versions(request, data.validated_data)
        survivor, loser = (
            merge.merge_candidate(user=request.user, queryset=self.model.objects.all(), pk=key)
            for key in (pk, data.validated_data["loser"])
        )
        merged = self.merge_records(
            user=request.user,
            survivor=survivor,
            loser=loser,
            field_choices=data.validated_data["fields"],
            expected_versions=versions,
        )
        output = self.get_serializer(self.get_queryset().get(pk=merged.pk))
        return Response(output.data, headers={"ETag": etag(merged.version)})


class AccountMergeViewSet(_MergeViewSet):
    """Merge a duplicate account into this one: every related row moves, the loser goes to the
    trash, the audit keeps its values. 404 if either is not visible, 409 if either is stale."""

    model = Account
    serializer_class = s.AccountOutputSerializer

    def get_queryset(self) -> QuerySet[Account]:
        return selectors.account_list(user=self.request.user).prefetch_related("addresses")

    def merge_records(self, **kwargs: Any) -> Any:
        return merge.account_merge(**kwargs)

    @extend_schema(request=MergeInputSerializer, responses=s.AccountOutputSerializer)
    def merge(self, request: Request, pk: str) -> Response:
        return super().merge(request, pk)


class ContactMergeViewSet(_MergeViewSet):
    """Merge a duplicate contact into this one (the same rules as accounts)."""

    model = Contact
    serializer_class = s.ContactOutputSerializer

    def get_queryset(self) -> QuerySet[Contact]:
        return selectors.contact_list(user=self.request.user).prefetch_related("consents")

    def merge_records(self, **kwargs: Any) -> Any:
        return merge.contact_merge(**kwargs)

    @extend_schema(request=MergeInputSerializer, responses=s.ContactOutputSerializer)
    def merge(self, request: Request, pk: str) -> Response:
        return super().merge(request, pk)


class DuplicateRecordSerializer(serializers.Serializer):  # type: ignore[type-arg]
    id = serializers.IntegerField()
    name = serializers.CharField(source="__str__")
    version = serializers.IntegerField()
    owner = serializers.IntegerField(source="owner_id", allow_null=True)


class DuplicatePairOutputSerializer(serializers.Serializer):  # type: ignore[type-arg]
    first = DuplicateRecordSerializer()
    second = DuplicateRecordSerializer()
    score = serializers.IntegerField(help_text="0-100, from the kinds of keys the two share.")
    matched_on = serializers.ListField(
        child=serializers.ChoiceField(choices=selectors_duplicates.Kind.choices),
        help_text="The kinds of keys the two share (name, domain, tax, email, phone).",
    )
    can_merge = serializers.BooleanField(help_text="Whether you may change both.")


class DuplicatePairPagination(PageNumberPagination):
    django_paginator_class = selectors_duplicates.PairPaginator


class DuplicatePairViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):  # type: ignore[type-arg]
    """Likely duplicate pairs across the records you may see, best first."""

    serializer_class = DuplicatePairOutputSerializer
    pagination_class = DuplicatePairPagination
    filter_backends: list[Any] = []

    def get_queryset(self) -> Any:
        target = self.request.query_params.get("target", "accounts")
        if target not in selectors_duplicates.TARGETS:
            raise serializers.ValidationError({"target": ['Choose "accounts" or "contacts".']})
        return selectors_duplicates.duplicate_pairs(user=self.request.user, target=target)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "target",
                OpenApiTypes.STR,
                enum=list(selectors_duplicates.TARGETS),
                description="Which records: accounts (the default) or contacts.",
            )
        ]
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)
