from __future__ import annotations

from typing import Any, cast

from django.contrib.auth import get_user_model
from rest_framework import serializers

from kam.accounts.models import Account, Contact
from kam.sales.choices import ObjectionKind, Outcome, Priority
from kam.sales.models import Deal, Need, Objection, Pipeline, Stage


class StageOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Stage
        fields = [
            "id",
            "pipeline",
            "name",
            "position",
            "probability",
            "outcome",
            "requirements",
            "version",
        ]
        read_only_fields = fields


class StageInputSerializer(serializers.Serializer):
    pipeline = serializers.PrimaryKeyRelatedField(queryset=Pipeline.objects.all(), required=False)
    name = serializers.CharField(max_length=100, required=False)
    position = serializers.IntegerField(min_value=0, max_value=32767, required=False)
    probability = serializers.IntegerField(min_value=0, max_value=100, required=False)
    outcome = serializers.ChoiceField(choices=Outcome.choices, required=False)
    requirements = serializers.ListField(child=serializers.CharField(), required=False)
    version = serializers.IntegerField(required=False, min_value=1)


class PipelineOutputSerializer(serializers.ModelSerializer):
    stages = StageOutputSerializer(many=True, read_only=True)

    class Meta:
        model = Pipeline
        fields = ["id", "name", "description", "is_default", "stages", "version"]
        read_only_fields = fields


class PipelineInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    is_default = serializers.BooleanField(required=False)
    version = serializers.IntegerField(required=False, min_value=1)


class DealOutputSerializer(serializers.ModelSerializer):
    account_name = serializers.CharField(source="account.name", read_only=True)
    stage_name = serializers.CharField(source="stage.name", read_only=True)
    owner_name = serializers.CharField(source="owner.username", read_only=True)
    contacts: serializers.PrimaryKeyRelatedField[Contact] = serializers.PrimaryKeyRelatedField(
        many=True, read_only=True
    )

    class Meta:
        model = Deal
        fields = [
            "id",
            "title",
            "account",
            "account_name",
            "contacts",
            "pipeline",
            "stage",
            "stage_name",
            "status",
            "amount",
            "currency",
            "probability",
            "probability_overridden",
            "expected_close_date",
            "owner",
            "owner_name",
            "source",
            "products_of_interest",
            "next_step",
            "next_step_date",
            "lost_reason",
            "lost_to",
            "stage_entered_at",
            "closed_at",
            "notes",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class DealInputSerializer(serializers.ModelSerializer):
    """Shapes and types only; the service checks access, the pipeline's stages and the rules."""

    account = serializers.PrimaryKeyRelatedField(queryset=Account.objects.all(), required=False)
    contacts = serializers.PrimaryKeyRelatedField(
        queryset=Contact.objects.all(), many=True, required=False
    )
    owner = serializers.PrimaryKeyRelatedField(
        queryset=get_user_model().objects.all(), required=False
    )
    probability = serializers.IntegerField(
        min_value=0, max_value=100, required=False, allow_null=True
    )
    version = serializers.IntegerField(required=False, min_value=1)

    class Meta:
        model = Deal
        fields = [
            "title",
            "account",
            "contacts",
            "pipeline",
            "stage",
            "amount",
            "currency",
            "probability",
            "expected_close_date",
            "owner",
            "source",
            "products_of_interest",
            "next_step",
            "next_step_date",
            "lost_reason",
            "lost_to",
            "notes",
            "version",
        ]
        extra_kwargs = {
            "title": {"required": False},
            "pipeline": {"required": False},
            "stage": {"required": False},
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            # Accounts and contacts the user may not change answer like missing ones.
            user = request.user
            cast(Any, self.fields["account"]).queryset = Account.objects.visible_to(user, "change")
            contacts = Contact.objects.visible_to(user, "view")
            cast(Any, self.fields["contacts"]).child_relation.queryset = contacts

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if self.instance is None and not self.partial:
            missing = {
                name: ["This field is required."]
                for name in ("title", "account")
                if not attrs.get(name)
            }
            if missing:
                raise serializers.ValidationError(missing)
        return attrs


class MoveInputSerializer(serializers.Serializer):
    stage = serializers.PrimaryKeyRelatedField(queryset=Stage.objects.all())
    lost_reason = serializers.CharField(max_length=255, required=False, allow_blank=True)
    lost_to = serializers.CharField(max_length=255, required=False, allow_blank=True)
    version = serializers.IntegerField(required=False, min_value=1)


class NeedOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Need
        fields = ["id", "deal", "description", "priority", "products", "version", "created_at"]
        read_only_fields = fields


class _DealScopedInput(serializers.Serializer):
    """`deal` among the deals the user may change: others answer like missing ones."""

    deal = serializers.PrimaryKeyRelatedField(queryset=Deal.objects.all(), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            cast(Any, self.fields["deal"]).queryset = Deal.objects.visible_to(
                request.user, "change"
            )


class NeedInputSerializer(_DealScopedInput):
    description = serializers.CharField(required=False)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    products = serializers.CharField(required=False, allow_blank=True)
    version = serializers.IntegerField(required=False, min_value=1)


class ObjectionOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Objection
        fields = [
            "id",
            "deal",
            "kind",
            "description",
            "answer",
            "is_resolved",
            "resolved_at",
            "version",
            "created_at",
        ]
        read_only_fields = fields


class ObjectionInputSerializer(_DealScopedInput):
    kind = serializers.ChoiceField(choices=ObjectionKind.choices, required=False)
    description = serializers.CharField(required=False)
    answer = serializers.CharField(required=False, allow_blank=True)
    is_resolved = serializers.BooleanField(required=False)
    version = serializers.IntegerField(required=False, min_value=1)


class ResolveInputSerializer(serializers.Serializer):
    answer = serializers.CharField()
    version = serializers.IntegerField(required=False, min_value=1)


class ForecastLineSerializer(serializers.Serializer):
    key = serializers.CharField(allow_null=True)
    label = serializers.CharField()  # type: ignore[assignment]
    currency = serializers.CharField()
    deals = serializers.IntegerField()
    pipeline = serializers.DecimalField(max_digits=20, decimal_places=2)
    weighted = serializers.DecimalField(max_digits=20, decimal_places=2)
    won = serializers.DecimalField(max_digits=20, decimal_places=2)


class ForecastOutputSerializer(serializers.Serializer):
    won_since = serializers.DateField()
    months = ForecastLineSerializer(many=True)
    owners = ForecastLineSerializer(many=True)
    teams = ForecastLineSerializer(many=True)
    totals = ForecastLineSerializer(many=True)
