from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from kam.accounts import choices
from kam.core.forms import BootstrapFormMixin


class AccountForm(BootstrapFormMixin, forms.Form):
    """What a manager types about a company; the service validates and normalises it."""

    name = forms.CharField(label=_("Name"), max_length=255)
    legal_name = forms.CharField(label=_("Legal name"), max_length=255, required=False)
    country = forms.ChoiceField(
        label=_("Country"), choices=lambda: [("", "—"), *countries], required=False
    )
    tax_number = forms.CharField(label=_("Tax / VAT number"), max_length=32, required=False)
    registration_number = forms.CharField(
        label=_("Registration number"), max_length=32, required=False
    )
    industry = forms.CharField(label=_("Industry"), max_length=100, required=False)
    size_band = forms.ChoiceField(
        label=_("Size"), choices=[("", "—"), *choices.SizeBand.choices], required=False
    )
    website = forms.CharField(label=_("Website"), max_length=255, required=False)
    emails = forms.CharField(
        label=_("E-mails"), required=False, help_text=_("Separate several with commas.")
    )
    phones = forms.CharField(
        label=_("Phones"),
        required=False,
        help_text=_("With country code, or as dialled in the account's country."),
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=choices.Kind.choices)
    tier = forms.ChoiceField(label=_("Tier"), choices=choices.Tier.choices)
    status = forms.ChoiceField(label=_("Lifecycle status"), choices=choices.Status.choices)
    source = forms.ChoiceField(
        label=_("Acquisition source"), choices=[("", "—"), *choices.Source.choices], required=False
    )
    notes = forms.CharField(
        label=_("Notes"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def service_data(self) -> dict[str, Any]:
        data = {k: v for k, v in self.cleaned_data.items() if k != "version"}
        for name in ("emails", "phones"):
            data[name] = [part.strip() for part in data[name].split(",") if part.strip()]
        return data


class BulkActionForm(forms.Form):
    action = forms.ChoiceField(
        choices=[
            ("tag", _("Add tag")),
            ("untag", _("Remove tag")),
            ("tier", _("Change tier")),
            ("reassign", _("Reassign owner")),
        ]
    )
    value = forms.CharField(required=False, max_length=100)
    owner = forms.ModelChoiceField(
        queryset=get_user_model().objects.filter(is_active=True), required=False
    )
    ids = forms.CharField()

    def account_ids(self) -> list[int]:
        return [int(i) for i in self.cleaned_data["ids"].split(",") if i.strip().isdigit()]
