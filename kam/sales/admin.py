"""Administrators edit pipelines and their stages here (and through /api/v1/pipelines/ and
/api/v1/stages/); deals are edited in KAM."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from kam.core import registry
from kam.sales.models import Pipeline, Stage


class StageAdminForm(forms.ModelForm):
    requirements = forms.MultipleChoiceField(
        choices=lambda: [(key, check.label) for key, check in registry.stage_checks().items()],
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Stage
        fields = ["name", "position", "probability", "outcome", "requirements"]


class StageInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Stage
    form = StageAdminForm
    extra = 1
    ordering = ["position", "pk"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None or not obj.deals.exists()


@admin.register(Pipeline)
class PipelineAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["name", "is_default", "created_at"]
    fields = ["name", "description", "is_default"]
    inlines = [StageInline]

    def get_queryset(self, request: HttpRequest) -> Any:
        return Pipeline.objects.all()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a pipeline with history stays; rename it or stop using it
