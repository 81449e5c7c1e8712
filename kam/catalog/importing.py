"""`kam import products FILE`: products from CSV or XLSX, updated by SKU.

Headers are recognised after normalisation (case, spaces and punctuation do not matter), among
the export's own and a few common names; `mapping` {header: field or None} overrides the guess.
Each row is validated like the API's input; a row with an error is reported (row, column, value,
reason) and not written; the others are written each in its own transaction. A product line
named in a row that does not exist yet is created.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kam.accounts.importing.mapping import normalise
from kam.accounts.importing.reader import open_table
from kam.catalog.models import Product, ProductLine
from kam.catalog.services import can_edit_catalog
from kam.core import registry
from kam.core.audit import acting_as
from kam.core.errors import PermissionDeniedError

ALIASES: dict[str, list[str]] = {
    "sku": ["sku", "article", "article number", "item code", "code", "артикул"],
    "name": ["name", "product", "product name", "title", "наименование"],
    "description": ["description", "описание"],
    "line": ["line", "product line", "family", "category", "линейка"],
    "unit": ["unit", "uom", "ед изм", "единица"],
    "list_price": ["list price", "price", "unit price", "цена"],
    "currency": ["currency", "валюта"],
    "vat_rate": ["vat rate", "vat", "vat %", "tax rate", "ндс"],
    "is_active": ["active", "is active", "активен"],
    "launch_date": ["launch date", "launched", "дата запуска"],
    "discontinued_on": ["discontinued on", "discontinued", "снят с производства"],
}
_BY_HEADER = {normalise(alias): name for name, aliases in ALIASES.items() for alias in aliases}
FIELDS = frozenset(ALIASES)
_TRUE = {"yes", "y", "true", "1", "да", "x"}
_FALSE = {"no", "n", "false", "0", "нет", ""}


class CellError(ValueError):
    pass


@dataclass
class Summary:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    mapping: dict[str, str | None] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "errors": self.errors,
            "mapping": self.mapping,
        }


def _decimal(text: str) -> Decimal:
    try:
        return Decimal(text.replace(" ", "").replace(",", "."))
    except InvalidOperation:
        raise CellError(_("Not a number.")) from None


def _date(text: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise CellError(_("Not a date (YYYY-MM-DD).")) from None


def _bool(text: str) -> bool:
    lowered = text.strip().casefold()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise CellError(_("Write yes or no."))


PARSERS: dict[str, Any] = {
    "list_price": _decimal,
    "vat_rate": _decimal,
    "launch_date": _date,
    "discontinued_on": _date,
    "is_active": _bool,
    "currency": lambda text: text.upper(),
}


def column_mapping(
    headers: list[str], mapping: dict[str, str | None] | None
) -> dict[str, str | None]:
    """Each header's field (None: ignored). An explicit mapping names fields of FIELDS."""
    result: dict[str, str | None] = {}
    for header in headers:
        if mapping and header in mapping:
            target = mapping[header] or None
            if target is not None and target not in FIELDS:
                raise CellError(
                    _("Mapping: %(field)s is not a product field; use one of %(fields)s.")
                    % {"field": target, "fields": ", ".join(sorted(FIELDS))}
                )
            result[header] = target
        else:
            result[header] = _BY_HEADER.get(normalise(header))
    return result


def import_products(
    *,
    user: Any,
    path: Path | str,
    dry_run: bool = False,
    mapping: dict[str, str | None] | None = None,
) -> Summary:
    """Create or update (by SKU) the products of the file; rows with errors are reported."""
    if not can_edit_catalog(user):
        raise PermissionDeniedError(_("Only administrators and heads of sales edit the catalog."))
    table = open_table(path)
    try:
        columns = column_mapping(table.headers, mapping)
    except CellError as error:
        from kam.catalog.errors import CatalogError

        raise CatalogError(str(error)) from None
    summary = Summary(mapping=columns)
    if "sku" not in columns.values():
        from kam.catalog.errors import CatalogError

        raise CatalogError(_("The file has no SKU column; name one with a mapping."))
    lines = {line.name.casefold(): line for line in ProductLine.objects.all()}
    with transaction.atomic():
        for raw in table.rows():
            summary.rows += 1
            _import_row(raw, table.headers, columns, lines, summary, user)
        if dry_run:
            transaction.set_rollback(True)
    return summary


def _import_row(
    raw: Any,
    headers: list[str],
    columns: dict[str, str | None],
    lines: dict[str, ProductLine],
    summary: Summary,
    user: Any,
) -> None:
    def fail(column: str, value: str, reason: str) -> None:
        summary.errors.append(
            {"row": raw.number, "column": column, "value": value[:200], "reason": reason}
        )

    if raw.error:
        fail("", "", raw.error)
        return
    values: dict[str, Any] = {}
    headers_of: dict[str, str] = {}
    for header, text in zip(headers, raw.cells, strict=False):
        target = columns.get(header)
        if target is None:
            continue
        text = text.strip()
        headers_of[target] = header
        try:
            values[target] = PARSERS.get(target, lambda t: t)(text)
        except CellError as error:
            fail(header, text, str(error))
            return
    sku = values.get("sku", "")
    if not sku:
        fail(headers_of.get("sku", "SKU"), "", _("The SKU is required."))
        return
    try:
        with transaction.atomic():
            _save_row(values, lines, summary, user)
    except ValidationError as error:
        for name, messages in error.message_dict.items():
            fail(headers_of.get(name, name), str(values.get(name, "")), " ".join(messages))


def _save_row(
    values: dict[str, Any], lines: dict[str, ProductLine], summary: Summary, user: Any
) -> None:
    line_name = values.pop("line", None)
    if line_name:
        line = lines.get(line_name.casefold())
        if line is None:
            line = ProductLine(name=line_name)
            line.full_clean()
            with acting_as(user):
                line.save()
            lines[line_name.casefold()] = line
        values["line"] = line
    elif line_name == "":
        values["line"] = None
    existing = Product.objects.select_for_update().filter(sku=values["sku"]).first()
    product = existing or Product()
    changed = [name for name, value in values.items() if getattr(product, name, None) != value]
    for name, value in values.items():
        setattr(product, name, value)
    if existing is not None and not changed:
        summary.unchanged += 1
        return
    product.full_clean()
    with acting_as(user):
        product.save()
    if existing is None:
        summary.created += 1
    else:
        summary.updated += 1


def _run(user: Any, path: Any, options: dict[str, Any]) -> dict[str, Any]:
    summary = import_products(
        user=user,
        path=path,
        dry_run=bool(options.get("dry_run")),
        mapping=options.get("mapping"),
    )
    return summary.as_dict()


IMPORTER = registry.Importer(key="products", label=gettext_lazy("Products"), run=_run)
