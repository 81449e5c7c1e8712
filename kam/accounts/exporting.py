"""Exporting accounts and contacts: CSV, XLSX and (contacts) vCard 3.0, streamed.

What a user exports is what he may see: the queryset is scoped again here whatever the caller
passed, and confidential fields (credit limit, payment terms) are left out for roles without the
permission. Text that a spreadsheet would execute (starting with = + - @, a tab or a carriage
return) is neutralised with a leading apostrophe. Every export is audited (an ACCESS entry with
{"event": "export", ...}). The headers are ones the importer recognises, so a file exported
from KAM imports back.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from auditlog.models import LogEntry
from django.db.models import Model, QuerySet
from django.utils.translation import gettext as _

from kam.accounts.errors import AccountError
from kam.accounts.models import Account, Contact, CustomField
from kam.core import access
from kam.core.audit import acting_as, log_event

FORMATS = ("csv", "xlsx", "vcf")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "vcf": "text/vcard; charset=utf-8",
}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_CHUNK = 2000


def neutralise(value: str) -> str:
    """`=1+2` -> `'=1+2`: text a spreadsheet would run as a formula is shown as text."""
    return "'" + value if value.startswith(_FORMULA_START) else value


@dataclass(frozen=True)
class Column:
    header: str
    value: Callable[[Any], Any]
    confidential: str = ""  # the model field it shows, when that field is confidential


def _join(values: Iterable[Any]) -> str:
    return "; ".join(str(v) for v in values or [])


def _date(value: datetime | None) -> str:
    return value.isoformat() if value else ""


def _custom_value(key: str) -> Callable[[Any], Any]:
    return lambda record: (record.custom or {}).get(key, "")


def _custom_columns(applies_to: str) -> list[Column]:
    return [
        Column(label, _custom_value(key))
        for key, label in CustomField.objects.filter(applies_to=applies_to)
        .order_by("label")
        .values_list("key", "label")
    ]


def account_columns(user: Any) -> list[Column]:
    hidden = set(access.hidden_fields(user, Account))
    columns = [
        Column("ID", lambda a: a.pk),
        Column("Name", lambda a: a.name),
        Column("Legal name", lambda a: a.legal_name),
        Column("Country", lambda a: str(a.country or "")),
        Column("Tax / VAT number", lambda a: a.tax_number),
        Column("Registration number", lambda a: a.registration_number),
        Column("Industry", lambda a: a.industry),
        Column("Size", lambda a: a.get_size_band_display() if a.size_band else ""),
        Column("Website", lambda a: a.website),
        Column("Phones", lambda a: _join(a.phones)),
        Column("E-mails", lambda a: _join(a.emails)),
        Column("Parent account", lambda a: a.parent.name if a.parent_id else ""),
        Column("Kind", lambda a: a.get_kind_display()),
        Column("Tier", lambda a: a.get_tier_display()),
        Column("Lifecycle status", lambda a: a.get_status_display()),
        Column("Owner", lambda a: a.owner.username),
        Column("Acquisition source", lambda a: a.get_source_display() if a.source else ""),
        Column("Credit limit", lambda a: a.credit_limit, "credit_limit"),
        Column("Currency", lambda a: a.currency),
        Column("Payment terms (days)", lambda a: a.payment_terms_days, "payment_terms_days"),
        Column("Tags", lambda a: _join(tag.name for tag in a.tags.all())),
        Column("Notes", lambda a: a.notes),
        *_custom_columns(CustomField.AppliesTo.ACCOUNT),
        Column("Created", lambda a: _date(a.created_at)),
        Column("Updated", lambda a: _date(a.updated_at)),
    ]
    return [c for c in columns if c.confidential not in hidden]


def contact_columns(user: Any) -> list[Column]:
    return [
        Column("ID", lambda c: c.pk),
        Column("First name", lambda c: c.first_name),
        Column("Middle name", lambda c: c.middle_name),
        Column("Last name", lambda c: c.last_name),
        Column("Job title", lambda c: c.job_title),
        Column("Buying role", lambda c: c.get_buying_role_display() if c.buying_role else ""),
        Column("E-mails", lambda c: _join(c.emails)),
        Column("Phones", lambda c: _join(c.phones)),
        Column("Preferred channel", lambda c: c.get_preferred_channel_display()),
        Column("Do not contact", lambda c: "yes" if c.do_not_contact else "no"),
        Column("Birthday", lambda c: c.birthday.isoformat() if c.birthday else ""),
        Column("Notes", lambda c: c.notes),
        Column("Owner", lambda c: c.owner.username if c.owner_id else ""),
        Column("Account", lambda c: c.account.name),
        Column("Company website", lambda c: c.account.website),
        Column("Country", lambda c: str(c.account.country or "")),
        *_custom_columns(CustomField.AppliesTo.CONTACT),
        Column("Created", lambda c: _date(c.created_at)),
        Column("Updated", lambda c: _date(c.updated_at)),
    ]


def export_accounts(
    *, user: Any, queryset: QuerySet[Account], fmt: str, filters: dict[str, Any] | None = None
) -> Iterator[bytes]:
    """The accounts of `queryset` that `user` may see, as a stream of bytes in `fmt`."""
    if fmt == "vcf":
        raise AccountError(_("vCard is a format for contacts; export accounts as CSV or XLSX."))
    rows = _scoped(user, queryset).select_related("owner", "parent").prefetch_related("tags")
    return _export(user, rows, account_columns(user), fmt, filters)


def export_contacts(
    *, user: Any, queryset: QuerySet[Contact], fmt: str, filters: dict[str, Any] | None = None
) -> Iterator[bytes]:
    """The contacts of `queryset` that `user` may see, as a stream of bytes in `fmt`."""
    rows = _scoped(user, queryset).select_related("owner", "account")
    if fmt == "vcf":
        _audit(user, rows, fmt, filters)
        return _vcards(rows)
    return _export(user, rows, contact_columns(user), fmt, filters)


def _scoped(user: Any, queryset: QuerySet[Any]) -> QuerySet[Any]:
    return queryset.filter(access.visible_q(user, queryset.model))


def _export(
    user: Any,
    rows: QuerySet[Any],
    columns: list[Column],
    fmt: str,
    filters: dict[str, Any] | None,
) -> Iterator[bytes]:
    if fmt not in FORMATS:
        raise AccountError(_("Unknown export format %s: use csv, xlsx or vcf.") % fmt)
    _audit(user, rows, fmt, filters)
    records = rows.iterator(chunk_size=_CHUNK)
    return _csv(records, columns) if fmt == "csv" else _xlsx(records, columns)


def _audit(user: Any, rows: QuerySet[Any], fmt: str, filters: dict[str, Any] | None) -> None:
    model: type[Model] = rows.model
    with acting_as(user):
        log_event(
            obj=user,
            action=LogEntry.Action.ACCESS,
            data={
                "event": "export",
                "model": model._meta.label_lower,
                "format": fmt,
                "count": rows.count(),
                "filters": filters or {},
            },
        )


def _text(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, int | Decimal | float):
        return value  # numbers are never formulas
    return neutralise(str(value))


def _csv(records: Iterator[Any], columns: list[Column]) -> Iterator[bytes]:
    """UTF-8 with a byte-order mark, so that spreadsheet programs read it as UTF-8."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([c.header for c in columns])
    yield "\ufeff".encode() + _drain(buffer)
    for n, record in enumerate(records, start=1):
        if n % 500 == 0:
            yield _drain(buffer)
        writer.writerow([_text(c.value(record)) for c in columns])
    yield _drain(buffer)


