from __future__ import annotations

from typing import Any

from auditlog.models import LogEntry
from rest_framework import serializers

from kam.core import access


class AuditEntryOutputSerializer(serializers.ModelSerializer):
    action = serializers.SerializerMethodField()
    model = serializers.SerializerMethodField()
    actor = serializers.SerializerMethodField()
    changes = serializers.SerializerMethodField()

    class Meta:
        model = LogEntry
        fields = [
            "id",
            "timestamp",
            "action",
            "model",
            "object_pk",
            "object_repr",
            "actor",
            "changes",
            "remote_addr",
            "additional_data",
        ]
        read_only_fields = fields

    def get_action(self, entry: LogEntry) -> str:
        return {0: "create", 1: "update", 2: "delete", 3: "access"}.get(entry.action, "other")

    def get_model(self, entry: LogEntry) -> str:
        return f"{entry.content_type.app_label}.{entry.content_type.model}"

    def get_actor(self, entry: LogEntry) -> dict[str, Any] | None:
        if entry.actor is None:
            return None
        return {"id": entry.actor.pk, "username": entry.actor.get_username()}

    def get_changes(self, entry: LogEntry) -> dict[str, Any]:
        changes = entry.changes if isinstance(entry.changes, dict) else {}
        model = entry.content_type.model_class()
        request = self.context.get("request")
        hidden = set(access.hidden_fields(request.user, model)) if request and model else set()
        return {
            field: values if isinstance(values, dict) else list(values)  # m2m changes are dicts
            for field, values in changes.items()
            if field not in hidden
        }
