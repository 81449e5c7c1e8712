"""One filter set per list, shared by the API and the HTML list (and the export)."""

from __future__ import annotations

import django_filters
from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from kam.sales.choices import ObjectionKind, Outcome
from kam.sales.models import Deal, Need, Objection, Pipeline, Stage


class DealFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label=_("Title or account"))
    pipeline = django_filters.ModelChoiceFilter(
        queryset=Pipeline.objects.all(), label=_("Pipeline")
    )
    stage = django_filters.ModelChoiceFilter(queryset=Stage.objects.all(), label=_("Stage"))
    status = django_filters.MultipleChoiceFilter(choices=Outcome.choices, label=_("Status"))
    owner = django_filters.ModelChoiceFilter(
        queryset=get_user_model().objects.all(), label=_("Owner")
    )
    team = django_filters.NumberFilter(field_name="owner__team", label=_("Owner's team"))
    account = django_filters.NumberFilter(field_name="account", label=_("Account"))
    close_from = django_filters.DateFilter(
        field_name="expected_close_date", lookup_expr="gte", label=_("Expected close from")
    )
    close_to = django_filters.DateFilter(
        field_name="expected_close_date", lookup_expr="lte", label=_("Expected close until")
    )
    ordering = django_filters.OrderingFilter(
        fields=(
            ("title", "title"),
            ("amount", "amount"),
            ("probability", "probability"),
            ("expected_close_date", "expected_close_date"),
            ("next_step_date", "next_step_date"),
            ("created_at", "created_at"),
            ("updated_at", "updated_at"),
            ("stage_entered_at", "stage_entered_at"),
        ),
        label=_("Order by"),
    )

    class Meta:
        model = Deal
        fields = [
            "q",
            "pipeline",
            "stage",
            "status",
            "owner",
            "team",
            "account",
            "close_from",
            "close_to",
        ]

    def filter_q(self, queryset: QuerySet[Deal], name: str, value: str) -> QuerySet[Deal]:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(title__icontains=value) | Q(account__name__icontains=value))


class NeedFilterSet(django_filters.FilterSet):
    deal = django_filters.NumberFilter(field_name="deal")
    account = django_filters.NumberFilter(field_name="deal__account")

    class Meta:
        model = Need
        fields = ["deal", "account", "priority"]


class ObjectionFilterSet(django_filters.FilterSet):
    deal = django_filters.NumberFilter(field_name="deal")
    account = django_filters.NumberFilter(field_name="deal__account")
    kind = django_filters.MultipleChoiceFilter(choices=ObjectionKind.choices)

    class Meta:
        model = Objection
        fields = ["deal", "account", "kind", "is_resolved"]
