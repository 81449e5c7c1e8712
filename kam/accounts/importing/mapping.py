"""The column-mapping step: which column of a file feeds which field, and reading cell text.

Headers are recognised after normalisation (case, spaces and punctuation do not matter), among
KAM's own export headers and those of common CRM exports (Salesforce, HubSpot, Odoo) and
Russian spreadsheets. An explicit mapping `{header: field}` overrides the guess for the headers
it names (`null` or "" drops a column). Turning cell text into a value (a country name into its
code, "250" employees into a size band) is parsing, done here; checking the value is left to the
same validation the API uses.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache, partial
from typing import Any

from django.db.models import TextChoices
from django.utils.translation import gettext as _
from django_countries import countries

from kam.accounts import choices
from kam.accounts.importing.reader import ImportFileError
from kam.accounts.models import CustomField, ImportJob

ACCOUNTS, CONTACTS = ImportJob.Target.ACCOUNTS.value, ImportJob.Target.CONTACTS.value
LIST_FIELDS = frozenset(["emails", "phones", "account.emails", "account.phones"])
ADDRESS_KINDS = ("legal", "postal", "delivery")
ADDRESS_PARTS = ("street", "city", "postal_code", "region", "country")


def address_field(kind: str, part: str, prefix: str = "") -> str:
    """`legal_address.city`: the import field of one part of one of an account's addresses."""
    return f"{prefix}{kind}_address.{part}"


# Fields several columns may feed, their texts joined (`Street Address`, `Street Address 2`).
JOINED_FIELDS = frozenset(
    address_field(kind, "street", prefix) for kind in ADDRESS_KINDS for prefix in ("", "account.")
)


class CellError(ValueError):
    """A cell's text cannot be read as a value of its field (the message says why)."""


def normalise(header: str) -> str:
    return re.sub(r"[\W_]+", "", header.casefold())


def _aliases(table: dict[str, Iterable[str]]) -> dict[str, str]:
    return {normalise(alias): name for name, aliases in table.items() for alias in aliases}


# Each part of an address, as exports name it after the address's own prefix ("Billing City",
# HubSpot's "Street Address" and "State/Region", Odoo's "street2" and "zip").
_PART_NAMES = {
    "street": ["street", "street address", "street address 2", "street2", "street 2", "address",
               "address line 1", "address line 2", "address 1", "address 2", "улица", "адрес"],
    "city": ["city", "town", "город"],
    "postal_code": ["postal code", "zip", "zip code", "zip/postal code", "postcode", "post code",
                    "индекс", "почтовый индекс"],
    "region": ["region", "state", "state/region", "state/province", "province", "county",
               "регион", "область"],
    "country": ["country", "country/region", "country code"],
}  # fmt: skip


def _address_aliases(
    prefixes: dict[str, list[str]], skip: dict[str, set[str]] | None = None, field_prefix: str = ""
) -> dict[str, list[str]]:
    """{field: aliases} of the three addresses' parts: each prefix of a kind before each name
    of a part (an empty prefix: the bare "City" is the legal address's city). `skip` leaves out
    the prefixes of a part that name another field ("Billing Country" is the account's)."""
    table: dict[str, list[str]] = {}
    for kind, names in prefixes.items():
        for part, part_names in _PART_NAMES.items():
            table[address_field(kind, part, field_prefix)] = [
                f"{prefix} {name}".strip()
                for prefix in names
                if prefix not in (skip or {}).get(part, set())
                for name in part_names
            ]
    return table


