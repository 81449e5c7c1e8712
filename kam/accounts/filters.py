"""One filter set per list, shared by the API and the HTML list pages."""

from __future__ import annotations

from typing import Any

import django_filters
from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from kam.accounts import choices
from kam.accounts.models import Account, Contact, ContactConsent


class AccountFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label="Name, legal name or tax number")
    owner = django_filters.ModelChoiceFilter(queryset=get_user_model().objects.all())
    team = django_filters.NumberFilter(field_name="owner__team", label="Owner's team")
    tier = django_filters.MultipleChoiceFilter(choices=choices.Tier.choices)
    status = django_filters.MultipleChoiceFilter(choices=choices.Status.choices)
    kind = django_filters.MultipleChoiceFilter(choices=choices.Kind.choices)
    industry = django_filters.CharFilter(lookup_expr="iexact")
    country = django_filters.CharFilter(method="filter_country")
    tag = django_filters.CharFilter(field_name="tags__name", label="Tag name")
    parent = django_filters.NumberFilter(field_name="parent")
    custom = django_filters.CharFilter(method="filter_custom", label="key=value on a custom field")

    class Meta:
        model = Account
        fields = [
            "q",
            "owner",
            "team",
            "tier",
            "status",
            "kind",
            "industry",
            "country",
            "tag",
            "parent",
            "custom",
        ]

    def filter_q(self, queryset: QuerySet[Account], name: str, value: str) -> QuerySet[Account]:
        value = value.strip()
        return queryset.filter(
            Q(name__icontains=value) | Q(legal_name__icontains=value) | Q(tax_number=value.upper())
        )

    def filter_country(
        self, queryset: QuerySet[Account], name: str, value: str
    ) -> QuerySet[Account]:
        return queryset.filter(country=value.strip().upper())

    def filter_custom(
        self, queryset: QuerySet[Account], name: str, value: str
    ) -> QuerySet[Account]:
        key, sep, wanted = value.partition("=")
        if not sep or not key.strip().isidentifier():
            return queryset.none()
        return queryset.filter(**{f"custom__{key.strip()}": _typed(wanted.strip())})


def _typed(value: str) -> Any:
    lowered = value.lower()
    if lowered in {"true", "false"}:
        return lowered == "true"
    return value


class ContactFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label="Name or job title")
    account = django_filters.NumberFilter(field_name="account")
    buying_role = django_filters.MultipleChoiceFilter(choices=choices.BuyingRole.choices)
    do_not_contact = django_filters.BooleanFilter()
    owner = django_filters.ModelChoiceFilter(queryset=get_user_model().objects.all())
    # The account's facts, so a contact list (and a campaign audience) can say "the buyers of
    # our key accounts in Germany".
    tier = django_filters.MultipleChoiceFilter(
        field_name="account__tier", choices=choices.Tier.choices
    )
    account_status = django_filters.MultipleChoiceFilter(
        field_name="account__status", choices=choices.Status.choices
    )
    industry = django_filters.CharFilter(field_name="account__industry", lookup_expr="iexact")
    country = django_filters.CharFilter(method="filter_country")
    tag = django_filters.CharFilter(field_name="account__tags__name", label="Account tag")
    consent = django_filters.ChoiceFilter(
        method="filter_consent", choices=choices.Channel.choices, label="Consented on channel"
    )

    class Meta:
        model = Contact
        fields = [
            "q",
            "account",
            "buying_role",
            "do_not_contact",
            "owner",
            "tier",
            "account_status",
            "industry",
            "country",
            "tag",
            "consent",
        ]

    def filter_country(
        self, queryset: QuerySet[Contact], name: str, value: str
    ) -> QuerySet[Contact]:
        return queryset.filter(account__country=value.strip().upper())

    def filter_consent(
        self, queryset: QuerySet[Contact], name: str, value: str
    ) -> QuerySet[Contact]:
        granted = ContactConsent.objects.filter(channel=value, is_granted=True)
        return queryset.filter(pk__in=granted.values("contact_id"))

    def filter_q(self, queryset: QuerySet[Contact], name: str, value: str) -> QuerySet[Contact]:
        value = value.strip()
        return queryset.filter(
            Q(last_name__icontains=value)
            | Q(first_name__icontains=value)
            | Q(job_title__icontains=value)
        )
