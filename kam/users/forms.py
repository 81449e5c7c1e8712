from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.utils.translation import gettext_lazy as _

from kam.core.forms import BootstrapFormMixin
from kam.users.models import User


class LoginForm(AuthenticationForm):
    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )


class ProfileForm(BootstrapFormMixin, forms.ModelForm[User]):
    version = forms.IntegerField(widget=forms.HiddenInput)

    class Meta:
        model = User
        fields = ["first_name", "last_name", "email", "phone", "timezone", "language"]
        widgets = {
            "language": forms.Select(
                choices=[("", _("Browser default")), ("en", "English"), ("ru", "Русский")]
            )
        }


class KamPasswordChangeForm(BootstrapFormMixin, PasswordChangeForm):
    pass