ACCOUNT_ALIASES = _aliases(
    {
        "name": [
            "name", "account name", "company name", "company", "account", "organization",
            "organisation", "organization name", "customer name", "customer", "partner name",
            "display name", "название", "наименование", "компания", "организация", "клиент",
        ],
        "legal_name": [
            "legal name", "registered name", "company legal name", "полное наименование",
        ],
        "country": [
            "country", "billing country", "country/region", "country name", "country code",
            "страна",
        ],
        "tax_number": [
            "tax / vat number", "vat", "vat number", "vat id", "tax id", "tax number", "tin",
            "inn", "ust-id", "ustidnr", "tax identification number", "инн",
        ],
        "registration_number": [
            "registration number", "company registration number", "reg no", "crn", "ogrn",
            "company registry", "огрн",
        ],
        "industry": ["industry", "sector", "отрасль"],
        "size_band": [
            "size", "size band", "company size", "employees", "number of employees",
            "numberofemployees", "employee count", "сотрудников", "численность",
        ],
        "website": [
            "website", "website url", "web", "url", "homepage", "site", "company domain name",
            "domain", "web site", "сайт",
        ],
        "phones": [
            "phone", "phones", "phone number", "main phone", "telephone", "tel", "mobile",
            "company phone", "телефон", "телефоны",
        ],
        "emails": ["email", "e-mail", "e-mails", "emails", "email address", "company email",
                   "электронная почта", "почта"],
        "kind": ["kind", "type", "account type", "company type", "relationship", "тип"],
        "tier": ["tier", "account tier", "уровень"],
        "status": [
            "status", "lifecycle status", "lifecycle stage", "lifecycle", "account status",
            "статус",
        ],
        "owner": [
            "owner", "account owner", "company owner", "salesperson", "assigned to",
            "account manager", "ответственный", "менеджер",
        ],
        "source": [
            "source", "acquisition source", "lead source", "account source", "original source",
            "источник",
        ],
        "credit_limit": ["credit limit", "кредитный лимит"],
        "currency": ["currency", "currency iso code", "валюта"],
        "payment_terms_days": [
            "payment terms", "payment terms (days)", "payment terms days", "отсрочка платежа",
        ],
        "notes": ["notes", "note", "description", "comment", "comments", "примечание",
                  "комментарий"],
        "parent": [
            "parent", "parent account", "parent company", "parent account name",
            "parent account id", "parent id", "parent organization", "group", "holding",
            "головная компания", "материнская компания", "холдинг",
        ],
        "tags": ["tags", "tag", "labels", "label", "keywords", "теги", "метки"],
        **_address_aliases(
            {
                "legal": [
                    "", "billing", "legal", "legal address", "registered", "registered address",
                    "company", "юридический адрес",
                ],
                "postal": ["mailing", "postal", "postal address", "почтовый адрес"],
                "delivery": [
                    "shipping", "delivery", "delivery address", "ship to", "адрес доставки",
                ],
            },
            skip={"country": {"", "billing", "company"}},
        ),
    }
)  # fmt: skip

CONTACT_ALIASES = _aliases(
    {
        "first_name": ["first name", "firstname", "given name", "first", "имя"],
        "last_name": ["last name", "lastname", "surname", "family name", "last", "фамилия"],
        "middle_name": ["middle name", "patronymic", "отчество"],
        "full_name": ["name", "full name", "contact name", "contact", "фио", "контакт"],
        "job_title": [
            "job title", "title", "position", "job position", "function", "должность",
        ],
        "buying_role": ["buying role", "contact role", "роль"],
        "emails": [
            "email", "e-mail", "e-mails", "emails", "email address", "work email",
            "business email", "personal email", "secondary email", "other email", "email 2",
            "email 3", "additional email addresses", "электронная почта", "почта",
        ],
        "phones": [
            "phone", "phones", "phone number", "mobile", "mobile phone", "mobile phone number",
            "work phone", "business phone", "home phone", "other phone", "direct phone",
            "телефон", "мобильный", "телефоны",
        ],
        "preferred_channel": ["preferred channel", "preferred contact method"],
        "do_not_contact": ["do not contact", "do not call", "не беспокоить"],
        "birthday": ["birthday", "birthdate", "date of birth", "дата рождения"],
        "notes": ["notes", "note", "description", "comment", "comments", "примечание"],
        "owner": [
            "owner", "contact owner", "salesperson", "assigned to", "account manager",
            "ответственный",
        ],
        "account.name": [
            "account", "account name", "company", "company name", "organization",
            "organisation", "related company", "associated company", "employer", "компания",
            "организация",
        ],
        "account.website": [
            "website", "website url", "company website", "company domain name", "company domain",
            "domain", "web", "url", "сайт",
        ],
        "account.country": ["country", "country/region", "mailing country", "account country",
                            "страна"],
        "account.tax_number": ["vat", "tax id", "company vat", "account tax number", "inn", "инн"],
        "account.phones": ["company phone", "account phone", "main phone"],
        "account.industry": ["industry", "отрасль"],
        **_address_aliases(
            {"legal": ["company", "account", "billing"], "delivery": ["shipping"]},
            skip={"country": {"company", "account"}},
            field_prefix="account.",
        ),
    }
)  # fmt: skip


