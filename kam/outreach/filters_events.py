"""The events list's filters, shared by the API and the HTML list."""

from __future__ import annotations

import django_filters
from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kam.outreach.choices import EventKind
from kam.outreach.models import Event

WHEN_CHOICES = (("upcoming", _("Upcoming")), ("past", _("Past")))


class EventFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label=_("Name or place"))
    kind = django_filters.MultipleChoiceFilter(choices=EventKind.choices, label=_("Kind"))
    when = django_filters.ChoiceFilter(choices=WHEN_CHOICES, method="filter_when", label=_("When"))
    owner = django_filters.ModelChoiceFilter(
        queryset=get_user_model().objects.filter(is_active=True), label=_("Owner")
    )
    starts_after = django_filters.IsoDateTimeFilter(
        field_name="starts_at", lookup_expr="gte", label=_("Starts on or after")
    )
    starts_before = django_filters.IsoDateTimeFilter(
        field_name="starts_at", lookup_expr="lt", label=_("Starts before")
    )
    ordering = django_filters.OrderingFilter(
        fields=(("starts_at", "starts_at"), ("name", "name"), ("created_at", "created_at")),
        label=_("Order by"),
    )

    class Meta:
        model = Event
        fields = ["q", "kind", "when", "owner", "starts_after", "starts_before"]

    def filter_q(self, queryset: QuerySet[Event], name: str, value: str) -> QuerySet[Event]:
        value = value.strip()[:100]
        if not value:
            return queryset
        return queryset.filter(Q(name__icontains=value) | Q(place__icontains=value))

    def filter_when(self, queryset: QuerySet[Event], name: str, value: str) -> QuerySet[Event]:
        now = timezone.now()
        if value == "upcoming":
            return queryset.filter(ends_at__gte=now)
        if value == "past":
            return queryset.filter(ends_at__lt=now)
        return queryset
