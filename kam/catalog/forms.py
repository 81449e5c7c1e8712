"""The product form of admins and heads of sales; the service checks the rights and the rules."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kam.catalog.models import ProductLine
from kam.core.forms import BootstrapFormMixin

DATE = forms.DateInput(attrs={"type": "date"})


class ProductForm(BootstrapFormMixin, forms.Form):
    sku = forms.CharField(label=_("SKU"), max_length=64)
    name = forms.CharField(label=_("Name"), max_length=200)
    line = forms.ModelChoiceField(
        label=_("Product line"), queryset=ProductLine.objects.order_by("name"), required=False
    )
    unit = forms.CharField(label=_("Unit"), max_length=20, initial="pcs")
    list_price = forms.DecimalField(
        label=_("List price"), max_digits=14, decimal_places=2, min_value=Decimal("0")
    )
    currency = forms.RegexField(
        label=_("Currency"),
        regex=r"^[A-Z]{3}$",
        initial="EUR",
        error_messages={"invalid": _("Three capital letters (ISO 4217), e.g. EUR.")},
    )
    vat_rate = forms.DecimalField(
        label=_("VAT rate (%)"),
        max_digits=5,
        decimal_places=2,
        min_value=Decimal("0"),
        max_value=Decimal("100"),
        initial=Decimal("20.00"),
    )
    launch_date = forms.DateField(label=_("Launch date"), required=False, widget=DATE)
    discontinued_on = forms.DateField(label=_("Discontinued on"), required=False, widget=DATE)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("version", None)
        return data
