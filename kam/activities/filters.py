"""One filter set per list, shared by the API and the HTML list pages."""

from __future__ import annotations

import django_filters
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.utils import timezone

from kam.activities import choices
from kam.activities.models import Activity


class ActivityFilterSet(django_filters.FilterSet):
    kind = django_filters.MultipleChoiceFilter(choices=choices.Kind.choices)
    status = django_filters.MultipleChoiceFilter(choices=choices.Status.choices)
    account = django_filters.NumberFilter(field_name="account")
    deal = django_filters.NumberFilter(field_name="deal")
    contact = django_filters.NumberFilter(field_name="contacts", label="Contact id")
    owner = django_filters.ModelChoiceFilter(queryset=get_user_model().objects.all())
    since = django_filters.IsoDateTimeFilter(field_name="occurred_at", lookup_expr="gte")
    until = django_filters.IsoDateTimeFilter(field_name="occurred_at", lookup_expr="lt")

    class Meta:
        model = Activity
        fields = ["kind", "status", "account", "deal", "contact", "owner", "since", "until"]


class TaskFilterSet(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=choices.Status.choices)
    priority = django_filters.MultipleChoiceFilter(choices=choices.Priority.choices)
    assignee = django_filters.ModelChoiceFilter(queryset=get_user_model().objects.all())
    account = django_filters.NumberFilter(field_name="account")
    deal = django_filters.NumberFilter(field_name="deal")
    due_after = django_filters.IsoDateTimeFilter(field_name="due_at", lookup_expr="gte")
    due_before = django_filters.IsoDateTimeFilter(field_name="due_at", lookup_expr="lt")
    overdue = django_filters.BooleanFilter(method="filter_overdue", label="Open and past due")

    class Meta:
        model = Activity
        fields = [
            "status",
            "priority",
            "assignee",
            "account",
            "deal",
            "due_after",
            "due_before",
            "overdue",
        ]

    def filter_overdue(
        self, queryset: QuerySet[Activity], name: str, value: bool | None
    ) -> QuerySet[Activity]:
        if value is None:
            return queryset
        late = {"status": choices.Status.PLANNED, "due_at__lt": timezone.now()}
        return queryset.filter(**late) if value else queryset.exclude(**late)
