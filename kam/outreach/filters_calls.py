"""The filters of the calls page."""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from kam.outreach import choices
from kam.outreach.models import Call


class CallFilterSet(django_filters.FilterSet):
    direction = django_filters.ChoiceFilter(
        choices=choices.CallDirection.choices, label=_("Direction")
    )
    state = django_filters.MultipleChoiceFilter(choices=choices.CallState.choices, label=_("State"))
    known = django_filters.BooleanFilter(
        method="filter_known",
        label=_("Known caller"),
        widget=django_filters.widgets.BooleanWidget(),
    )
    since = django_filters.IsoDateTimeFilter(
        field_name="started_at", lookup_expr="gte", label=_("Since")
    )

    class Meta:
        model = Call
        fields = ["direction", "state", "known", "since"]

    def filter_known(
        self, queryset: QuerySet[Call], name: str, value: bool | None
    ) -> QuerySet[Call]:
        if value is None:
            return queryset
        return queryset.filter(account__isnull=not value)
