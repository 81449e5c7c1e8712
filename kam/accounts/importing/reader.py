"""Reading an import file as a header and a stream of rows, whatever its shape.

CSV in any delimiter (`,` `;` tab `|`) and in UTF-8 (with or without a byte-order mark), UTF-16
(with one), cp1251, cp1252 or latin-1 (detected from the first 64 KiB); XLSX streamed by
openpyxl in read-only mode. Nothing is loaded whole: rows are yielded one at a time.

Row numbers are the ones a spreadsheet shows: the header row counts, blank rows count.
Problems of a single row (a broken quote, too many values, bytes that are not text in the file's
encoding) come back as that row's error, never as an exception that ends the import; problems of
the whole file (empty, binary, an old .xls) raise ImportFileError with a message for a person.
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from django.utils.translation import gettext as _

from kam.core.errors import ApplicationError

HEAD_BYTES = 64 * 1024
DELIMITERS = ",;\t|"
SINGLE_COLUMN = "\x1f"  # the unit separator: never in text (a control character is refused)
# Tried when a file is not UTF-8, in this order of preference on a tie.
LEGACY_ENCODINGS = ["cp1251", "cp1252", "latin_1"]
_ZIP = b"PK\x03\x04"
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the old binary .xls (and .doc) container


class ImportFileError(ApplicationError):
    """The file as a whole cannot be read (the message says why and what to do)."""

    code = "import_file"


@dataclass
class RawRow:
    number: int  # as a spreadsheet shows it (the header row is 1 when it is the first)
    cells: list[str]
    error: str = ""  # why this row could not be read; cells may then be partial


@dataclass
class TableInfo:
    format: str  # "csv" or "xlsx"
    encoding: str = ""
    delimiter: str = ""
    warnings: list[str] = field(default_factory=list)


@dataclass
class Table:
    """An open file: its header and a way to stream its data rows (once or more)."""

    path: Path
    info: TableInfo
    headers: list[str]
    header_row: int

    def rows(self) -> Iterator[RawRow]:
        """The data rows after the header, blank rows left out."""
        source = _xlsx_rows(self.path) if self.info.format == "xlsx" else self._csv_rows()
        for row in source:
            if row.number <= self.header_row:
                continue
            if row.error or any(cell.strip() for cell in row.cells):
                yield row

    def count(self) -> int:
        """How many data rows there are (a pass over the file, for the progress bar)."""
        if self.info.format == "xlsx":
            return sum(1 for _ in self.rows())
        with self.path.open("rb") as raw:
            text = io.TextIOWrapper(raw, encoding=self.info.encoding, errors="replace", newline="")
            reader = csv.reader(text, delimiter=self.info.delimiter, strict=False)
            rows = 0
            while True:
                try:
                    cells = next(reader)
                except StopIteration:
                    break
                except csv.Error:
                    cells = ["error"]
                if any(cell.strip() for cell in cells):
                    rows += 1
            return max(rows - 1, 0)  # the header is the first row that is not blank

    def _csv_rows(self) -> Iterator[RawRow]:
        with self.path.open("rb") as raw:
            text = io.TextIOWrapper(raw, encoding=self.info.encoding, errors="replace", newline="")
            yield from _csv_records(text, self.info.delimiter)


def open_table(path: Path | str, *, encoding: str | None = None) -> Table:
    """Open `path` as a table: detect its format, encoding and delimiter, read its header."""
    path = Path(path)
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            head = handle.read(HEAD_BYTES)
    except OSError as error:
        raise ImportFileError(_("The file cannot be read: %s") % error.strerror) from None
    if size == 0:
        raise ImportFileError(_("The file is empty."))
    if head.startswith(_OLE):
        raise ImportFileError(
            _("This is an old Excel .xls file; save it as .xlsx or as CSV and import that.")
        )
    if head.startswith(_ZIP):
        info = TableInfo(format="xlsx")
        rows: Iterator[RawRow] = _xlsx_rows(path, info.warnings)
    else:
        info = TableInfo(format="csv", encoding=_encoding(head, encoding))
        info.delimiter = _delimiter(head.decode(info.encoding, errors="replace"))
        rows = Table(path, info, [], 0)._csv_rows()
    header = next((row for row in rows if any(cell.strip() for cell in row.cells)), None)
    if hasattr(rows, "close"):
        rows.close()
    if header is None:
        raise ImportFileError(_("The file has no rows: not even a header row."))
    headers, warnings = _headers(header.cells)
    info.warnings.extend(warnings)
    return Table(path, info, headers, header.number)


# --- CSV --------------------------------------------------------------------------------------


def _encoding(head: bytes, override: str | None) -> str:
    if override:
        try:
            return codecs.lookup(override).name
        except LookupError:
            raise ImportFileError(_("Unknown encoding %s.") % override) from None
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if b"\x00" in head:
        raise ImportFileError(
            _(
                "The file contains NUL bytes, so it is not a CSV text file (a binary file, or "
                "UTF-16 text without a byte-order mark?). Save it as CSV UTF-8 or as XLSX."
            )
        )
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        pass
    else:
        return "utf-8"
    return _legacy_encoding(head)


def _legacy_encoding(head: bytes) -> str:
    from charset_normalizer import from_bytes

    best = from_bytes(head, cp_isolation=LEGACY_ENCODINGS, explain=False).best()
    if best is None:
        raise ImportFileError(
            _(
                "The file's encoding could not be recognised (tried UTF-8, cp1251, cp1252 and "
                "latin-1): is it a text file? Save it as CSV UTF-8 and import that."
            )
        )
    return str(best.encoding)


def _delimiter(text: str) -> str:
    """The delimiter of the header line; the sniffer decides between several candidates."""
    lines = [line for line in text.splitlines()[:50] if line.strip()]
    if not lines:
        return ","
    counts = {d: lines[0].count(d) for d in DELIMITERS if lines[0].count(d)}
    if not counts:
        return SINGLE_COLUMN  # one column: commas in its values are text
    if len(counts) == 1:
        return next(iter(counts))
    try:
        sniffed = csv.Sniffer().sniff("\n".join(lines), delimiters=DELIMITERS).delimiter
    except csv.Error:
        sniffed = ""
    if sniffed in counts or (sniffed and not counts):
        return sniffed
    return max(counts, key=lambda d: counts[d]) if counts else ","


def _csv_records(text: IO[str], delimiter: str) -> Iterator[RawRow]:
    reader = csv.reader(text, delimiter=delimiter, strict=False)
    number = 0
    while True:
        number += 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            yield RawRow(number, [], _csv_error(error))
            continue
        yield RawRow(number, cells)


def _csv_error(error: csv.Error) -> str:
    text = str(error)
    if "field larger than field limit" in text:
        return _("A cell is longer than %(limit)s characters; it cannot be imported.") % {
            "limit": f"{csv.field_size_limit():,}"
        }
    return _("The row cannot be read as CSV: %s.") % text


# --- XLSX -------------------------------------------------------------------------------------


def _xlsx_rows(path: Path, warnings: list[str] | None = None) -> Iterator[RawRow]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        # Formulas come back as their text (`=SUM(...)`) so that they can be refused clearly.
        workbook = load_workbook(path, read_only=True, data_only=False)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, OSError) as error:
        raise ImportFileError(
            _("The file is not a readable XLSX workbook (%s). Save it again as .xlsx or CSV.")
            % (str(error) or type(error).__name__)
        ) from None
    try:
        sheets = workbook.worksheets
        if not sheets:
            raise ImportFileError(_("The workbook has no sheets."))
        if warnings is not None and len(sheets) > 1:
            warnings.append(
                _("The workbook has %(count)d sheets; only the first, %(name)s, is imported.")
                % {"count": len(sheets), "name": sheets[0].title}
            )
        for number, values in enumerate(sheets[0].iter_rows(values_only=True), start=1):
            yield RawRow(number, [_xlsx_text(value) for value in values])
    finally:
        workbook.close()


def _xlsx_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, Decimal | int | float):
        return str(value)
    return str(value)


# --- the header -------------------------------------------------------------------------------


def _headers(cells: list[str]) -> tuple[list[str], list[str]]:
    """Header names made unique (`Email`, `Email (2)`), with a warning for each repeat."""
    headers: list[str] = []
    seen: dict[str, int] = {}
    warnings: list[str] = []
    for index, cell in enumerate(cells, start=1):
        name = " ".join(cell.split())[:255] or _("Column %d") % index
        key = name.casefold()
        if key in seen:
            seen[key] += 1
            unique = f"{name} ({seen[key]})"
            warnings.append(
                _(
                    "The header %(name)s appears more than once; column %(index)d is read as "
                    "%(unique)s."
                )
                % {"name": repr(name), "index": index, "unique": repr(unique)}
            )
            name = unique
        else:
            seen[key] = 1
        headers.append(name)
    while headers and headers[-1].startswith(_("Column")) and not cells[len(headers) - 1]:
        headers.pop()  # trailing empty header cells: nothing there
    return headers, warnings
