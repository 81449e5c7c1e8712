"""The rows of an import: options, the per-run context, reading a row through the mapping
(cell checks, parsing, owners), and errors that name the row, the column, the value, the reason.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from itertools import count
from typing import Any

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _

from kam.accounts.importing import mapping as m
from kam.accounts.importing.cleaning import Cleaner
from kam.accounts.importing.reader import RawRow, TableInfo
from kam.accounts.models import ImportJob

ON_DUPLICATE = ("skip", "update", "create")
BATCH_SIZE = 2000  # rows per transaction: a crash loses at most one batch, whole
_VALUE_MAX = 500


@dataclass
class ImportOptions:
    target: str  # "accounts" or "contacts"
    on_duplicate: str = "skip"
    dry_run: bool = False
    owner: Any = None  # owner of the rows whose file names none; default: the importing user
    mapping: dict[str, str | None] | None = None  # explicit {header: field}
    encoding: str | None = None  # default: detected
    batch_size: int = BATCH_SIZE


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    value: str
    reason: str


@dataclass
class ImportSummary:
    """Counts of one run (rows), what the mapping step said, and how the file was read."""

    total: int = 0
    processed: int = 0
    created: int = 0
    updated: int = 0
    skipped: int = 0
    already: int = 0  # rows an earlier run of the same file imported (counted in skipped)
    errors: int = 0  # rows not imported because of an error
    accounts_created: int = 0  # by a contacts import, for companies not in the base yet
    mapping: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    info: TableInfo | None = None
    dry_run: bool = False


ProgressCallback = Callable[[ImportSummary], None]


# --- per-run state ----------------------------------------------------------------------------


class Owners:
    """Users named in an owner column: by username, e-mail or full name (read once)."""

    def __init__(self) -> None:
        self._index: dict[str, int] | None = None

    def find(self, text: str) -> int | None:
        if self._index is None:
            self._index = {}
            users = get_user_model().objects.filter(is_active=True)
            for pk, username, email, first, last in users.values_list(
                "pk", "username", "email", "first_name", "last_name"
            ).order_by("-pk"):
                for key in (username, email, f"{first} {last}".strip()):
                    if key:
                        self._index[key.casefold()] = pk
        return self._index.get(" ".join(text.split()).casefold())


@dataclass
class Context:
    user: Any
    options: ImportOptions
    columns: m.ColumnMap
    info: TableInfo
    width: int
    sha256: str
    job: ImportJob | None
    owners: Owners = field(default_factory=Owners)
    cleaner: Cleaner = field(default_factory=Cleaner)
    # Dry runs write nothing: what they would have created is remembered here, key -> id < 0.
    virtual: dict[str, dict[tuple[str, str], int]] = field(default_factory=dict)
    virtual_ids: Iterator[int] = field(default_factory=lambda: count(-1, -1))

    @property
    def default_owner_id(self) -> int:
        return int((self.options.owner or self.user).pk)

    @cached_property
    def cells(self) -> list[tuple[m.Column, bool]]:
        """The mapped columns, each with whether its cells are taken as their text (a name, an
        e-mail list: no parser, not an owner, not a custom field)."""
        return [
            (
                column,
                column.field not in m.PARSERS
                and column.field != "owner"
                and not column.field.startswith("custom."),
            )
            for column in self.columns.columns
        ]


@dataclass
class Parsed:
    """One row read through the mapping: values per field, or why it cannot be."""

    number: int
    values: dict[str, Any]
    texts: dict[str, str]  # field -> the cell text(s) it came from, for error reports
    errors: list[RowError]


def parse_row(raw: RawRow, context: Context) -> Parsed:
    parsed = Parsed(raw.number, {}, {}, [])
    if raw.error:
        parsed.errors.append(RowError(raw.number, "", "", raw.error))
        return parsed
    extra = [cell for cell in raw.cells[context.width :] if cell.strip()]
    if extra:
        parsed.errors.append(
            RowError(
                raw.number,
                "",
                _clip("; ".join(extra)),
                _(
                    "The row has %(cells)d values but the header has %(columns)d columns (a "
                    "delimiter inside an unquoted value?); it was not imported."
                )
                % {"cells": len(raw.cells), "columns": context.width},
            )
        )
        return parsed
    cells, texts, values = raw.cells, parsed.texts, parsed.values
    width = len(cells)
    for column, as_text in context.cells:
        text = cells[column.index].strip() if column.index < width else ""
        if not text:
            continue
        name = column.field
        if (
            as_text
            and name not in texts
            and text[0] not in _SPECIAL_FIRST
            and text.isprintable()
            and "\ufffd" not in text
        ):
            # What _read_cell does with a clean cell of such a field, without its detours: no
            # problem (printable, no formula, no bad byte), nothing to unneutralise (no quote).
            texts[name] = values[name] = text
        else:
            _read_cell(parsed, column, text, context)
    _split_name(parsed)
    return parsed


# A first character that sends a cell the long way: a formula, or a neutralised one.
_SPECIAL_FIRST = frozenset("='")


def _read_cell(parsed: Parsed, column: m.Column, text: str, context: Context) -> None:
    name = column.field
    problem = m.cell_problem(text, context.info.encoding)
    if problem:
        parsed.errors.append(RowError(parsed.number, column.header, _clip(text), problem))
        return
    text = m.unneutralise(text)
    parsed.texts[name] = f"{parsed.texts[name]}, {text}" if name in parsed.texts else text
    if name in m.LIST_FIELDS or name in m.JOINED_FIELDS:
        parsed.values[name] = parsed.texts[name]
        return
    if name.startswith("custom."):
        parsed.values.setdefault("custom", {})[name.removeprefix("custom.")] = text
        return
    if name == "owner":
        owner_id = context.owners.find(text)
        if owner_id is None:
            parsed.errors.append(
                RowError(
                    parsed.number,
                    column.header,
                    _clip(text),
                    _("There is no active user %s (give a username, an e-mail or a full name).")
                    % repr(text),
                )
            )
        parsed.values["owner"] = owner_id
        return
    parser = m.PARSERS.get(name)
    try:
        parsed.values[name] = parser(text) if parser else text
    except m.CellError as error:
        parsed.errors.append(RowError(parsed.number, column.header, _clip(text), str(error)))


def _split_name(parsed: Parsed) -> None:
    full = parsed.values.pop("full_name", None)
    if full and not parsed.values.get("last_name"):
        first, middle, last = m.split_full_name(full)
        for name, value in (("first_name", first), ("middle_name", middle), ("last_name", last)):
            if value and not parsed.values.get(name):
                parsed.values[name] = value


def _clip(text: str, limit: int = _VALUE_MAX) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def field_errors(
    number: int, fields: dict[str, Any], parsed: Parsed, context: Context, prefix: str = ""
) -> list[RowError]:
    """Errors of a validation (field -> messages) as row errors naming the file's columns."""
    errors = []
    for name, messages in fields.items():
        key = f"{prefix}{name}"
        headers = context.columns.headers_of(key) or [key]
        for message in messages if isinstance(messages, list) else [messages]:
            errors.append(
                RowError(
                    number,
                    " / ".join(headers),
                    _clip(parsed.texts.get(key, "")),
                    _clip(str(message)),
                )
            )
    return errors
