from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from kam.core.errors import ApplicationError
from kam.documents import services
from kam.documents.choices import TemplateKey
from kam.documents.models import Document, DocumentTemplate, DocumentVersion


class DocumentVersionInline(admin.TabularInline):  # type: ignore[type-arg]
    model = DocumentVersion
    extra = 0
    can_delete = False
    fields = ("number", "filename", "content_type", "size", "uploaded_by", "created_at")
    readonly_fields = fields


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("register_number", "title", "kind", "direction", "content_type", "created_at")
    list_filter = ("kind", "direction")
    search_fields = ("title", "number", "register_number")
    readonly_fields = ("content_type", "object_id", "register_number", "created_by")
    inlines = [DocumentVersionInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # documents are uploaded on their record, through the services


class DocumentTemplateForm(forms.ModelForm):  # type: ignore[type-arg]
    """An administrator's own DOCX template; it must render with the template's sample context
    (`services.template_check`). The admin stores it through `services.template_upload`."""

    key = forms.ChoiceField(label=_("Template"), choices=TemplateKey.choices)
    upload = forms.FileField(label=_("DOCX file"))

    class Meta:
        model = DocumentTemplate
        fields = ["key"]

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        upload = data.get("upload")
        if upload is not None and data.get("key"):
            try:
                services.template_check(key=data["key"], upload=upload, filename=upload.name)
            except ApplicationError as error:
                for messages in (error.fields or {"file": [error.message]}).values():
                    self.add_error("upload", messages)
        return data

    def save(self, commit: bool = True) -> DocumentTemplate:
        return self.instance  # written by DocumentTemplateAdmin.save_model through the service

    def save_m2m(self) -> None:
        return None


@admin.register(DocumentTemplate)
class DocumentTemplateAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    form = DocumentTemplateForm
    list_display = ("key", "filename", "uploaded_by", "updated_at")

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        upload = form.cleaned_data["upload"]
        saved = services.template_upload(
            user=request.user, key=form.cleaned_data["key"], upload=upload, filename=upload.name
        )
        obj.__dict__.update(saved.__dict__)

    def delete_model(self, request: HttpRequest, obj: DocumentTemplate) -> None:
        services.template_reset(user=request.user, key=obj.key)