def target_fields(target: str) -> list[str]:
    aliases = ACCOUNT_ALIASES if target == ACCOUNTS else CONTACT_ALIASES
    return sorted(set(aliases.values()))


@dataclass
class Column:
    index: int
    header: str
    field: str


@dataclass
class ColumnMap:
    """The columns that feed fields, and what the mapping step has to say."""

    columns: list[Column]
    warnings: list[str] = field(default_factory=list)

    def headers_of(self, name: str) -> list[str]:
        return [c.header for c in self.columns if c.field == name]

    def fields(self) -> set[str]:
        return {c.field for c in self.columns}

    def as_dict(self) -> dict[str, str]:
        return {c.header: c.field for c in self.columns}


def build_mapping(
    headers: list[str],
    *,
    target: str,
    explicit: Mapping[str, str | None] | None = None,
    hidden: Iterable[str] = (),
) -> ColumnMap:
    """Map the file's headers to fields: the explicit mapping first, then recognised headers.

    Raises ImportFileError when the explicit mapping names a column or a field that does not
    exist, or when a field every row needs has no column."""
    custom = _custom_aliases(target)
    known = set(target_fields(target)) | set(custom.values())
    explicit = dict(explicit or {})
    _check_explicit(explicit, headers, known, target)
    aliases = {**(ACCOUNT_ALIASES if target == ACCOUNTS else CONTACT_ALIASES), **custom}
    columns, unknown = [], []
    for index, header in enumerate(headers):
        if header in explicit:
            name = explicit[header] or ""
        else:
            name = aliases.get(normalise(_base(header)), "")
        if name:
            columns.append(Column(index, header, name))
        else:
            unknown.append(header)
    result = ColumnMap(columns)
    _drop_repeated_scalars(result)
    _drop_hidden(result, hidden)
    if unknown:
        result.warnings.append(
            _("Columns not imported (no matching field; map them with a mapping): %s.")
            % ", ".join(unknown)
        )
    _check_required(result, target)
    return result


def _base(header: str) -> str:
    """`Email (2)`, the reader's name for a repeated header, is recognised as `Email`."""
    return re.sub(r" \(\d+\)$", "", header)


def _custom_aliases(target: str) -> dict[str, str]:
    applies_to = "account" if target == ACCOUNTS else "contact"
    aliases: dict[str, str] = {}
    for key, label in CustomField.objects.filter(applies_to=applies_to).values_list("key", "label"):
        aliases[normalise(label)] = aliases[normalise(key)] = f"custom.{key}"
    return aliases


def _check_explicit(
    explicit: dict[str, str | None], headers: list[str], known: set[str], target: str
) -> None:
    missing = [h for h in explicit if h not in headers]
    if missing:
        raise ImportFileError(
            _("The mapping names columns the file does not have: %(missing)s. Its columns: %(h)s.")
            % {"missing": ", ".join(missing), "h": ", ".join(headers)}
        )
    wrong = sorted({str(f) for f in explicit.values() if f and f not in known})
    if wrong:
        raise ImportFileError(
            _("The mapping names fields that %(target)s do not have: %(wrong)s. Fields: %(f)s.")
            % {"target": target, "wrong": ", ".join(wrong), "f": ", ".join(sorted(known))}
        )


