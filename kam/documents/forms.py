from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Model
from django.utils.translation import gettext_lazy as _

from kam.accounts.models import Account, Contact
from kam.core.forms import BootstrapFormMixin
from kam.documents import choices


def record_account_id(record: Model) -> int | None:
    """The account a record belongs to (itself for an account), for the correspondent choices."""
    if isinstance(record, Account):
        return int(record.pk)
    account_id = getattr(record, "account_id", None)
    return int(account_id) if account_id is not None else None


class DocumentUploadForm(BootstrapFormMixin, forms.Form):
    """A new document on a record: metadata and its first file. The correspondent choices are
    the record's own account and its contacts (as far as the user may see them)."""

    title = forms.CharField(label=_("Title / subject"), max_length=255)
    kind = forms.ChoiceField(label=_("Kind"), choices=choices.Kind.choices)
    direction = forms.ChoiceField(
        label=_("Direction"), choices=choices.Direction.choices, initial=choices.Direction.INTERNAL
    )
    number = forms.CharField(label=_("Document number"), max_length=64, required=False)
    date = forms.DateField(
        label=_("Document date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    correspondent_account = forms.ModelChoiceField(
        label=_("Correspondent"), queryset=Account.objects.none(), required=False
    )
    correspondent_contact = forms.ModelChoiceField(
        label=_("Contact"), queryset=Contact.objects.none(), required=False
    )
    file = forms.FileField(label=_("File"))

    def __init__(self, *args: Any, user: Any, record: Model, **kwargs: Any) -> None:
        # Own ids: the record page holds other apps' forms with fields of the same names.
        kwargs.setdefault("auto_id", "document_%s")
        super().__init__(*args, **kwargs)
        account_id = record_account_id(record)
        accounts = Account.objects.visible_to(user).filter(pk=account_id)
        contacts = Contact.objects.visible_to(user).filter(account_id=account_id)
        self.fields["correspondent_account"].queryset = accounts  # type: ignore[attr-defined]
        self.fields["correspondent_contact"].queryset = contacts.order_by(  # type: ignore[attr-defined]
            "last_name", "first_name", "pk"
        )

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        upload = data.pop("file")
        return {**data, "upload": upload, "filename": upload.name}


class VersionUploadForm(BootstrapFormMixin, forms.Form):
    file = forms.FileField(label=_("New version"))
    comment = forms.CharField(label=_("What changed"), max_length=255, required=False)
