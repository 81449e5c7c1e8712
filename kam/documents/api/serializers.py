from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from kam.accounts.models import Account, Contact
from kam.core import access
from kam.documents import choices
from kam.documents.models import Document, DocumentVersion


class VersionOutputSerializer(serializers.ModelSerializer):
    uploaded_by = serializers.CharField(source="uploaded_by.username", read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = DocumentVersion
        fields = [
            "number",
            "filename",
            "content_type",
            "size",
            "sha256",
            "comment",
            "uploaded_by",
            "created_at",
            "download_url",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.URI)
    def get_download_url(self, version: DocumentVersion) -> str:
        path = reverse("document-download-version", args=[version.document_id, version.number])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class DocumentOutputSerializer(serializers.ModelSerializer):
    content_type = serializers.SerializerMethodField()
    created_by = serializers.CharField(source="created_by.username", read_only=True)
    current_version = VersionOutputSerializer(read_only=True)

    class Meta:
        model = Document
        fields = [
            "id",
            "content_type",
            "object_id",
            "kind",
            "title",
            "number",
            "date",
            "direction",
            "register_number",
            "registered_at",
            "correspondent_account",
            "correspondent_contact",
            "template_key",
            "current_version",
            "created_by",
            "created_at",
            "updated_at",
            "version",
        ]
        read_only_fields = fields

    def get_content_type(self, document: Document) -> str:
        return f"{document.content_type.app_label}.{document.content_type.model}"


class DocumentDetailOutputSerializer(DocumentOutputSerializer):
    versions = VersionOutputSerializer(many=True, read_only=True)

    class Meta(DocumentOutputSerializer.Meta):
        fields = [*DocumentOutputSerializer.Meta.fields, "versions"]
        read_only_fields = fields


class _VisibleRelated(serializers.IntegerField):
    """An id of a row the requesting user may see (else "Not found.", the same for missing)."""

    def __init__(self, model: Any, **kwargs: Any) -> None:
        self.model = model
        super().__init__(min_value=1, allow_null=True, required=False, **kwargs)

    def to_internal_value(self, data: Any) -> Any:
        pk = super().to_internal_value(data)
        user = self.context["request"].user
        row = self.model.objects.filter(access.visible_q(user, self.model), pk=pk).first()
        if row is None:
            raise serializers.ValidationError(_("Not found."))
        return row


class DocumentCreateInputSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """Multipart: the record (`content_type` "app_label.model", `object_id`), the metadata and
    the `file`. The service checks the record's access and the file's content."""

    content_type = serializers.CharField(max_length=100)
    object_id = serializers.IntegerField(min_value=1)
    kind = serializers.ChoiceField(choices=choices.Kind.choices)
    title = serializers.CharField(max_length=255)
    number = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    date = serializers.DateField(required=False, allow_null=True, default=None)
    direction = serializers.ChoiceField(
        choices=choices.Direction.choices, default=choices.Direction.INTERNAL
    )
    correspondent_account = _VisibleRelated(Account)
    correspondent_contact = _VisibleRelated(Contact)
    comment = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    file = serializers.FileField(allow_empty_file=True, use_url=False)


class DocumentUpdateInputSerializer(serializers.Serializer):  # type: ignore[type-arg]
    kind = serializers.ChoiceField(choices=choices.Kind.choices, required=False)
    title = serializers.CharField(max_length=255, required=False)
    number = serializers.CharField(max_length=64, required=False, allow_blank=True)
    date = serializers.DateField(required=False, allow_null=True)
    correspondent_account = _VisibleRelated(Account)
    correspondent_contact = _VisibleRelated(Contact)
    version = serializers.IntegerField(required=False, min_value=1)


class VersionCreateInputSerializer(serializers.Serializer):  # type: ignore[type-arg]
    file = serializers.FileField(allow_empty_file=True, use_url=False)
    comment = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
