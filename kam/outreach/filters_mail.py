"""The message list's filters, shared by the API and the HTML list."""

from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from kam.outreach import choices
from kam.outreach.models import Message


class MessageFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label=_("Subject or address"))
    direction = django_filters.ChoiceFilter(
        choices=choices.MessageDirection.choices, label=_("Direction")
    )
    contact = django_filters.NumberFilter(field_name="contact", label=_("Contact"))
    account = django_filters.NumberFilter(field_name="account", label=_("Account"))
    deal = django_filters.NumberFilter(field_name="deal", label=_("Deal"))
    mailbox = django_filters.NumberFilter(field_name="mailbox", label=_("Mailbox"))
    is_malformed = django_filters.BooleanFilter(label=_("Malformed"))

    class Meta:
        model = Message
        fields = ["q", "direction", "contact", "account", "deal", "mailbox", "is_malformed"]

    def filter_q(self, queryset: QuerySet[Message], name: str, value: str) -> QuerySet[Message]:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(subject__icontains=value) | Q(from_address__icontains=value.lower())
        )
