from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from kam.accounts.choices import Source
from kam.accounts.models import Account, Contact
from kam.core.forms import BootstrapFormMixin
from kam.sales.choices import ObjectionKind, Priority
from kam.sales.models import Stage


class DealForm(BootstrapFormMixin, forms.Form):
    """What a manager types about a deal; the service checks access and the rules."""

    title = forms.CharField(label=_("Title"), max_length=255)
    account = forms.ModelChoiceField(
        label=_("Account"),
        queryset=Account.objects.none(),
        widget=forms.TextInput(attrs={"list": "deal-account-options", "autocomplete": "off"}),
        help_text=_("Type part of the name and pick the account."),
    )
    stage = forms.ModelChoiceField(label=_("Stage"), queryset=Stage.objects.none(), required=False)
    contacts = forms.ModelMultipleChoiceField(
        label=_("Contacts involved"), queryset=Contact.objects.none(), required=False
    )
    amount = forms.DecimalField(label=_("Amount"), max_digits=14, decimal_places=2, min_value=0)
    currency = forms.CharField(label=_("Currency"), max_length=3, initial="EUR")
    probability = forms.IntegerField(
        label=_("Probability (%)"),
        min_value=0,
        max_value=100,
        required=False,
        help_text=_("Leave empty to use the stage's default."),
    )
    expected_close_date = forms.DateField(
        label=_("Expected close date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    owner = forms.ModelChoiceField(
        label=_("Owner"), queryset=get_user_model().objects.none(), required=False
    )
    source = forms.ChoiceField(
        label=_("Source"), choices=[("", "—"), *Source.choices], required=False
    )
    products_of_interest = forms.CharField(
        label=_("Products of interest"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    next_step = forms.CharField(label=_("Next step"), max_length=255, required=False)
    next_step_date = forms.DateField(
        label=_("Next step date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    lost_reason = forms.CharField(label=_("Lost reason"), max_length=255, required=False)
    lost_to = forms.CharField(label=_("Lost to (competitor)"), max_length=255, required=False)
    notes = forms.CharField(
        label=_("Notes"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(
        self, *args: Any, user: Any, account: Account | None, editing: bool, **kwargs: Any
    ):
        super().__init__(*args, **kwargs)
        self.editing = editing
        cast(Any, self.fields["account"]).queryset = Account.objects.visible_to(user, "change")
        cast(Any, self.fields["owner"]).queryset = (
            get_user_model().objects.filter(is_active=True).order_by("username")
        )
        cast(Any, self.fields["contacts"]).queryset = (
            Contact.objects.filter(account=account).order_by("last_name")
            if account is not None
            else Contact.objects.none()
        )
        if editing:
            del self.fields["stage"]
        else:
            cast(Any, self.fields["stage"]).queryset = Stage.objects.select_related(
                "pipeline"
            ).order_by("pipeline__name", "pipeline", "position")
            cast(Any, self.fields["stage"]).label_from_instance = lambda s: (
                f"{s.pipeline.name} · {s.name}"
            )
            del self.fields["lost_reason"], self.fields["lost_to"]

    def service_data(self) -> dict[str, Any]:
        data = {k: v for k, v in self.cleaned_data.items() if k != "version"}
        if not data.get("stage"):
            data.pop("stage", None)
        if not data.get("owner"):
            data.pop("owner", None)
        if data.get("probability") is None and not self.editing:
            data.pop("probability", None)
        return data


class NeedForm(BootstrapFormMixin, forms.Form):
    description = forms.CharField(label=_("Need"), widget=forms.Textarea(attrs={"rows": 2}))
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices, initial="medium")
    products = forms.CharField(label=_("Products that answer it"), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class ObjectionForm(BootstrapFormMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Type"), choices=ObjectionKind.choices)
    description = forms.CharField(label=_("Objection"), widget=forms.Textarea(attrs={"rows": 2}))
    answer = forms.CharField(
        label=_("Answer given"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    is_resolved = forms.BooleanField(label=_("Resolved"), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class MoveForm(forms.Form):
    stage = forms.ModelChoiceField(queryset=Stage.objects.all())
    lost_reason = forms.CharField(max_length=255, required=False)
    lost_to = forms.CharField(max_length=255, required=False)
