"""One filter set per list, shared by the API and the HTML list."""

from __future__ import annotations

import django_filters
from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from kam.orders.choices import (
    ApprovalReason,
    ApprovalStatus,
    OrderStatus,
    QuoteStatus,
    TaskStatus,
)
from kam.orders.models import Approval, BonusSettlement, Order, OrderTask, Quote
from kam.orders.selectors import overdue_q


class OrderFilterSet(django_filters.FilterSet):
    """Works on any Order queryset; `overdue` is an indexed range (`selectors.overdue_q`)."""

    q = django_filters.CharFilter(method="filter_q", label=_("Number or account"))
    status = django_filters.MultipleChoiceFilter(choices=OrderStatus.choices, label=_("Status"))
    account = django_filters.NumberFilter(field_name="account", label=_("Account"))
    deal = django_filters.NumberFilter(field_name="deal", label=_("Deal"))
    owner = django_filters.ModelChoiceFilter(
        queryset=get_user_model().objects.filter(is_active=True), label=_("Owner")
    )
    overdue = django_filters.BooleanFilter(method="filter_overdue", label=_("Overdue"))
    on_time = django_filters.BooleanFilter(field_name="is_on_time", label=_("Delivered on time"))
    created_from = django_filters.DateFilter(
        field_name="created_at", lookup_expr="date__gte", label=_("Ordered from")
    )
    created_to = django_filters.DateFilter(
        field_name="created_at", lookup_expr="date__lte", label=_("Ordered until")
    )
    promised_from = django_filters.DateFilter(
        field_name="promised_date", lookup_expr="gte", label=_("Promised from")
    )
    promised_to = django_filters.DateFilter(
        field_name="promised_date", lookup_expr="lte", label=_("Promised until")
    )
    ordering = django_filters.OrderingFilter(
        fields=(
            ("created_at", "created_at"),
            ("promised_date", "promised_date"),
            ("total_net", "total_net"),
            ("number", "number"),
        ),
        label=_("Order by"),
    )

    class Meta:
        model = Order
        fields = ["q", "status", "account", "deal", "owner", "overdue", "on_time"]

    def filter_overdue(self, queryset: QuerySet[Order], name: str, value: bool) -> QuerySet[Order]:
        if value is None:
            return queryset
        late = overdue_q()
        return queryset.filter(late) if value else queryset.exclude(late)

    def filter_q(self, queryset: QuerySet[Order], name: str, value: str) -> QuerySet[Order]:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(number__icontains=value) | Q(account__name__icontains=value))


class ApprovalFilterSet(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=ApprovalStatus.choices)
    reason = django_filters.MultipleChoiceFilter(choices=ApprovalReason.choices)
    order = django_filters.NumberFilter(method="filter_order", label=_("Order"))
    quote = django_filters.NumberFilter(method="filter_quote", label=_("Quote"))

    class Meta:
        model = Approval
        fields = ["status", "reason", "order", "quote"]

    def filter_order(
        self, queryset: QuerySet[Approval], name: str, value: int
    ) -> QuerySet[Approval]:
        return queryset.filter(content_type__model="order", object_id=value)

    def filter_quote(
        self, queryset: QuerySet[Approval], name: str, value: int
    ) -> QuerySet[Approval]:
        return queryset.filter(content_type__model="quote", object_id=value)


class OrderTaskFilterSet(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=TaskStatus.choices, label=_("Status"))
    department = django_filters.NumberFilter(field_name="department", label=_("Department"))
    order = django_filters.NumberFilter(field_name="order", label=_("Order"))
    contract = django_filters.NumberFilter(field_name="contract", label=_("Contract"))

    class Meta:
        model = OrderTask
        fields = ["status", "department", "order", "contract"]


class BonusSettlementFilterSet(django_filters.FilterSet):
    account = django_filters.NumberFilter(field_name="account", label=_("Account"))
    agreement = django_filters.NumberFilter(field_name="agreement", label=_("Agreement"))
    target = django_filters.NumberFilter(field_name="target", label=_("Volume target"))
    period_end_from = django_filters.DateFilter(
        field_name="period_end", lookup_expr="gte", label=_("Period ending from")
    )
    period_end_to = django_filters.DateFilter(
        field_name="period_end", lookup_expr="lte", label=_("Period ending until")
    )

    class Meta:
        model = BonusSettlement
        fields = ["account", "agreement", "target"]


class QuoteFilterSet(django_filters.FilterSet):
    """Quotes: search (number, account), status, account, deal, owner, valid until a range."""

    q = django_filters.CharFilter(method="filter_q", label=_("Search"))
    status = django_filters.MultipleChoiceFilter(choices=QuoteStatus.choices)
    account = django_filters.NumberFilter(field_name="account")
    deal = django_filters.NumberFilter(field_name="deal")
    owner = django_filters.ModelChoiceFilter(
        queryset=get_user_model().objects.filter(is_active=True), label=_("Owner")
    )
    valid_from = django_filters.DateFilter(field_name="valid_until", lookup_expr="gte")
    valid_to = django_filters.DateFilter(field_name="valid_until", lookup_expr="lte")
    ordering = django_filters.OrderingFilter(
        fields=(("created_at", "created_at"), ("valid_until", "valid_until"), ("number", "number"))
    )

    class Meta:
        model = Quote
        fields = ["q", "status", "account", "deal", "owner"]

    def filter_q(self, queryset: QuerySet[Quote], name: str, value: str) -> QuerySet[Quote]:
        text = value.strip()
        if not text:
            return queryset
        return queryset.filter(Q(number__icontains=text) | Q(account__name__icontains=text))