def _drop_repeated_scalars(result: ColumnMap) -> None:
    seen: dict[str, str] = {}
    kept = []
    for column in result.columns:
        if column.field in LIST_FIELDS | JOINED_FIELDS or column.field not in seen:
            seen.setdefault(column.field, column.header)
            kept.append(column)
            continue
        result.warnings.append(
            _("Columns %(first)s and %(other)s both give %(field)s; %(other)s is not imported.")
            % {
                "first": repr(seen[column.field]),
                "other": repr(column.header),
                "field": column.field,
            }
        )
    result.columns = kept


def _drop_hidden(result: ColumnMap, hidden: Iterable[str]) -> None:
    hidden = set(hidden)
    for column in [c for c in result.columns if c.field in hidden]:
        result.warnings.append(
            _("Column %(header)s (%(field)s) is confidential and you may not set it; not imported.")
            % {"header": repr(column.header), "field": column.field}
        )
    result.columns = [c for c in result.columns if c.field not in hidden]


def _check_required(result: ColumnMap, target: str) -> None:
    present = result.fields()
    if target == ACCOUNTS and "name" not in present:
        raise ImportFileError(
            _("No column gives the account's name: add a column such as 'Account Name' or "
              "'Company name', or map one with a mapping.")
        )  # fmt: skip
    if target == CONTACTS and not present & {"last_name", "full_name"}:
        raise ImportFileError(
            _("No column gives the contact's name: add 'Last Name' (and 'First Name') or "
              "'Name', or map one with a mapping.")
        )  # fmt: skip
    if target == CONTACTS and not present & {"account.name", "account.website"}:
        raise ImportFileError(
            _("No column names the contact's company: add 'Company' or 'Account Name' (or a "
              "company website column), or map one with a mapping.")
        )  # fmt: skip


# --- cell text to values ----------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_NEUTRALISED = re.compile(r"^'[=+\-@\t\r]")


def cell_problem(text: str, encoding: str) -> str:
    """Why a cell's text cannot be taken as it is, or ""."""
    if text.isprintable() and text[0] != "=" and "\ufffd" not in text:
        return ""  # the common case, decided in C: no control character, formula or bad byte
    if "\ufffd" in text:
        return _(
            "The cell holds bytes that are not valid %s text; save the file as UTF-8 and "
            "import it again."
        ) % (encoding or "UTF-8")
    match = _CONTROL.search(text)
    if match:
        return _("The cell holds a control character (U+%04X) that cannot be stored.") % ord(
            match.group()
        )
    if text.startswith("="):
        return _(
            "The cell holds a spreadsheet formula; formulas are not imported. Save the sheet "
            "with values instead of formulas."
        )
    return ""


def unneutralise(text: str) -> str:
    """`'=1+2` (as KAM and spreadsheets export text that starts like a formula) is `=1+2`."""
    return text[1:] if _NEUTRALISED.match(text) else text


def country_code(text: str) -> str:
    text = text.strip()
    if not text:
        return ""
    code = _country_code(text)
    if not code:
        raise CellError(
            _("Unknown country %s: give its ISO code (DE) or its English name (Germany).")
            % repr(text)
        )
    return str(code)


@lru_cache(maxsize=4096)
def _country_code(text: str) -> str:
    """By code (DE, DEU, 276) or English name; memoised: a name lookup scans every country."""
    return str(
        countries.alpha2(text) or countries.by_name(text) or countries.by_name(text.title()) or ""
    )


