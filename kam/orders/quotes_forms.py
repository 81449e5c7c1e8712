"""What users type on the quote pages; the services check access and the rules."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kam.catalog.models import Product
from kam.core.forms import BootstrapFormMixin
from kam.orders.forms import DATE, OrderForm
from kam.orders.quotes_services import QuoteLineInput

LINE_ROWS = 6


class QuoteForm(OrderForm):
    """The quote's header (account, deal, owner, validity, notes); lines from `QuoteLineFormSet`."""

    valid_until = forms.DateField(
        label=_("Valid until"),
        required=False,
        widget=DATE,
        help_text=_("Empty: 30 days from today."),
    )

    field_order = ["account", "deal", "owner", "valid_until", "notes"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["requested_date"]
        del self.fields["promised_date"]
        self.order_fields(self.field_order)


class QuoteLineForm(BootstrapFormMixin, forms.Form):
    product = forms.ModelChoiceField(
        label=_("Product"), queryset=Product.objects.filter(is_active=True), required=False
    )
    quantity = forms.DecimalField(
        label=_("Quantity"), max_digits=12, decimal_places=3, required=False
    )
    discount_percent = forms.DecimalField(
        label=_("Discount (%)"), max_digits=5, decimal_places=2, required=False
    )

    def line(self) -> QuoteLineInput | None:
        data = self.cleaned_data
        if not data.get("product"):
            return None
        return QuoteLineInput(
            product=data["product"],
            quantity=data.get("quantity") or Decimal("0"),
            discount_percent=data.get("discount_percent") or Decimal("0"),
        )


QuoteLineFormSet = forms.formset_factory(QuoteLineForm, extra=0, min_num=LINE_ROWS, max_num=100)


class QuoteRejectForm(BootstrapFormMixin, forms.Form):
    reason = forms.CharField(label=_("Why the client declined"), max_length=255)
