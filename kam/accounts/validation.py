"""Validation and normalisation of what people type about companies and contacts.

Pure functions (no database): the services, the importer and the duplicate finder share them,
so a value is checked and normalised the same way wherever it enters.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from email_validator import EmailNotValidError, validate_email
from stdnum import get_cc_module
from stdnum.exceptions import ValidationError as StdnumError
from unidecode import unidecode

# Legal forms dropped from a name before comparing (after transliteration and case folding).
LEGAL_FORMS = frozenset(
    [
        "llc",
        "ltd",
        "limited",
        "inc",
        "incorporated",
        "corp",
        "corporation",
        "co",
        "company",
        "plc",
        "gmbh",
        "mbh",
        "ag",
        "kg",
        "ohg",
        "ug",
        "sa",
        "sas",
        "sarl",
        "srl",
        "spa",
        "bv",
        "nv",
        "oy",
        "ab",
        "as",
        "asa",
        "aps",
        "sro",
        "spol",
        "zrt",
        "kft",
        "sp",
        "zoo",
        "oao",
        "zao",
        "ooo",
        "pao",
        "ao",
        "ip",
        "tov",
        "pjsc",
        "ojsc",
        "cjsc",
        "jsc",
        "llp",
        "lp",
        "pte",
        "pty",
        "bhd",
        "kk",
        "se",
        "the",
        "group",
        "holding",
        "holdings",
    ]
)
_NON_WORD = re.compile(r"[^0-9a-z]+")


def name_key(name: str) -> str:
    """`OOO «Ромашка»`, `Romashka LLC` and `ROMASHKA, L.L.C.` all give `romashka`."""
    words = _NON_WORD.sub(" ", unidecode(name or "").casefold().replace(".", "")).split()
    kept = [word for word in words if word not in LEGAL_FORMS]
    return " ".join(kept or words)


def domain_of(value: str) -> str:
    """The registrable host of a website or an e-mail address, without `www.`."""
    value = (value or "").strip().lower()
    if not value:
        return ""
    if "@" in value and "://" not in value:
        value = value.rsplit("@", 1)[1]
    host = urlsplit(value if "://" in value else f"http://{value}").hostname or ""
    return host.removeprefix("www.")


def clean_email(value: str) -> str:
    """A syntactically valid address (no DNS lookup), normalised; raises ValidationError."""
    try:
        result = validate_email(value.strip(), check_deliverability=False)
    except EmailNotValidError as error:
        raise ValidationError(
            _("%(value)s is not a valid e-mail address: %(reason)s"),
            params={"value": value, "reason": str(error)},
        ) from None
    return str(result.normalized)


def clean_phone(value: str, region: str | None = None) -> str:
    """The number in E.164 (`+4930123456`); a number without a country code is read in
    `region` (the account's country) or KAM_DEFAULT_PHONE_REGION."""
    region = region or settings.KAM_DEFAULT_PHONE_REGION or None
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_possible_number(number):
        raise ValidationError(_("%(value)s is not a valid phone number"), params={"value": value})
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


# The tax numbers python-stdnum checks for a country, tried in order.
_TAX_MODULES = (
    "vat",
    "inn",
    "tin",
    "nif",
    "cif",
    "ustid",
    "steuernummer",
    "btw",
    "mva",
    "orgnr",
    "ein",
    "abn",
    "gst",
    "rfc",
    "cnpj",
    "cpf",
    "utr",
    "pan",
)


def clean_tax_number(value: str, country: str) -> str:
    """Compact form of a tax/VAT number, checked for `country` where python-stdnum knows how."""
    value = (value or "").strip()
    if not value:
        return ""
    compact = re.sub(r"[\s.\-/]", "", value).upper()
    if not country:
        return compact
    modules = [m for m in (_module(country, name) for name in _TAX_MODULES) if m is not None]
    if not modules:
        return compact
    for module in modules:
        try:
            return str(module.validate(value))
        except StdnumError:
            continue
    raise ValidationError(
        _("%(value)s is not a valid tax number for %(country)s"),
        params={"value": value, "country": country},
    )


def _module(country: str, name: str):  # type: ignore[no-untyped-def]
    try:
        module = get_cc_module(country.lower(), name)
    except (ImportError, ValueError):
        return None
    return module if module is not None and hasattr(module, "validate") else None
