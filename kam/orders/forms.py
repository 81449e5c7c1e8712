"""What users type on the order pages; the services check access and the rules."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from kam.accounts.models import Account
from kam.catalog.models import Product
from kam.core.forms import BootstrapFormMixin
from kam.orders.choices import TASK_DEPARTMENT_KINDS, Decision, OrderStatus
from kam.orders.services import LineInput
from kam.sales.models import Deal
from kam.users.models import Department

DATE = forms.DateInput(attrs={"type": "date"})
LINE_ROWS = 8


class OrderForm(BootstrapFormMixin, forms.Form):
    """The order's header; the lines come from `LineFormSet`."""

    account = forms.ModelChoiceField(
        label=_("Account"),
        queryset=Account.objects.none(),
        widget=forms.TextInput(attrs={"list": "order-account-options", "autocomplete": "off"}),
        help_text=_("Type part of the name and pick the account."),
    )
    deal = forms.ModelChoiceField(
        label=_("Deal"),
        queryset=Deal.objects.none(),
        required=False,
        help_text=_("The account's deals; choose the account first."),
    )
    owner = forms.ModelChoiceField(
        label=_("Owner"), queryset=get_user_model().objects.none(), required=False
    )
    requested_date = forms.DateField(label=_("Requested date"), required=False, widget=DATE)
    promised_date = forms.DateField(label=_("Promised date"), required=False, widget=DATE)
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = Account.objects.visible_to(user, "change")  # type: ignore[attr-defined]
        self.fields["owner"].queryset = get_user_model().objects.filter(is_active=True)  # type: ignore[attr-defined]
        # The deal list is the chosen account's only (all of a user's deals would not scale).
        account_id = (self.data.get("account") if self.is_bound else None) or self.initial.get(
            "account"
        )
        deals = Deal.objects.visible_to(user)
        self.fields["deal"].queryset = (  # type: ignore[attr-defined]
            deals.filter(account_id=account_id) if str(account_id or "").isdigit() else deals.none()
        )

    def chosen_account(self) -> Account | None:
        """The account the form starts with (for the picker's first option)."""
        raw = (self.data.get("account") if self.is_bound else None) or self.initial.get("account")
        if not str(raw or "").isdigit():
            return None
        queryset = self.fields["account"].queryset  # type: ignore[attr-defined]
        found: Account | None = queryset.filter(pk=raw).first()
        return found


class LineForm(BootstrapFormMixin, forms.Form):
    product = forms.ModelChoiceField(
        label=_("Product"), queryset=Product.objects.filter(is_active=True), required=False
    )
    quantity = forms.DecimalField(
        label=_("Quantity"), max_digits=12, decimal_places=3, required=False
    )
    discount_percent = forms.DecimalField(
        label=_("Discount (%)"), max_digits=5, decimal_places=2, required=False
    )
    promised_date = forms.DateField(label=_("Promised date"), required=False, widget=DATE)

    def line(self) -> LineInput | None:
        data = self.cleaned_data
        if not data.get("product"):
            return None
        return LineInput(
            product=data["product"],
            quantity=data.get("quantity") or Decimal("0"),
            discount_percent=data.get("discount_percent") or Decimal("0"),
            promised_date=data.get("promised_date"),
        )


LineFormSet = forms.formset_factory(LineForm, extra=0, min_num=LINE_ROWS, max_num=100)


class TransitionForm(BootstrapFormMixin, forms.Form):
    to = forms.ChoiceField(label=_("Move to"), choices=OrderStatus.choices)
    reason = forms.CharField(label=_("Reason"), max_length=255, required=False)
    request_approval = forms.BooleanField(label=_("Ask for approval"), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class DeliveryForm(BootstrapFormMixin, forms.Form):
    """One quantity field per open line (`line_<id>`)."""

    delivered_on = forms.DateField(label=_("Delivered on"), widget=DATE)
    note = forms.CharField(label=_("Note"), max_length=255, required=False)

    def __init__(self, *args: Any, lines: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.line_names: list[tuple[str, Any]] = []
        for line in lines:
            name = f"line_{line.pk}"
            self.fields[name] = forms.DecimalField(
                label=str(line.product),
                max_digits=12,
                decimal_places=3,
                required=False,
                min_value=Decimal("0"),
            )
            self.fields[name].widget.attrs["class"] = "form-control form-control-sm"
            self.line_names.append((name, line))

    def quantities(self) -> list[tuple[int, Decimal]]:
        return [
            (line.pk, self.cleaned_data[name])
            for name, line in self.line_names
            if self.cleaned_data.get(name)
        ]


class TaskForm(BootstrapFormMixin, forms.Form):
    department = forms.ModelChoiceField(
        label=_("Department"),
        queryset=Department.objects.filter(kind__in=TASK_DEPARTMENT_KINDS),
    )
    title = forms.CharField(label=_("Task"), max_length=200)
    due_date = forms.DateField(label=_("Due date"), widget=DATE)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class DecisionForm(BootstrapFormMixin, forms.Form):
    decision = forms.ChoiceField(label=_("Decision"), choices=Decision.choices)
    comment = forms.CharField(
        label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
