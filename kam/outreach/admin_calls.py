"""The Django admin of telephony lines (registered from wiring, so the calls topic keeps to its
own files). The number is normalised (E.164 or an extension's digits) as the API does it."""

from __future__ import annotations

from django import forms
from django.contrib import admin

from kam.outreach.models import TelephonyLine
from kam.outreach.services.calls import normalise_number


class TelephonyLineForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = TelephonyLine
        fields = ["number", "user", "label", "is_active"]

    def clean_number(self) -> str:
        return normalise_number(str(self.cleaned_data["number"]))


class TelephonyLineAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    form = TelephonyLineForm
    list_display = ("number", "user", "label", "is_active")
    list_filter = ("is_active",)
    search_fields = ("number", "label", "user__username", "user__last_name")
