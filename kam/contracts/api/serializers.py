from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from rest_framework import serializers

from kam.contracts import choices
from kam.contracts.models import Contract, ContractStatusChange, Obligation
from kam.core.api.mixins import ConfidentialFieldsMixin

_CONTRACT_OUTPUT = [
    "id",
    "number",
    "kind",
    "title",
    "status",
    "account",
    "account_name",
    "other_accounts",
    "our_signatory",
    "client_signatories",
    "owner",
    "owner_name",
    "start_date",
    "end_date",
    "signed_on",
    "value",
    "currency",
    "deal",
    "agreement",
    "predecessor",
    "successor",
    "is_auto_renewal",
    "renewal_term_months",
    "notice_period_days",
    "notice_date",
    "has_referral_clause",
    "referral_terms",
    "notes",
    "allowed_statuses",
    "version",
    "created_at",
    "updated_at",
]


class ContractOutputSerializer(ConfidentialFieldsMixin, serializers.ModelSerializer):
    """A contract; `value` and `currency` only for roles that may see confidential fields."""

    account_name = serializers.CharField(source="account.name", read_only=True)
    owner_name = serializers.CharField(source="owner.username", read_only=True)
    other_accounts: serializers.PrimaryKeyRelatedField[Any] = serializers.PrimaryKeyRelatedField(
        many=True, read_only=True
    )
    client_signatories: serializers.PrimaryKeyRelatedField[Any] = (
        serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    )
    allowed_statuses = serializers.ListField(
        child=serializers.ChoiceField(choices=choices.ContractStatus.choices), read_only=True
    )
    successor: serializers.PrimaryKeyRelatedField[Any] = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True
    )

    class Meta:
        model = Contract
        fields = _CONTRACT_OUTPUT
        read_only_fields = fields


class ContractInputSerializer(ConfidentialFieldsMixin, serializers.Serializer):  # type: ignore[type-arg]
    """Shapes and types only; the service resolves the accounts (404 when one cannot see them),
    contacts and deal, and checks the rules."""

    number = serializers.CharField(max_length=32, required=False, allow_blank=True)
    kind = serializers.ChoiceField(choices=choices.ContractKind.choices, required=False)
    title = serializers.CharField(max_length=255, required=False)
    account = serializers.IntegerField(required=False)
    other_accounts = serializers.ListField(child=serializers.IntegerField(), required=False)
    our_signatory = serializers.IntegerField(required=False, allow_null=True)
    client_signatories = serializers.ListField(child=serializers.IntegerField(), required=False)
    owner = serializers.IntegerField(required=False)
    start_date = serializers.DateField(required=False)
    end_date = serializers.DateField(required=False, allow_null=True)
    signed_on = serializers.DateField(required=False, allow_null=True)
    value = serializers.DecimalField(max_digits=14, decimal_places=2, required=False, min_value=0)
    currency = serializers.CharField(max_length=3, min_length=3, required=False)
    deal = serializers.IntegerField(required=False, allow_null=True)
    agreement = serializers.IntegerField(required=False, allow_null=True)
    is_auto_renewal = serializers.BooleanField(required=False)
    renewal_term_months = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=120
    )
    notice_period_days = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=3650
    )
    has_referral_clause = serializers.BooleanField(required=False)
    referral_terms = serializers.CharField(required=False, allow_blank=True)
    notes = serializers.CharField(required=False, allow_blank=True)
    version = serializers.IntegerField(required=False, min_value=1)

    class Meta:
        model = Contract

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        start, end = attrs.get("start_date"), attrs.get("end_date")
        if start and end and end < start:
            raise serializers.ValidationError(
                {"end_date": ["The end date cannot be before the start date."]}
            )
        return attrs


class ContractCreateInputSerializer(ContractInputSerializer):
    kind = serializers.ChoiceField(choices=choices.ContractKind.choices)
    title = serializers.CharField(max_length=255)
    account = serializers.IntegerField()
    start_date = serializers.DateField()


class ContractTransitionInputSerializer(serializers.Serializer):  # type: ignore[type-arg]
    status = serializers.CharField(max_length=32)
    reason = serializers.CharField(required=False, allow_blank=True, default="")
    signed_on = serializers.DateField(required=False, allow_null=True)
    version = serializers.IntegerField(required=False, min_value=1)


class ContractRenewInputSerializer(serializers.Serializer):  # type: ignore[type-arg]
    version = serializers.IntegerField(required=False, min_value=1)


class StatusChangeOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = ContractStatusChange
        fields = ["id", "event", "from_status", "to_status", "reason", "changed_at", "changed_by"]
        read_only_fields = fields


class ObligationOutputSerializer(serializers.ModelSerializer):
    """An obligation with its contract's header (number, title, account): department staff see
    it without seeing the contract itself, and never its value."""

    contract_number = serializers.CharField(source="contract.number", read_only=True)
    contract_title = serializers.CharField(source="contract.title", read_only=True)
    account = serializers.IntegerField(source="contract.account_id", read_only=True)
    account_name = serializers.CharField(source="contract.account.name", read_only=True)
    is_overdue = serializers.BooleanField(read_only=True)

    class Meta:
        model = Obligation
        fields = [
            "id",
            "contract",
            "contract_number",
            "contract_title",
            "account",
            "account_name",
            "side",
            "description",
            "due_date",
            "department",
            "contact",
            "assignee",
            "status",
            "is_overdue",
            "closed_at",
            "closed_by",
            "closing_note",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ObligationInputSerializer(serializers.Serializer):  # type: ignore[type-arg]
    contract = serializers.IntegerField(required=False)
    side = serializers.ChoiceField(choices=choices.Side.choices, required=False)
    description = serializers.CharField(max_length=2000, required=False)
    due_date = serializers.DateField(required=False, allow_null=True)
    department = serializers.IntegerField(required=False, allow_null=True)
    contact = serializers.IntegerField(required=False, allow_null=True)
    assignee = serializers.PrimaryKeyRelatedField(
        queryset=get_user_model().objects.filter(is_active=True), required=False, allow_null=True
    )
    version = serializers.IntegerField(required=False, min_value=1)


class ObligationCreateInputSerializer(ObligationInputSerializer):
    contract = serializers.IntegerField()
    side = serializers.ChoiceField(choices=choices.Side.choices)
    description = serializers.CharField(max_length=2000)


class ObligationCompleteInputSerializer(serializers.Serializer):  # type: ignore[type-arg]
    status = serializers.ChoiceField(
        choices=choices.ObligationStatus.choices, default=choices.ObligationStatus.DONE
    )
    note = serializers.CharField(required=False, allow_blank=True, default="")
