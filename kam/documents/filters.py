"""One filter set per list, shared by the API and the HTML pages."""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from kam.documents import choices
from kam.documents.models import Document


class DocumentFilterSet(django_filters.FilterSet):
    """`?content_type=accounts.account&object_id=12`: the documents of one record (the API
    view checks the record first); and kind, direction, search."""

    content_type = django_filters.CharFilter(method="filter_record_type", label=_("Record type"))
    object_id = django_filters.NumberFilter(field_name="object_id", label=_("Record id"))
    kind = django_filters.MultipleChoiceFilter(choices=choices.Kind.choices)
    direction = django_filters.MultipleChoiceFilter(choices=choices.Direction.choices)
    q = django_filters.CharFilter(method="filter_search", label=_("Search"))

    class Meta:
        model = Document
        fields = ["content_type", "object_id", "kind", "direction", "q"]

    def filter_record_type(
        self, queryset: QuerySet[Document], name: str, value: str
    ) -> QuerySet[Document]:
        app_label, _dot, model = value.lower().partition(".")
        return queryset.filter(content_type__app_label=app_label, content_type__model=model)

    def filter_search(
        self, queryset: QuerySet[Document], name: str, value: str
    ) -> QuerySet[Document]:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(title__icontains=value)
            | Q(number__icontains=value)
            | Q(register_number__icontains=value)
        )


class RegisterFilterSet(DocumentFilterSet):
    """The register page and its export: direction, year, kind, correspondent, dates, search."""

    direction = django_filters.ChoiceFilter(
        choices=[(d, d.label) for d in choices.REGISTERED], empty_label=_("Both directions")
    )
    year = django_filters.NumberFilter(field_name="register_year", label=_("Year"))
    kind = django_filters.ChoiceFilter(choices=choices.Kind.choices, empty_label=_("Any kind"))
    correspondent = django_filters.CharFilter(
        method="filter_correspondent", label=_("Correspondent (name or id)")
    )
    registered_after = django_filters.DateFilter(
        field_name="registered_at", lookup_expr="date__gte", label=_("Registered from")
    )
    registered_before = django_filters.DateFilter(
        field_name="registered_at", lookup_expr="date__lte", label=_("Registered until")
    )

    def filter_correspondent(
        self, queryset: QuerySet[Document], name: str, value: str
    ) -> QuerySet[Document]:
        value = value.strip()
        if value.isdigit():
            return queryset.filter(correspondent_account_id=int(value))
        return queryset.filter(correspondent_account__name__icontains=value) if value else queryset

    @property
    def form(self) -> Any:
        form = super().form
        for field in form.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            if isinstance(field.widget, forms.DateInput):
                field.widget.input_type = "date"
            field.widget.attrs.setdefault("class", f"{css} {css}-sm")
        return form

    class Meta:
        model = Document
        fields = [
            "q",
            "direction",
            "year",
            "kind",
            "correspondent",
            "registered_after",
            "registered_before",
        ]