SYNONYMS: dict[str, dict[str, str]] = {
    "status": {
        "customer": "active",
        "activecustomer": "active",
        "evangelist": "active",
        "opportunity": "prospect",
        "salesqualifiedlead": "prospect",
        "marketingqualifiedlead": "lead",
        "subscriber": "lead",
        "inactive": "dormant",
        "churned": "lost",
        "former": "lost",
    },
    "kind": {"competitor": "", "investor": "", "reseller": "partner", "vendor": "contractor"},
    "source": {
        "tradeshow": "exhibition",
        "fair": "exhibition",
        "web": "website",
        "webform": "website",
        "email": "campaign",
        "employeereferral": "referral",
        "externalreferral": "referral",
        "partnerreferral": "referral",
        "purchasedlist": "purchased_base",
        "phoneinquiry": "inbound",
        "coldcall": "cold_call",
    },
}
CHOICES: dict[str, type[TextChoices]] = {
    "kind": choices.Kind,
    "tier": choices.Tier,
    "status": choices.Status,
    "source": choices.Source,
    "size_band": choices.SizeBand,
    "buying_role": choices.BuyingRole,
    "preferred_channel": choices.Channel,
}
_BANDS = [(10, "micro"), (50, "small"), (250, "medium"), (1000, "large")]


def choice_value(name: str, text: str) -> str:
    """The choice a cell means: its value or label in any case, a known synonym, or a label's
    first word (`Customer - Direct` is a customer). Unrecognised text is left for validation."""
    key = normalise(text)
    if not key:
        return ""
    options = CHOICES[name]
    for value, label in options.choices:
        if key in (normalise(str(value)), normalise(str(label))):
            return str(value)
    if key in SYNONYMS.get(name, {}):
        return SYNONYMS[name][key]
    for value, _label in options.choices:
        if key.startswith(normalise(str(value))):
            return str(value)
    return text.strip()


def size_band(text: str) -> str:
    """An employee count (`250`, `50-249`) is read as its size band; otherwise a choice."""
    digits = re.match(r"^\s*(\d[\d\s,.]*)", text)
    if digits:
        count = int(re.sub(r"\D", "", digits.group(1).split("-")[0]) or 0)
        return next((band for limit, band in _BANDS if count < limit), "enterprise")
    return choice_value("size_band", text)


def boolean(text: str) -> bool | None:
    key = normalise(text)
    if not key:
        return None
    if key in {"1", "true", "yes", "y", "x", "да", "optedout"}:
        return True
    if key in {"0", "false", "no", "n", "нет"}:
        return False
    raise CellError(_("%s is not yes or no.") % repr(text))


_DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%Y/%m/%d", "%d.%m.%y")


def a_date(text: str) -> date | None:
    text = text.strip()
    if not text:
        return None
    for pattern in _DATE_FORMATS:
        try:
            return datetime.strptime(text[:10], pattern).date()  # noqa: DTZ007 - a date only
        except ValueError:
            continue
    raise CellError(_("%s is not a date; write it as YYYY-MM-DD (or DD.MM.YYYY).") % repr(text))


def decimal_text(text: str) -> str:
    """`1 000,50` and `1,000.50` are both 1000.50 (validation checks the number)."""
    text = re.sub(r"[\s\u00a0']", "", text)
    if "," in text and "." in text:
        text = text.replace(",", "")
    return text.replace(",", ".")


def split_full_name(text: str) -> tuple[str, str, str]:
    """`Petrov, Ivan` -> (Ivan, "", Petrov); `Ivan Ilyich Petrov` -> (Ivan, Ilyich, Petrov)."""
    text = " ".join(text.split())
    if "," in text:
        last, _sep, rest = text.partition(",")
        return rest.strip(), "", last.strip()
    words = text.split(" ")
    if len(words) == 1:
        return "", "", words[0]
    return words[0], " ".join(words[1:-1]), words[-1]


PARSERS: dict[str, Callable[[str], Any]] = {
    "country": country_code,
    "account.country": country_code,
    **{
        address_field(kind, "country", prefix): country_code
        for kind in ADDRESS_KINDS
        for prefix in ("", "account.")
    },
    "size_band": size_band,
    "do_not_contact": boolean,
    "birthday": a_date,
    "credit_limit": decimal_text,
    **{name: partial(choice_value, name) for name in CHOICES if name != "size_band"},
}
