"""The services' validation of e-mails, phones and custom fields, at an import's pace.

A file repeats itself: every contact of a company shares its e-mail domain, phones and regions
recur, and the custom-field definitions are the same for every row. `Cleaner` gives the same
answers as `kam.accounts.validation` and `services.clean_custom` (the same values, the same
messages) while doing each distinct piece of work once per job:

- an e-mail whose local part is a plain dot-atom (`anna.ivanov+news@...`) is checked as
  email-validator checks it, its domain validated and normalised by email-validator once per
  distinct domain; any other address (quoted, non-ASCII, too long, a bad domain) goes to
  email-validator whole, so errors and unusual addresses get exactly its verdict;
- a phone is parsed once per distinct (text, region);
- custom-field definitions are read once per job.

Caches are per job and bounded: memory does not grow with the file.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from kam.accounts import services, validation
from kam.accounts.errors import AccountError
from kam.accounts.models import CustomField

_CACHE_SIZE = 20_000
# A dot-atom of the characters nearly every address uses: no quotes, comments or non-ASCII.
_SIMPLE = re.compile(r"([A-Za-z0-9_%+\-]+(?:\.[A-Za-z0-9_%+\-]+)*)@([A-Za-z0-9.\-]+)")
_LOCAL_MAX = 64  # email-validator's limit of the local part
_SIMPLE_MAX = 200  # well under email-validator's 254 for the whole address
# Where the services list each field's errors (the others, the name first, keep their place).
_ERROR_ORDER = {"emails": 1, "phones": 2, "tax_number": 3, "custom": 4}


class Cleaner:
    """Per-job validation of the list and custom fields of accounts and contacts."""

    def __init__(self) -> None:
        self.domains: dict[str, str | None] = {}
        self.phones: dict[tuple[str, str | None], str] = {}
        self.definitions: dict[str, dict[str, CustomField]] = {}

    # -- e-mails --

    def email(self, value: str) -> str:
        """`validation.clean_email(value)`: the normalised address, or its ValidationError."""
        text = value.strip()
        match = _SIMPLE.fullmatch(text) if len(text) <= _SIMPLE_MAX else None
        if match is None or len(match.group(1)) > _LOCAL_MAX:
            return validation.clean_email(value)
        domain = self.domain(match.group(2))
        if domain is None:
            return validation.clean_email(value)  # the domain is wrong: say it as it says it
        return f"{match.group(1)}@{domain}"

    def domain(self, domain: str) -> str | None:
        """The domain as email-validator normalises it, or None when it refuses it."""
        if domain not in self.domains:
            if len(self.domains) >= _CACHE_SIZE:
                self.domains.clear()
            try:
                normalised = validation.clean_email(f"a@{domain}")
            except ValidationError:
                self.domains[domain] = None
            else:
                self.domains[domain] = normalised.partition("@")[2]
        return self.domains[domain]

    # -- phones --

    def phone(self, value: str, region: str | None) -> str:
        """`validation.clean_phone(value, region)`, once per distinct text and region."""
        key = (value, region or settings.KAM_DEFAULT_PHONE_REGION or None)
        found = self.phones.get(key)
        if found is None:
            found = validation.clean_phone(value, region)  # raises for a bad number
            if len(self.phones) >= _CACHE_SIZE:
                self.phones.clear()
            self.phones[key] = found
        return found

    # -- a record's fields --

    def clean(
        self,
        service: Callable[[dict[str, Any]], dict[str, Any]],
        data: dict[str, Any],
        *,
        region: str | None,
        applies_to: str,
    ) -> dict[str, Any]:
        """`service(data)` (clean_account_data or clean_contact_data) with e-mails, phones and
        custom fields cleaned here: the same values, or the same AccountError."""
        data = dict(data)
        extra, errors = self.lists(data, region=region, applies_to=applies_to)
        try:
            cleaned = service(data)
        except AccountError as error:
            errors = {**error.fields, **errors}
        if errors:
            ordered = sorted(errors.items(), key=lambda i: _ERROR_ORDER.get(i[0].split(".")[0], 0))
            raise AccountError(_("Some values are not valid."), fields=dict(ordered))
        return {**cleaned, **extra}

    def lists(
        self, data: dict[str, Any], *, region: str | None, applies_to: str
    ) -> tuple[dict[str, Any], dict[str, list[str]]]:
        """Take e-mails, phones and custom fields out of `data` and clean them as the service
        would: ({field: cleaned value}, {field: messages})."""
        errors: dict[str, list[str]] = {}
        cleaned: dict[str, Any] = {}
        if "emails" in data:
            cleaned["emails"] = services._clean_list(
                data.pop("emails"), self.email, "emails", errors
            )
        if "phones" in data:
            cleaned["phones"] = services._clean_list(
                data.pop("phones"), lambda v: self.phone(v, region), "phones", errors
            )
        if "custom" in data:
            cleaned["custom"] = self.custom(applies_to, data.pop("custom"), errors)
        return cleaned, errors

    def custom(self, applies_to: str, values: Any, errors: dict[str, list[str]]) -> dict[str, Any]:
        """`services.clean_custom()` against the definitions as the job found them."""
        if applies_to not in self.definitions:
            self.definitions[applies_to] = {
                f.key: f for f in CustomField.objects.filter(applies_to=applies_to)
            }
        definitions = self.definitions[applies_to]
        values = values or {}
        if not isinstance(values, dict):
            errors["custom"] = [_("Custom fields must be an object of key: value.")]
            return {}
        cleaned: dict[str, Any] = {}
        for key, raw in values.items():
            definition = definitions.get(key)
            if definition is None:
                errors.setdefault(f"custom.{key}", []).append(
                    _("There is no custom field %s.") % key
                )
                continue
            try:
                cleaned[key] = services._custom_value(definition, raw)
            except (ValueError, InvalidOperation):
                errors.setdefault(f"custom.{key}", []).append(
                    _("%(value)s is not a valid %(type)s.")
                    % {"value": raw, "type": definition.get_field_type_display().lower()}
                )
        for key, definition in definitions.items():
            if definition.is_required and cleaned.get(key) in (None, ""):
                errors.setdefault(f"custom.{key}", []).append(_("This field is required."))
        return cleaned
