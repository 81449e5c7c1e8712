from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from kam.accounts import choices
from kam.accounts.models import Account, ContactConsent, CustomField
from kam.accounts.services import ConsentInput
from kam.core.forms import BootstrapFormMixin


class AccountForm(BootstrapFormMixin, forms.Form):
    """What a manager types about a company; the service validates and normalises it."""

    name = forms.CharField(label=_("Name"), max_length=255)
    legal_name = forms.CharField(label=_("Legal name"), max_length=255, required=False)
    country = forms.ChoiceField(
        label=_("Country"), choices=lambda: [("", "—"), *countries], required=False
    )
    tax_number = forms.CharField(label=_("Tax / VAT number"), max_length=32, required=False)
    registration_number = forms.CharField(
        label=_("Registration number"), max_length=32, required=False
    )
    industry = forms.CharField(label=_("Industry"), max_length=100, required=False)
    size_band = forms.ChoiceField(
        label=_("Size"), choices=[("", "—"), *choices.SizeBand.choices], required=False
    )
    website = forms.CharField(label=_("Website"), max_length=255, required=False)
    emails = forms.CharField(
        label=_("E-mails"), required=False, help_text=_("Separate several with commas.")
    )
    phones = forms.CharField(
        label=_("Phones"),
        required=False,
        help_text=_("With country code, or as dialled in the account's country."),
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=choices.Kind.choices)
    tier = forms.ChoiceField(label=_("Tier"), choices=choices.Tier.choices)
    status = forms.ChoiceField(label=_("Lifecycle status"), choices=choices.Status.choices)
    source = forms.ChoiceField(
        label=_("Acquisition source"), choices=[("", "—"), *choices.Source.choices], required=False
    )
    notes = forms.CharField(
        label=_("Notes"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def service_data(self) -> dict[str, Any]:
        data = {k: v for k, v in self.cleaned_data.items() if k != "version"}
        for name in ("emails", "phones"):
            data[name] = [part.strip() for part in data[name].split(",") if part.strip()]
        return data


class BulkActionForm(forms.Form):
    action = forms.ChoiceField(
        choices=[
            ("tag", _("Add tag")),
            ("untag", _("Remove tag")),
            ("tier", _("Change tier")),
            ("reassign", _("Reassign owner")),
        ]
    )
    value = forms.CharField(required=False, max_length=100)
    owner = forms.ModelChoiceField(
        queryset=get_user_model().objects.filter(is_active=True), required=False
    )
    ids = forms.CharField()

    def account_ids(self) -> list[int]:
        return [int(i) for i in self.cleaned_data["ids"].split(",") if i.strip().isdigit()]


class MultipleTextInput(forms.Widget):
    """Several inputs of one name (e-mails, phones): the stored values and one empty input;
    `core/multivalue.js` adds more on demand."""

    template_name = "accounts/widgets/multiple_text.html"

    def __init__(self, attrs: dict[str, Any] | None = None, input_type: str = "text") -> None:
        super().__init__(attrs)
        self.input_type = input_type

    def format_value(self, value: Any) -> list[str]:  # type: ignore[override]
        if value in (None, ""):
            return []
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return [str(part) for part in value]

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        context["widget"]["values"] = [*self.format_value(value), ""]
        context["widget"]["input_type"] = self.input_type
        context["widget"]["label"] = getattr(self, "label", name)
        return context

    def value_from_datadict(self, data: Any, files: Any, name: str) -> list[str]:
        getlist = getattr(data, "getlist", None)
        values = getlist(name) if getlist else data.get(name, [])
        return [values] if isinstance(values, str) else list(values)

    def value_omitted_from_data(self, data: Any, files: Any, name: str) -> bool:
        return name not in data


class MultipleValueField(forms.Field):
    """A list of short texts typed into several inputs; blanks dropped, order kept."""

    widget = MultipleTextInput

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.widget.label = self.label  # type: ignore[attr-defined]  # names inputs 2, 3...

    def to_python(self, value: Any) -> list[str]:
        if value in (None, ""):
            return []
        values = [value] if isinstance(value, str) else value
        return [str(v).strip() for v in values if str(v).strip()]


# --- Edit in place on the account page ---------------------------------------------------------

# The key facts one can edit in place, each with the form fields its inline form shows.
FACT_FIELDS: dict[str, tuple[str, ...]] = {
    "legal_name": ("legal_name",),
    "kind": ("kind",),
    "tier": ("tier",),
    "status": ("status",),
    "owner": ("owner",),
    "industry": ("industry",),
    "size_band": ("size_band",),
    "country": ("country",),
    "tax_number": ("tax_number",),
    "registration_number": ("registration_number",),
    "website": ("website",),
    "phones": ("phones",),
    "emails": ("emails",),
    "source": ("source",),
    "credit_limit": ("credit_limit", "currency"),
    "payment_terms_days": ("payment_terms_days",),
}


class AccountFactForm(BootstrapFormMixin, forms.Form):
    """One key fact of an account, edited in place; only the fact's own fields remain."""

    legal_name = AccountForm.base_fields["legal_name"]
    kind = AccountForm.base_fields["kind"]
    tier = AccountForm.base_fields["tier"]
    status = AccountForm.base_fields["status"]
    owner = forms.ModelChoiceField(
        label=_("Owner"), queryset=get_user_model().objects.filter(is_active=True)
    )
    industry = AccountForm.base_fields["industry"]
    size_band = AccountForm.base_fields["size_band"]
    country = AccountForm.base_fields["country"]
    tax_number = AccountForm.base_fields["tax_number"]
    registration_number = AccountForm.base_fields["registration_number"]
    website = AccountForm.base_fields["website"]
    phones = MultipleValueField(
        label=_("Phones"), required=False, widget=MultipleTextInput(input_type="tel")
    )
    emails = MultipleValueField(
        label=_("E-mails"), required=False, widget=MultipleTextInput(input_type="email")
    )
    source = AccountForm.base_fields["source"]
    credit_limit = forms.DecimalField(
        label=_("Credit limit"), max_digits=14, decimal_places=2, min_value=0, required=False
    )
    currency = forms.CharField(label=_("Currency"), min_length=3, max_length=3)
    payment_terms_days = forms.IntegerField(
        label=_("Payment terms (days)"), min_value=0, max_value=365, required=False
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, fact: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        keep = {*FACT_FIELDS[fact], "version"}
        for name in list(self.fields):
            if name not in keep:
                del self.fields[name]

    def clean_currency(self) -> str:
        return str(self.cleaned_data["currency"]).upper()

    def service_data(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if k != "version"}


class TeamMemberForm(BootstrapFormMixin, forms.Form):
    member = forms.ModelChoiceField(label=_("User"), queryset=get_user_model().objects.none())
    role = forms.CharField(label=_("Role in the team"), max_length=100, required=False)

    def __init__(self, *args: Any, candidates: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        member = self.fields["member"]
        assert isinstance(member, forms.ModelChoiceField)
        member.queryset = candidates


class AddressForm(BootstrapFormMixin, forms.Form):
    street = forms.CharField(label=_("Street"), max_length=255, required=False)
    postal_code = forms.CharField(label=_("Postal code"), max_length=20, required=False)
    city = forms.CharField(label=_("City"), max_length=100, required=False)
    region = forms.CharField(label=_("Region"), max_length=100, required=False)
    country = forms.ChoiceField(
        label=_("Country"), choices=lambda: [("", "—"), *countries], required=False
    )
    expected_updated_at = forms.DateTimeField(widget=forms.HiddenInput, required=False)


class TagsForm(BootstrapFormMixin, forms.Form):
    tags = forms.CharField(
        label=_("Tags"),
        max_length=1000,
        required=False,
        help_text=_("Separate tags with commas."),
    )

    def names(self) -> list[str]:
        return [n.strip() for n in self.cleaned_data["tags"].split(",") if n.strip()]


# --- Contacts -------------------------------------------------------------------------------------

CONSENT_CHOICES = [("", _("Not asked")), ("yes", _("Granted")), ("no", _("Refused"))]


class ContactForm(BootstrapFormMixin, forms.Form):
    """What a manager types about a person; the service validates and normalises it. Consent
    per channel and the admin's custom fields are added as fields of their own."""

    first_name = forms.CharField(label=_("First name"), max_length=100, required=False)
    middle_name = forms.CharField(label=_("Middle name"), max_length=100, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=100)
    job_title = forms.CharField(label=_("Job title"), max_length=150, required=False)
    buying_role = forms.ChoiceField(
        label=_("Buying role"), choices=[("", "—"), *choices.BuyingRole.choices], required=False
    )
    emails = MultipleValueField(
        label=_("E-mails"), required=False, widget=MultipleTextInput(input_type="email")
    )
    phones = MultipleValueField(
        label=_("Phones"),
        required=False,
        widget=MultipleTextInput(input_type="tel"),
        help_text=_("With country code, or as dialled in the account's country."),
    )
    preferred_channel = forms.ChoiceField(
        label=_("Preferred channel"), choices=[("", "—"), *choices.Channel.choices], required=False
    )
    do_not_contact = forms.BooleanField(label=_("Do not contact"), required=False)
    birthday = forms.DateField(
        label=_("Birthday"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    owner = forms.ModelChoiceField(
        label=_("Owner"),
        queryset=get_user_model().objects.filter(is_active=True),
        required=False,
        help_text=_("Empty: the account's owner."),
    )
    notes = forms.CharField(
        label=_("Notes"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    ignore_duplicates = forms.BooleanField(widget=forms.HiddenInput, required=False)

    def __init__(
        self,
        *args: Any,
        custom_fields: Iterable[CustomField] = (),
        consents: Iterable[ContactConsent] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.custom_fields = list(custom_fields)
        self.stored_consents = {c.channel: c for c in consents}
        for definition in self.custom_fields:
            self.fields[f"custom_{definition.key}"] = _custom_form_field(definition)
        for channel, label in choices.Channel.choices:
            stored = self.stored_consents.get(channel)
            self.fields[f"consent_{channel}"] = forms.ChoiceField(
                label=label, choices=CONSENT_CHOICES, required=False
            )
            self.fields[f"consent_{channel}_given_at"] = forms.DateField(
                label=_("%s: when") % label,
                required=False,
                widget=forms.DateInput(attrs={"type": "date"}),
            )
            self.fields[f"consent_{channel}_how"] = forms.CharField(
                label=_("%s: how") % label, max_length=200, required=False
            )
            if stored is not None and not self.is_bound:
                self.initial.setdefault(f"consent_{channel}", "yes" if stored.is_granted else "no")
                self.initial.setdefault(
                    f"consent_{channel}_given_at", timezone.localdate(stored.given_at)
                )
                self.initial.setdefault(f"consent_{channel}_how", stored.how)
        super_init_bootstrap(self)

    def custom_bound_fields(self) -> list[forms.BoundField]:
        return [self[f"custom_{d.key}"] for d in self.custom_fields]

    def consent_rows(
        self,
    ) -> list[tuple[str, forms.BoundField, forms.BoundField, forms.BoundField]]:
        return [
            (
                str(label),
                self[f"consent_{channel}"],
                self[f"consent_{channel}_given_at"],
                self[f"consent_{channel}_how"],
            )
            for channel, label in choices.Channel.choices
        ]

    def main_fields(self) -> list[forms.BoundField]:
        names = [n for n in self.base_fields if n not in ("version", "ignore_duplicates")]
        return [self[n] for n in names]

    def service_data(self, account: Account | None = None) -> dict[str, Any]:
        data = {
            name: self.cleaned_data[name]
            for name in self.base_fields
            if name not in ("version", "ignore_duplicates")
        }
        if data["owner"] is None:
            data.pop("owner")
        if account is not None:
            data["account"] = account
        data["custom"] = {
            d.key: _custom_text(self.cleaned_data.get(f"custom_{d.key}"))
            for d in self.custom_fields
        }
        return data

    def consents(self) -> dict[str, ConsentInput]:
        """The consent per channel; an unchanged date keeps the stored moment, a new answer
        given today is stamped now, another day at noon of that day."""
        answers: dict[str, ConsentInput] = {}
        for channel in choices.Channel.values:
            answer = self.cleaned_data.get(f"consent_{channel}") or ""
            day = self.cleaned_data.get(f"consent_{channel}_given_at")
            stored = self.stored_consents.get(channel)
            given_at = None
            if day is not None:
                if stored is not None and timezone.localdate(stored.given_at) == day:
                    given_at = stored.given_at
                elif day != timezone.localdate():
                    given_at = timezone.make_aware(datetime.combine(day, time(12)))
            answers[channel] = ConsentInput(
                is_granted={"yes": True, "no": False}.get(answer),
                given_at=given_at,
                how=self.cleaned_data.get(f"consent_{channel}_how") or "",
            )
        return answers

    def apply_errors(self, fields: dict[str, list[str]], message: str) -> None:
        """Put the service's errors on the fields they name (`custom.key` on its field)."""
        for field, messages in fields.items():
            name = field.replace("custom.", "custom_", 1)
            target = name if name in self.fields else None
            for text in messages:
                self.add_error(target, text)
        if not fields:
            self.add_error(None, message)


def super_init_bootstrap(form: forms.Form) -> None:
    """Bootstrap classes on fields added after the mixin ran."""
    for field in form.fields.values():
        widget = field.widget
        if "class" in widget.attrs:
            continue
        css = "form-select" if isinstance(widget, forms.Select) else "form-control"
        if isinstance(widget, forms.CheckboxInput):
            css = "form-check-input"
        widget.attrs["class"] = css


def _custom_form_field(definition: CustomField) -> forms.Field:
    common: dict[str, Any] = {"label": definition.label, "required": False}
    if definition.field_type == choices.CustomFieldType.BOOLEAN:
        return forms.ChoiceField(choices=[("", "—"), ("yes", _("Yes")), ("no", _("No"))], **common)
    if definition.field_type == choices.CustomFieldType.CHOICE:
        return forms.ChoiceField(
            choices=[("", "—"), *((o, o) for o in definition.options)], **common
        )
    if definition.field_type == choices.CustomFieldType.DATE:
        return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **common)
    if definition.field_type == choices.CustomFieldType.NUMBER:
        return forms.CharField(
            max_length=40, widget=forms.TextInput(attrs={"inputmode": "decimal"}), **common
        )
    return forms.CharField(max_length=1000, **common)


def _custom_text(value: Any) -> Any:
    if value is None or value == "":
        return None
    return value.isoformat() if isinstance(value, date) else value