def _drain(buffer: io.StringIO) -> bytes:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text.encode()


def _xlsx(records: Iterator[Any], columns: list[Column]) -> Iterator[bytes]:
    """A write-only workbook (rows go to a temporary file, not to memory)."""
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    def cell(value: Any) -> Any:
        value = _text(value)
        return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title="Export")
    sheet.append([c.header for c in columns])
    for record in records:
        sheet.append([cell(c.value(record)) for c in columns])
    with tempfile.TemporaryFile() as handle:
        workbook.save(handle)
        handle.seek(0)
        while block := handle.read(1 << 16):
            yield block


def _vcards(records: QuerySet[Contact]) -> Iterator[bytes]:
    for contact in records.iterator(chunk_size=_CHUNK):
        yield vcard(contact).encode()


def vcard(contact: Contact) -> str:
    """A vCard 3.0 of a contact: name, company, title, e-mails, phones, birthday, note."""
    import vobject

    card = vobject.vCard()
    card.add("n").value = vobject.vcard.Name(
        family=contact.last_name, given=contact.first_name, additional=contact.middle_name
    )
    card.add("fn").value = contact.full_name or contact.last_name
    card.add("org").value = [contact.account.name]
    if contact.job_title:
        card.add("title").value = contact.job_title
    for email in contact.emails or []:
        line = card.add("email")
        line.value = str(email)
        line.type_param = "INTERNET"
    for phone in contact.phones or []:
        line = card.add("tel")
        line.value = str(phone)
        line.type_param = "VOICE"
    if contact.birthday:
        card.add("bday").value = contact.birthday.isoformat()
    if contact.notes:
        card.add("note").value = contact.notes
    card.add("uid").value = f"kam-contact-{contact.pk}"
    return str(card.serialize())
