"""Likely duplicates of what a client is about to save: `GET /api/v1/accounts/duplicates/` and
`GET /api/v1/contacts/duplicates/`. Read-only; candidates are only what the user may see."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from kam.accounts import duplicates
from kam.accounts.permissions import access_account


class _ListField(serializers.CharField):
    """A comma- or semicolon-separated list in one query parameter."""

    def to_internal_value(self, data: Any) -> list[str]:  # type: ignore[override]
        text = super().to_internal_value(data)
        return [item.strip() for item in text.replace(";", ",").split(",") if item.strip()]


class _QuerySerializer(serializers.Serializer):  # type: ignore[type-arg]
    emails = _ListField(required=False, max_length=2000, help_text="Comma-separated e-mails.")
    phones = _ListField(required=False, max_length=2000, help_text="Comma-separated phones.")
    exclude = serializers.IntegerField(
        required=False, help_text="The id of the record being edited (not its own duplicate)."
    )
    limit = serializers.IntegerField(required=False, min_value=1, max_value=50, default=10)

    probe_fields: tuple[str, ...] = ()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not any(attrs.get(name) for name in self.probe_fields):
            raise serializers.ValidationError(
                {"non_field_errors": [f"Give at least one of: {', '.join(self.probe_fields)}."]}
            )
        return attrs


class AccountDuplicatesQuerySerializer(_QuerySerializer):
    name = serializers.CharField(required=False, max_length=255)
    website = serializers.CharField(required=False, max_length=255)
    tax_number = serializers.CharField(required=False, max_length=64)
    country = serializers.CharField(required=False, max_length=2)

    probe_fields = ("name", "website", "tax_number", "emails", "phones")


class ContactDuplicatesQuerySerializer(_QuerySerializer):
    first_name = serializers.CharField(required=False, max_length=100)
    last_name = serializers.CharField(required=False, max_length=100)
    account = serializers.IntegerField(required=False, help_text="The contact's account id.")

    probe_fields = ("last_name", "emails", "phones")


class ReasonSerializer(serializers.Serializer):  # type: ignore[type-arg]
    kind = serializers.CharField(help_text="name, similar_name, domain, tax, email or phone")
    value = serializers.CharField()


class _CandidateSerializer(serializers.Serializer):  # type: ignore[type-arg]
    id = serializers.IntegerField()
    score = serializers.IntegerField(help_text="0-100: how likely it is the same record.")
    reasons = ReasonSerializer(many=True)


class AccountCandidateSerializer(_CandidateSerializer):
    name = serializers.CharField(source="record.name")
    country = serializers.CharField(source="record.country")
    domain = serializers.CharField(source="record.domain")
    tax_number = serializers.CharField(source="record.tax_number")
    owner = serializers.CharField(source="record.owner.username")


class ContactCandidateSerializer(_CandidateSerializer):
    first_name = serializers.CharField(source="record.first_name")
    last_name = serializers.CharField(source="record.last_name")
    account = serializers.IntegerField(source="record.account_id")
    account_name = serializers.CharField(source="record.account.name")
    emails = serializers.ListField(child=serializers.CharField(), source="record.emails")
    phones = serializers.ListField(child=serializers.CharField(), source="record.phones")


class AccountDuplicatesSerializer(serializers.Serializer):  # type: ignore[type-arg]
    count = serializers.IntegerField()
    results = AccountCandidateSerializer(many=True)


class ContactDuplicatesSerializer(serializers.Serializer):  # type: ignore[type-arg]
    count = serializers.IntegerField()
    results = ContactCandidateSerializer(many=True)


class AccountDuplicatesViewSet(viewsets.ViewSet):
    """Accounts that look like the one described by the query, best first."""

    @extend_schema(
        parameters=[AccountDuplicatesQuerySerializer],
        responses=AccountDuplicatesSerializer,
    )
    def list(self, request: Request) -> Response:
        query = AccountDuplicatesQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = dict(query.validated_data)
        exclude, limit = data.pop("exclude", None), data.pop("limit")
        found = duplicates.find_account_duplicates(
            data, user=request.user, exclude_id=exclude, limit=limit
        )
        return Response(AccountDuplicatesSerializer({"count": len(found), "results": found}).data)


class ContactDuplicatesViewSet(viewsets.ViewSet):
    """Contacts that look like the one described by the query, best first."""

    @extend_schema(
        parameters=[ContactDuplicatesQuerySerializer],
        responses=ContactDuplicatesSerializer,
    )
    def list(self, request: Request) -> Response:
        query = ContactDuplicatesQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = dict(query.validated_data)
        exclude, limit = data.pop("exclude", None), data.pop("limit")
        if data.get("account") is not None:
            data["account"] = access_account(user=request.user, account_id=data["account"])
        found = duplicates.find_contact_duplicates(
            data, user=request.user, exclude_id=exclude, limit=limit
        )
        return Response(ContactDuplicatesSerializer({"count": len(found), "results": found}).data)
