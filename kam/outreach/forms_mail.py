"""The mail pages' forms: write an e-mail, import a file, set up a mailbox, a contact from an
unknown sender. Each only validates input; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kam.accounts.models import Account
from kam.core import access
from kam.core.forms import BootstrapFormMixin
from kam.outreach.models import EmailTemplate
from kam.sales.models import Deal

MAX_UPLOAD = 50 * 1024 * 1024


class ComposeForm(BootstrapFormMixin, forms.Form):
    subject = forms.CharField(label=_("Subject"), max_length=255)
    body = forms.CharField(
        label=_("Text"),
        widget=forms.Textarea(attrs={"rows": 12}),
        strip=False,
        help_text=_(
            "You may use {{ contact.first_name }}, {{ contact.last_name }}, {{ account.name }}, "
            "{{ deal.title }}, {{ user.full_name }} and {% if %} / {% for %}."
        ),
    )
    cc = forms.CharField(
        label=_("Copy to"),
        required=False,
        max_length=2000,
        help_text=_("E-mail addresses, separated by commas."),
    )
    deal = forms.ModelChoiceField(label=_("Deal"), queryset=Deal.objects.none(), required=False)

    def __init__(self, *args: Any, user: Any, account: Account, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["deal"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Deal.objects.visible_to(user, "change").filter(account=account)

    def cc_list(self) -> tuple[str, ...]:
        raw = str(self.cleaned_data.get("cc") or "")
        return tuple(part.strip() for part in raw.replace(";", ",").split(",") if part.strip())


class TemplatePickForm(BootstrapFormMixin, forms.Form):
    template = forms.ModelChoiceField(
        label=_("Start from a template"), queryset=EmailTemplate.objects.none(), required=False
    )

    def __init__(self, *args: Any, templates: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["template"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = templates


class ImportForm(BootstrapFormMixin, forms.Form):
    file = forms.FileField(
        label=_("E-mail file"), help_text=_("An .eml message or an .mbox mailbox export.")
    )

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD:
            raise forms.ValidationError(_("The file is too large."))
        return upload


class MailboxForm(BootstrapFormMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    email_address = forms.EmailField(label=_("Address"))
    host = forms.CharField(label=_("IMAP host"), max_length=255)
    port = forms.IntegerField(label=_("IMAP port"), min_value=1, max_value=65535, initial=993)
    use_ssl = forms.BooleanField(label=_("SSL"), required=False, initial=True)
    username = forms.CharField(label=_("User name"), max_length=255)
    password = forms.CharField(
        label=_("Password"), widget=forms.PasswordInput(render_value=False), max_length=500
    )
    folder = forms.CharField(label=_("Folder"), max_length=255, initial="INBOX")
    is_shared = forms.BooleanField(label=_("Shared mailbox (administrators only)"), required=False)

    def service_data(self) -> dict[str, Any]:
        skip = {"password", "is_shared", "version"}
        return {k: v for k, v in self.cleaned_data.items() if k not in skip}


class MailboxEditForm(MailboxForm):
    """The settings of an existing mailbox; an empty password keeps the stored one."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    is_active = forms.BooleanField(label=_("Active"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["is_shared"]
        self.fields["password"].required = False
        self.fields["password"].help_text = _("Leave empty to keep the stored password.")


class SenderContactForm(BootstrapFormMixin, forms.Form):
    account = forms.ModelChoiceField(
        label=_("Account"),
        queryset=Account.objects.none(),
        widget=forms.TextInput(attrs={"list": "sender-account-options", "autocomplete": "off"}),
        help_text=_("Type part of the name and pick the account."),
    )
    first_name = forms.CharField(label=_("First name"), max_length=100, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=100)
    email = forms.EmailField(label=_("E-mail"), disabled=True, required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["account"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Account.objects.filter(access.visible_q(user, Account, "change")).order_by(
            "name", "pk"
        )
