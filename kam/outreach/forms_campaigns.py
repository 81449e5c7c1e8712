"""HTML forms of campaigns: shapes and types only; the services check the rules."""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from kam.accounts.choices import Channel
from kam.accounts.models import SavedFilter
from kam.catalog.models import Product, Promotion
from kam.core.forms import BootstrapFormMixin
from kam.outreach import choices, consent
from kam.outreach.models import Campaign, Event
from kam.outreach.selectors.campaigns import audience_filters

CHANNEL_CHOICES = [(c, Channel(c).label) for c in consent.CAMPAIGN_CHANNELS]


class CampaignForm(BootstrapFormMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=choices.CampaignKind.choices)
    channels = forms.MultipleChoiceField(
        label=_("Channels"),
        choices=CHANNEL_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Each contact gets the campaign on his preferred channel he consented to."),
    )
    subject = forms.CharField(
        label=_("Subject"),
        max_length=255,
        help_text=_(
            "A template: {{ contact.first_name }}, {{ account.name }}, {{ product.name }}…"
        ),
    )
    body = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 10}))
    audience_filter = forms.ModelChoiceField(
        label=_("Saved audience"), queryset=SavedFilter.objects.none(), required=False
    )
    audience_query = forms.CharField(
        label=_("Audience filters"),
        max_length=2000,
        required=False,
        help_text=_("The contact list's filters, e.g. buying_role=decision_maker&q=Sales."),
    )
    product = forms.ModelChoiceField(
        label=_("Product"), queryset=Product.objects.none(), required=False
    )
    promotion = forms.ModelChoiceField(
        label=_("Promotion"), queryset=Promotion.objects.none(), required=False
    )
    event = forms.ModelChoiceField(label=_("Event"), queryset=Event.objects.none(), required=False)
    scheduled_at = forms.DateTimeField(
        label=_("Send at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("Leave empty to launch it by hand."),
    )
    throttle_per_minute = forms.IntegerField(
        label=_("Messages per minute"), required=False, min_value=1, max_value=100000
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: Any = self.fields
        fields["audience_filter"].queryset = audience_filters(user=user)
        fields["product"].queryset = Product.objects.filter(is_active=True).order_by("name")
        fields["promotion"].queryset = Promotion.objects.filter(is_active=True).order_by("name")
        fields["event"].queryset = Event.objects.visible_to(user).order_by("-starts_at")
        fields["channels"].widget.attrs["class"] = "form-check-input"

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("version", None)
        return data


class PreviewForm(forms.Form):
    contact = forms.IntegerField(min_value=1)


class CampaignFilterSet(django_filters.FilterSet):
    """The list's filters, shared by the page and `/api/v1/campaigns/`."""

    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains", label=_("Name"))
    status = django_filters.MultipleChoiceFilter(
        choices=choices.CampaignStatus.choices, label=_("Status")
    )
    kind = django_filters.MultipleChoiceFilter(
        choices=choices.CampaignKind.choices, label=_("Kind")
    )
    event = django_filters.NumberFilter(field_name="event", label=_("Event"))
    ordering = django_filters.OrderingFilter(
        fields=(
            ("name", "name"),
            ("created_at", "created_at"),
            ("scheduled_at", "scheduled_at"),
            ("launched_at", "launched_at"),
        ),
        label=_("Order by"),
    )

    class Meta:
        model = Campaign
        fields = ["q", "status", "kind", "event"]


def delivery_ids(values: list[str]) -> list[int]:
    """The recipient rows ticked for "turn into deals" (anything not an id is dropped)."""
    return [int(value) for value in values if value.isdigit()][:1000]
