from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kam.accounts.models import Account, Contact
from kam.catalog.models import Agreement
from kam.contracts import choices
from kam.contracts.selectors import account_group_root
from kam.core import access
from kam.core.forms import BootstrapFormMixin
from kam.sales.models import Deal
from kam.users.models import Department

_DATE = forms.DateInput(attrs={"type": "date"})


class ContractForm(BootstrapFormMixin, forms.Form):
    """What a manager types about a contract; the service checks access and the rules."""

    number = forms.CharField(
        label=_("Number"),
        max_length=32,
        required=False,
        help_text=_("Suggested for the year; change it if the contract has its own."),
    )
    kind = forms.ChoiceField(label=_("Type"), choices=choices.ContractKind.choices)
    title = forms.CharField(label=_("Title"), max_length=255)
    account = forms.ModelChoiceField(
        label=_("Client account"),
        queryset=Account.objects.none(),
        widget=forms.TextInput(attrs={"list": "contract-account-options", "autocomplete": "off"}),
        help_text=_("Type part of the name and pick the account."),
    )
    other_accounts = forms.ModelMultipleChoiceField(
        label=_("Other accounts of the group"), queryset=Account.objects.none(), required=False
    )
    client_signatories = forms.ModelMultipleChoiceField(
        label=_("Client's signatories"), queryset=Contact.objects.none(), required=False
    )
    our_signatory = forms.ModelChoiceField(
        label=_("Our signatory"), queryset=get_user_model().objects.none(), required=False
    )
    owner = forms.ModelChoiceField(
        label=_("Owner"), queryset=get_user_model().objects.none(), required=False
    )
    deal = forms.ModelChoiceField(
        label=_("From deal"), queryset=Deal.objects.none(), required=False
    )
    agreement = forms.ModelChoiceField(
        label=_("Key-account agreement"),
        queryset=Agreement.objects.none(),
        required=False,
        help_text=_("The client's (or its group's) agreement this contract carries."),
    )
    start_date = forms.DateField(label=_("Start date"), widget=_DATE)
    end_date = forms.DateField(label=_("End date"), widget=_DATE, required=False)
    value = forms.DecimalField(label=_("Value"), max_digits=14, decimal_places=2, min_value=0)
    currency = forms.CharField(label=_("Currency"), max_length=3, initial="EUR")
    is_auto_renewal = forms.BooleanField(label=_("Renews automatically"), required=False)
    renewal_term_months = forms.IntegerField(
        label=_("Renewal term (months)"), min_value=1, max_value=120, required=False
    )
    notice_period_days = forms.IntegerField(
        label=_("Notice period (days)"), min_value=1, max_value=3650, required=False
    )
    has_referral_clause = forms.BooleanField(
        label=_("Client agreed to give recommendations"), required=False
    )
    referral_terms = forms.CharField(
        label=_("Referral terms"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    notes = forms.CharField(
        label=_("Notes"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, user: Any, account: Account | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        users = get_user_model().objects.filter(is_active=True).order_by("username")
        changeable = Account.objects.visible_to(user, "change").order_by("name")
        cast(Any, self.fields["account"]).queryset = changeable
        cast(Any, self.fields["owner"]).queryset = users
        cast(Any, self.fields["our_signatory"]).queryset = users
        if account is not None:
            root = account_group_root(account)
            group = changeable.filter(Q(pk=root) | Q(parent=root) | Q(parent__parent=root)).exclude(
                pk=account.pk
            )
            cast(Any, self.fields["other_accounts"]).queryset = group
            cast(Any, self.fields["client_signatories"]).queryset = Contact.objects.filter(
                Q(account=account) | Q(account__in=group)
            ).order_by("last_name")
            cast(Any, self.fields["deal"]).queryset = Deal.objects.visible_to(user).filter(
                account=account
            )
            cast(Any, self.fields["agreement"]).queryset = (
                Agreement.objects.visible_to(user)
                .filter(Q(account=root) | Q(account__parent=root) | Q(account__parent__parent=root))
                .order_by("-valid_from", "pk")
            )
        for name in access.hidden_fields(user, _contract_model()):
            del self.fields[name]

    def service_data(self) -> dict[str, Any]:
        data = {k: v for k, v in self.cleaned_data.items() if k != "version"}
        if not data.get("owner"):
            data.pop("owner", None)
        return data


def _contract_model() -> Any:
    from kam.contracts.models import Contract

    return Contract


class GenerateForm(forms.Form):
    fmt = forms.ChoiceField(choices=[("pdf", "PDF"), ("docx", "DOCX")])


class TransitionForm(forms.Form):
    status = forms.ChoiceField(choices=choices.ContractStatus.choices)
    reason = forms.CharField(required=False, max_length=2000)
    signed_on = forms.DateField(required=False)


class ObligationForm(BootstrapFormMixin, forms.Form):
    side = forms.ChoiceField(label=_("Side"), choices=choices.Side.choices)
    description = forms.CharField(label=_("What"), max_length=2000)
    due_date = forms.DateField(label=_("Due date"), widget=_DATE, required=False)
    department = forms.ModelChoiceField(
        label=_("Department"), queryset=Department.objects.order_by("name"), required=False
    )
    assignee = forms.ModelChoiceField(
        label=_("User"),
        queryset=get_user_model().objects.filter(is_active=True).order_by("username"),
        required=False,
    )
    contact = forms.ModelChoiceField(
        label=_("Client's contact"), queryset=Contact.objects.none(), required=False
    )

    def __init__(self, *args: Any, contract: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        parties = [contract.account_id, *contract.other_accounts.values_list("pk", flat=True)]
        cast(Any, self.fields["contact"]).queryset = Contact.objects.filter(
            account__in=parties
        ).order_by("last_name")


class CloseObligationForm(forms.Form):
    status = forms.ChoiceField(choices=choices.ObligationStatus.choices)
    note = forms.CharField(required=False, max_length=2000)
