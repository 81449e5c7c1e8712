"""One filter set per list, shared by the API and the HTML list."""

from __future__ import annotations

import django_filters
from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from kam.contracts import choices, selectors
from kam.contracts.models import Contract, Obligation


class ContractFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label=_("Number, title or account"))
    status = django_filters.MultipleChoiceFilter(
        choices=choices.ContractStatus.choices, label=_("Status")
    )
    kind = django_filters.MultipleChoiceFilter(
        choices=choices.ContractKind.choices, label=_("Type")
    )
    account = django_filters.NumberFilter(field_name="account", label=_("Account"))
    owner = django_filters.ModelChoiceFilter(
        queryset=get_user_model().objects.all(), label=_("Owner")
    )
    ending_before = django_filters.DateFilter(
        field_name="end_date", lookup_expr="lte", label=_("Ending on or before")
    )
    renewal_due = django_filters.BooleanFilter(method="filter_renewal_due", label=_("Renewal due"))
    ordering = django_filters.OrderingFilter(
        fields=(
            ("number", "number"),
            ("start_date", "start_date"),
            ("end_date", "end_date"),
            ("created_at", "created_at"),
        ),
        label=_("Order by"),
    )

    class Meta:
        model = Contract
        fields = ["q", "status", "kind", "account", "owner", "ending_before", "renewal_due"]

    def filter_q(self, queryset: QuerySet[Contract], name: str, value: str) -> QuerySet[Contract]:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(number__icontains=value)
            | Q(title__icontains=value)
            | Q(account__name__icontains=value)
        )

    def filter_renewal_due(
        self, queryset: QuerySet[Contract], name: str, value: bool | None
    ) -> QuerySet[Contract]:
        if value is None:
            return queryset
        due = selectors.renewal_due(queryset)
        return due if value else queryset.exclude(pk__in=due.values("pk"))


class ObligationFilterSet(django_filters.FilterSet):
    contract = django_filters.NumberFilter(field_name="contract")
    account = django_filters.NumberFilter(field_name="contract__account")
    department = django_filters.NumberFilter(field_name="department")
    status = django_filters.MultipleChoiceFilter(choices=choices.ObligationStatus.choices)
    side = django_filters.ChoiceFilter(choices=choices.Side.choices)
    due_before = django_filters.DateFilter(field_name="due_date", lookup_expr="lte")

    class Meta:
        model = Obligation
        fields = ["contract", "account", "department", "status", "side", "due_before"]
