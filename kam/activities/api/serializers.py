from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from rest_framework import serializers

from kam.accounts.models import Account, Contact
from kam.activities.models import Activity
from kam.sales.models import Deal

OUTPUT_FIELDS = [
    "id",
    "kind",
    "account",
    "account_name",
    "deal",
    "contacts",
    "subject",
    "body",
    "status",
    "occurred_at",
    "ends_at",
    "owner",
    "direction",
    "duration_seconds",
    "outcome",
    "location",
    "agenda",
    "participants",
    "due_at",
    "priority",
    "assignee",
    "completed_at",
    "remind_at",
    "is_overdue",
    "version",
    "created_at",
    "updated_at",
]


class ActivityOutputSerializer(serializers.ModelSerializer):
    account_name = serializers.CharField(source="account.name", read_only=True)
    is_overdue = serializers.BooleanField(read_only=True)
    contacts: serializers.PrimaryKeyRelatedField[Contact] = serializers.PrimaryKeyRelatedField(
        many=True, read_only=True
    )
    participants: serializers.PrimaryKeyRelatedField[Any] = serializers.PrimaryKeyRelatedField(
        many=True, read_only=True
    )

    class Meta:
        model = Activity
        fields = OUTPUT_FIELDS
        read_only_fields = fields


class ActivityInputSerializer(serializers.ModelSerializer):
    """Shapes and types only; the service checks access, links and the rules of each kind."""

    account: serializers.PrimaryKeyRelatedField[Account] = serializers.PrimaryKeyRelatedField(
        queryset=Account.objects.all()
    )
    deal: serializers.PrimaryKeyRelatedField[Deal] = serializers.PrimaryKeyRelatedField(
        queryset=Deal.objects.all(), required=False, allow_null=True
    )
    contacts: serializers.PrimaryKeyRelatedField[Contact] = serializers.PrimaryKeyRelatedField(
        queryset=Contact.objects.all(), many=True, required=False
    )
    participants: serializers.PrimaryKeyRelatedField[Any] = serializers.PrimaryKeyRelatedField(
        queryset=get_user_model().objects.filter(is_active=True), many=True, required=False
    )
    version = serializers.IntegerField(required=False, min_value=1)

    class Meta:
        model = Activity
        fields = [
            "kind",
            "account",
            "deal",
            "contacts",
            "subject",
            "body",
            "status",
            "occurred_at",
            "ends_at",
            "owner",
            "direction",
            "duration_seconds",
            "outcome",
            "location",
            "agenda",
            "participants",
            "due_at",
            "priority",
            "assignee",
            "remind_at",
            "version",
        ]
        extra_kwargs = {"owner": {"required": False}, "kind": {"required": True}}


class TaskInputSerializer(ActivityInputSerializer):
    class Meta(ActivityInputSerializer.Meta):
        fields = [
            "account",
            "deal",
            "contacts",
            "subject",
            "body",
            "due_at",
            "priority",
            "assignee",
            "remind_at",
            "version",
        ]
        extra_kwargs = {"due_at": {"required": True, "allow_null": False}}


class CompleteInputSerializer(serializers.Serializer):  # type: ignore[type-arg]
    outcome = serializers.CharField(max_length=255, required=False, allow_blank=True)
