"""One filter set per list, shared by the API and the HTML list (and the export)."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from kam.catalog.choices import AgreementStatus
from kam.catalog.models import Agreement, Product, ProductLine, Promotion
from kam.core.forms import BootstrapFormMixin


class ProductFilterForm(BootstrapFormMixin, forms.Form):
    """The product list's filters, with Bootstrap's look."""


class ProductFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label=_("SKU, name or description"))
    line = django_filters.ModelChoiceFilter(
        queryset=ProductLine.objects.all(), label=_("Product line")
    )
    is_active = django_filters.BooleanFilter(
        label=_("Status"),
        widget=forms.Select(
            choices=[("", _("Any")), ("true", _("Active")), ("false", _("Inactive"))]
        ),
    )
    new_since = django_filters.DateFilter(
        field_name="launch_date",
        lookup_expr="gte",
        label=_("Launched since"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    ordering = django_filters.OrderingFilter(
        fields=(
            ("sku", "sku"),
            ("name", "name"),
            ("list_price", "list_price"),
            ("launch_date", "launch_date"),
        )
    )

    class Meta:
        model = Product
        form = ProductFilterForm
        fields = ["q", "line", "is_active", "new_since"]

    def filter_q(self, queryset: QuerySet[Product], name: str, value: str) -> QuerySet[Product]:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(sku__icontains=value) | Q(name__icontains=value) | Q(description__icontains=value)
        )


class PromotionFilterSet(django_filters.FilterSet):
    valid_on = django_filters.DateFilter(method="filter_valid_on", label=_("Valid on"))
    product = django_filters.NumberFilter(field_name="products", label=_("Product"))

    class Meta:
        model = Promotion
        fields = ["valid_on", "product", "is_active"]

    def filter_valid_on(
        self, queryset: QuerySet[Promotion], name: str, value: object
    ) -> QuerySet[Promotion]:
        return queryset.filter(starts_on__lte=value, ends_on__gte=value)


class AgreementFilterSet(django_filters.FilterSet):
    account = django_filters.NumberFilter(field_name="account", label=_("Account"))
    status = django_filters.ChoiceFilter(choices=AgreementStatus.choices, label=_("Status"))

    class Meta:
        model = Agreement
        fields = ["account", "status"]
