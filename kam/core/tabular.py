"""Streaming table exports (CSV, XLSX) shared by every app that exports a list.

What a user exports is what he may see: the rows are scoped again here whatever the caller
passed. Text that a spreadsheet would execute (starting with = + - @, a tab or a carriage return)
is neutralised with a leading apostrophe. Every export is audited (an ACCESS entry with
{"event": "export", ...}). Apps describe their columns (`Column`) and call `export_table`.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from auditlog.models import LogEntry
from django.db.models import Model, QuerySet
from django.utils.translation import gettext as _

from kam.core import access
from kam.core.audit import acting_as, log_event
from kam.core.errors import ApplicationError

TABLE_FORMATS = ("csv", "xlsx")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
CHUNK = 2000
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class ExportError(ApplicationError):
    code = "invalid_export"


def neutralise(value: str) -> str:
    """`=1+2` -> `'=1+2`: text a spreadsheet would run as a formula is shown as text."""
    return "'" + value if value.startswith(_FORMULA_START) else value


@dataclass(frozen=True)
class Column:
    header: str
    value: Callable[[Any], Any]
    confidential: str = ""  # the model field it shows, when that field is confidential


def scoped(user: Any, queryset: QuerySet[Any]) -> QuerySet[Any]:
    """The rows of `queryset` that `user` may see, whatever the caller filtered before."""
    return queryset.filter(access.visible_q(user, queryset.model))


def export_table(
    *,
    user: Any,
    rows: QuerySet[Any],
    columns: list[Column],
    fmt: str,
    filters: dict[str, Any] | None = None,
    scope: Callable[[Any, QuerySet[Any]], QuerySet[Any]] = scoped,
) -> Iterator[bytes]:
    """`rows` (scoped again for `user`) as a stream of bytes in `fmt`; audited.

    `scope` re-applies who may see what: the model's own AccessSpec by default; a model whose
    rows inherit access from records of any type (documents) passes its own rule.
    """
    if fmt not in TABLE_FORMATS:
        raise ExportError(_("Unknown export format %s: use csv or xlsx.") % fmt)
    rows = scope(user, rows)
    audit_export(user=user, rows=rows, fmt=fmt, filters=filters)
    records = rows.iterator(chunk_size=CHUNK)
    return _csv(records, columns) if fmt == "csv" else _xlsx(records, columns)


def audit_export(
    *, user: Any, rows: QuerySet[Any], fmt: str, filters: dict[str, Any] | None
) -> None:
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


def cell_text(value: Any) -> Any:
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
        writer.writerow([cell_text(c.value(record)) for c in columns])
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
        value = cell_text(value)
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
