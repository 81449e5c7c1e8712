"""Exporting accounts and contacts: CSV, XLSX and (contacts) vCard 3.0, streamed.

The tables go through `kam.core.tabular` (scoped again for the user, formulas neutralised,
audited); confidential fields (credit limit, payment terms) are left out for roles without the
permission. The headers are ones the importer recognises, so a file exported from KAM imports
back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from kam.accounts.errors import AccountError
from kam.accounts.models import Account, Contact, CustomField
from kam.core import access, tabular
from kam.core.tabular import Column, scoped

FORMATS = (*tabular.TABLE_FORMATS, "vcf")
CONTENT_TYPES = {**tabular.CONTENT_TYPES, "vcf": "text/vcard; charset=utf-8"}


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
    rows = scoped(user, queryset).select_related("owner", "parent").prefetch_related("tags")
    return _export(user, rows, account_columns(user), fmt, filters)


def export_contacts(
    *, user: Any, queryset: QuerySet[Contact], fmt: str, filters: dict[str, Any] | None = None
) -> Iterator[bytes]:
    """The contacts of `queryset` that `user` may see, as a stream of bytes in `fmt`."""
    rows = scoped(user, queryset).select_related("owner", "account")
    if fmt == "vcf":
        tabular.audit_export(user=user, rows=rows, fmt=fmt, filters=filters)
        return _vcards(rows)
    return _export(user, rows, contact_columns(user), fmt, filters)


def _export(
    user: Any,
    rows: QuerySet[Any],
    columns: list[Column],
    fmt: str,
    filters: dict[str, Any] | None,
) -> Iterator[bytes]:
    if fmt not in FORMATS:
        raise AccountError(_("Unknown export format %s: use csv, xlsx or vcf.") % fmt)
    return tabular.export_table(user=user, rows=rows, columns=columns, fmt=fmt, filters=filters)


def _vcards(records: QuerySet[Contact]) -> Iterator[bytes]:
    for contact in records.iterator(chunk_size=tabular.CHUNK):
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
