"""What people type about events: the event, a lead at the stand, an RSVP answer."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from kam.accounts.models import Account
from kam.core import access
from kam.core.forms import BootstrapFormMixin
from kam.outreach.choices import EventKind
from kam.outreach.services.events import LeadInput

_DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class EventForm(BootstrapFormMixin, forms.Form):
    """An event's fields; the service checks access, dates and money."""

    name = forms.CharField(label=_("Name"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=EventKind.choices)
    starts_at = forms.DateTimeField(label=_("Starts"), widget=_DATETIME)
    ends_at = forms.DateTimeField(label=_("Ends"), widget=_DATETIME)
    place = forms.CharField(label=_("Place"), max_length=255, required=False)
    budget = forms.DecimalField(
        label=_("Budget"), max_digits=14, decimal_places=2, min_value=0, initial=Decimal("0")
    )
    currency = forms.CharField(label=_("Currency"), max_length=3, min_length=3, initial="EUR")
    owner = forms.ModelChoiceField(
        label=_("Owner"), queryset=get_user_model().objects.none(), required=False
    )
    staff = forms.ModelMultipleChoiceField(
        label=_("Staff"), queryset=get_user_model().objects.none(), required=False
    )
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    is_cancelled = forms.BooleanField(label=_("Cancelled"), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        users = get_user_model().objects.filter(is_active=True).order_by("username")
        cast(Any, self.fields["staff"]).queryset = users
        if access.changes_all(user):
            cast(Any, self.fields["owner"]).queryset = users
        else:
            del self.fields["owner"]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        starts, ends = cleaned.get("starts_at"), cleaned.get("ends_at")
        if starts and ends and ends < starts:
            self.add_error("ends_at", _("The event cannot end before it starts."))
        return cleaned

    def service_data(self) -> dict[str, Any]:
        data = {k: v for k, v in self.cleaned_data.items() if k != "version"}
        if not data.get("owner"):
            data.pop("owner", None)
        return data


class LeadForm(BootstrapFormMixin, forms.Form):
    """The quick form at the stand: who we met, from which company, and whether a deal opens."""

    account = forms.ModelChoiceField(
        label=_("Existing account"),
        queryset=Account.objects.none(),
        required=False,
        help_text=_("Pick it when the company is already a client; else type its name."),
    )
    company_name = forms.CharField(label=_("Company"), max_length=255, required=False)
    contact_first_name = forms.CharField(label=_("First name"), max_length=100, required=False)
    contact_last_name = forms.CharField(label=_("Last name"), max_length=100)
    email = forms.EmailField(label=_("E-mail"), required=False)
    phone = forms.CharField(
        label=_("Phone"),
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
        help_text=_("International format, e.g. +49 30 1234567."),
    )
    notes = forms.CharField(
        label=_("Interest and notes"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    create_deal = forms.BooleanField(label=_("Open a deal"), required=False)
    deal_amount = forms.DecimalField(
        label=_("Deal amount"), max_digits=14, decimal_places=2, min_value=0, required=False
    )
    deal_currency = forms.CharField(label=_("Currency"), max_length=3, required=False)
    ignore_duplicates = forms.BooleanField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        changeable = Account.objects.visible_to(user, "change").order_by("name")
        cast(Any, self.fields["account"]).queryset = changeable

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not cleaned.get("account") and not (cleaned.get("company_name") or "").strip():
            self.add_error("company_name", _("Give the company's name or pick an account."))
        currency = (cleaned.get("deal_currency") or "").strip().upper()
        if currency and (len(currency) != 3 or not currency.isalpha()):
            self.add_error("deal_currency", _("Give a three-letter ISO 4217 code."))
        cleaned["deal_currency"] = currency
        return cleaned

    def lead_input(self) -> LeadInput:
        data = self.cleaned_data
        return LeadInput(
            account=data.get("account"),
            company_name=data.get("company_name") or "",
            contact_first_name=data.get("contact_first_name") or "",
            contact_last_name=data["contact_last_name"],
            email=data.get("email") or "",
            phone=data.get("phone") or "",
            notes=data.get("notes") or "",
            create_deal=bool(data.get("create_deal")),
            deal_amount=data.get("deal_amount"),
            deal_currency=data.get("deal_currency") or "",
            ignore_duplicates=bool(data.get("ignore_duplicates")),
        )


class RsvpForm(forms.Form):
    answer = forms.ChoiceField(choices=(("yes", _("Yes")), ("no", _("No"))))
