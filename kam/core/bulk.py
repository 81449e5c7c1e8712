"""Fast bulk INSERTs: what the ORM would write, with less Python per row.

`Inserter` sends rows (one value per column, in its order) to one model's table by
`executemany`; each value goes through its field's own `get_db_prep_save`, memoised per column
(ids, dates, defaults and choices repeat), and values that a plain field stores as they are
(`str`, `int`, `bool`, None in a CharField, an IntegerField, a ForeignKey...) skip it. Nothing
is returned: callers that need the ids draw them first (`allocate_ids`) or read them back.

`insert_rows()` (the demo generator) writes mappings {attname: value} and fills what a row leaves
out as a new model instance would; `insert_instances()` (the importer) writes unsaved instances
whose primary keys are set. No signals are sent and no audit is written: callers do their own.

The work per row is kept to what varies: which columns need preparing is decided once per
`Inserter`, the plain columns of a row are checked in one C-level pass (a non-plain value there,
rare, is prepared on its own), and a JSON value its caller already encoded (`RawJSON`, the
importer's audit entries) goes in as its text.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from itertools import islice
from json.encoder import encode_basestring_ascii  # type: ignore[attr-defined]
from operator import itemgetter
from typing import Any

from django.db import connections, models, router
from django.db.models.fields import NOT_PROVIDED
from django.utils import timezone

MEMO_SIZE = 10_000  # prepared values remembered per column
# Fields whose database value is the Python value itself when it is a str, int, bool or None.
# Exact types only: a subclass (a CountryField is a CharField) may convert its values.
PLAIN_FIELDS = frozenset(
    [
        models.CharField,
        models.TextField,
        models.EmailField,
        models.SlugField,
        models.URLField,
        models.BooleanField,
        models.IntegerField,
        models.BigIntegerField,
        models.SmallIntegerField,
        models.PositiveIntegerField,
        models.PositiveSmallIntegerField,
        models.AutoField,
        models.BigAutoField,
        models.ForeignKey,
    ]
)
_PLAIN_VALUES = frozenset([str, int, bool, type(None)])
_JSON_CONTAINERS = frozenset([dict, list])
_EMPTY_JSON: dict[type, str] = {dict: json.dumps({}), list: json.dumps([])}


def json_dumps(value: Any) -> str:
    """`json.dumps(value)`, the same text; a list of strings (e-mails, phones) joined directly."""
    if type(value) is list and all(type(v) is str for v in value):
        return "[" + ", ".join(map(encode_basestring_ascii, value)) + "]"
    return json.dumps(value)


class RawJSON(str):
    """A value for a JSONField that is already JSON text: exactly what `json.dumps(value)` gives
    for the value it stands for (so it is stored as the ORM would store that value)."""

    __slots__ = ()


class _AsEncoded(json.JSONEncoder):
    """The encoder a backend's `adapt_json_value` gets for a RawJSON: its text as it is."""

    def encode(self, o: Any) -> str:
        return str(o)


def _getter(indexes: Sequence[int]) -> Callable[[Sequence[Any]], tuple[Any, ...]]:
    """`row -> tuple of row[i] for i in indexes` (itemgetter gives a bare value for one index)."""
    if len(indexes) == 1:
        only = indexes[0]
        return lambda row: (row[only],)
    if not indexes:
        return lambda row: ()
    return itemgetter(*indexes)


class Inserter:
    """INSERT rows (one Python value per column of `attnames`) into `model`'s table."""

    def __init__(
        self, model: type[models.Model], attnames: Sequence[str], *, memo_size: int = MEMO_SIZE
    ) -> None:
        self.model = model
        self.connection = connections[router.db_for_write(model)]
        by_attname = {f.attname: f for f in model._meta.concrete_fields}
        unknown = [name for name in attnames if name not in by_attname]
        if unknown:
            raise ValueError(f"{model.__name__} has no column {unknown[0]!r}")
        self.fields = [by_attname[name] for name in attnames]
        self.memo_size = memo_size
        self.memos: list[dict[Any, Any]] = [{} for _f in self.fields]
        self.plain = [type(f) in PLAIN_FIELDS for f in self.fields]
        # SQLite stores a JSON value as the text json.dumps() gives (Django's adapt_json_value).
        self.json = [
            self.connection.vendor == "sqlite"
            and isinstance(f, models.JSONField)
            and f.encoder is None
            and type(f).get_db_prep_save is models.JSONField.get_db_prep_save
            for f in self.fields
        ]
        # Decided once: the plain columns (checked together per row) and the others.
        self.plain_indexes = [i for i, plain in enumerate(self.plain) if plain]
        self.other_indexes = [i for i, plain in enumerate(self.plain) if not plain]
        self.plain_values = _getter(self.plain_indexes)
        qn = self.connection.ops.quote_name
        columns = ", ".join(qn(str(f.column)) for f in self.fields)
        marks = ", ".join(["%s"] * len(self.fields))
        # Only quoted names from the model's _meta go into the SQL; values are parameters.
        self.sql = f"INSERT INTO {qn(model._meta.db_table)} ({columns}) VALUES ({marks})"  # noqa: S608

    def prepare(self, row: Sequence[Any]) -> list[Any]:
        """The row's values as the database takes them (`get_db_prep_save`, memoised)."""
        return self._prepared(list(row))

    def _prepared(self, values: list[Any]) -> list[Any]:
        """`values` (a fresh list of one row's values) prepared in place."""
        if not _PLAIN_VALUES.issuperset(map(type, self.plain_values(values))):
            for i in self.plain_indexes:
                if type(values[i]) not in _PLAIN_VALUES:
                    values[i] = self.prepare_value(i, values[i])
        prepare = self.prepare_value
        for i in self.other_indexes:
            values[i] = prepare(i, values[i])
        return values

    def prepare_value(self, index: int, value: Any) -> Any:
        """One value of column `index` as the database takes it (not a plain one: see
        `prepare`)."""
        if type(value) is RawJSON and isinstance(self.fields[index], models.JSONField):
            if self.json[index]:
                return str(value)
            return self.connection.ops.adapt_json_value(value, _AsEncoded)
        if self.json[index] and type(value) in _JSON_CONTAINERS:
            return json_dumps(value) if value else _EMPTY_JSON[type(value)]
        field, memo = self.fields[index], self.memos[index]
        try:
            key = (type(value), value)
            prepared = memo.get(key, memo)
        except TypeError:  # unhashable: a list or dict for a JSONField
            return field.get_db_prep_save(value, self.connection)
        if prepared is memo:
            prepared = field.get_db_prep_save(value, self.connection)
            if len(memo) < self.memo_size:
                memo[key] = prepared
        return prepared

    def insert(self, rows: Iterable[Sequence[Any]]) -> int:
        """INSERT the rows in one `executemany`; how many there were."""
        return self._insert([self._prepared(list(row)) for row in rows])

    def _insert(self, params: list[list[Any]]) -> int:
        if params:
            with self.connection.cursor() as cursor:
                cursor.executemany(self.sql, params)
        return len(params)


def insert_rows(
    model: type[models.Model],
    rows: Iterable[Mapping[str, Any]],
    *,
    now: datetime,
    batch_size: int = 5000,
) -> int:
    """INSERT `rows` into `model`'s table in order, `batch_size` per statement; return how many.

    A row maps field attnames (`team_id` for a foreign key) to Python values. A field it leaves
    out gets `now` if it is `auto_now`/`auto_now_add` or defaults to `timezone.now`, else what a
    new model instance would get (a callable default is called for each row). An auto-increment
    primary key comes from the database; read it back by a natural key. Raises ValueError for
    a column the model does not have, or one without a default that a row leaves out.
    """
    fields = [f for f in model._meta.concrete_fields if f is not model._meta.auto_field]
    inserter = Inserter(model, [f.attname for f in fields])
    # Per column, for a row that leaves it out: a prepared constant, or a callable whose result
    # is prepared per row.
    spec: list[tuple[int, str, bool, Any, Any]] = []
    for i, f in enumerate(fields):
        constant: Any = NOT_PROVIDED
        make: Any = None
        auto = getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
        if auto or f.default is timezone.now:
            constant = inserter.prepare_value(i, now)
        elif f.db_default is not NOT_PROVIDED:
            pass  # a database expression: the row has to give a value
        elif f.has_default() and callable(f.default):
            make = f.get_default
        else:  # what a new model instance would get: the default, "" or None
            constant = inserter.prepare_value(i, f.get_default())
        spec.append((i, f.attname, inserter.plain[i], constant, make))
    known = {f.attname for f in fields}
    prepare = inserter.prepare_value

    def params(row: Mapping[str, Any]) -> list[Any]:
        if unknown := row.keys() - known:
            raise ValueError(f"{model.__name__} has no column {sorted(unknown)[0]!r}")
        values = []
        for i, attname, plain, constant, make in spec:
            if attname in row:
                value = row[attname]
            elif make is not None:
                value = make()
            elif constant is NOT_PROVIDED:
                raise ValueError(f"{model.__name__}.{attname} needs a value")
            else:
                values.append(constant)
                continue
            values.append(value if plain and type(value) in _PLAIN_VALUES else prepare(i, value))
        return values

    written = 0
    with inserter.connection.cursor() as cursor:
        for batch in batches(rows, batch_size):
            cursor.executemany(inserter.sql, [params(row) for row in batch])
            written += len(batch)
    return written


def batches(rows: Iterable[Any], size: int) -> Iterator[list[Any]]:
    it = iter(rows)
    while batch := list(islice(it, max(size, 1))):
        yield batch


def model_inserter(model: type[models.Model]) -> Inserter:
    """An Inserter over every concrete column of `model`, its primary key included."""
    return Inserter(model, [f.attname for f in model._meta.concrete_fields])


def insert_instances(instances: Sequence[models.Model], inserter: Inserter, now: Any) -> None:
    """INSERT unsaved model instances with their primary keys set (see allocate_ids);
    `auto_now` fields get `now`, as `save()` would give them, and so do creation times (the
    rows of a batch are created together, when it commits)."""
    fields = inserter.fields
    auto = [
        i
        for i, f in enumerate(fields)
        if bool(getattr(f, "auto_now", False)) or f.default is timezone.now
    ]
    getter = itemgetter(*[f.attname for f in fields]) if len(fields) > 1 else None
    prepared = inserter._prepared
    rows = []
    for instance in instances:
        state = vars(instance)
        values = list(getter(state)) if getter is not None else [state[fields[0].attname]]
        for i in auto:
            values[i] = now
        rows.append(prepared(values))
    inserter._insert(rows)


def allocate_ids(model: type[models.Model], count: int) -> list[int] | None:
    """`count` fresh primary keys for `model`, or None where this backend cannot say.

    PostgreSQL: drawn from the column's sequence (safe under concurrency). SQLite: after the
    largest used so far; callers run inside a write transaction (BEGIN IMMEDIATE), so no
    other writer can take them before the commit."""
    if count == 0:
        return []
    connection = connections[router.db_for_write(model)]
    table, column = model._meta.db_table, str(model._meta.pk.column)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [table, column, count],
            )
            return [int(row[0]) for row in cursor.fetchall()]
        if connection.vendor == "sqlite":
            qn = connection.ops.quote_name
            cursor.execute(
                f"SELECT MAX({qn(column)}), (SELECT MAX(seq) FROM sqlite_sequence "  # noqa: S608
                f"WHERE name = %s) FROM {qn(table)}",
                [table],
            )
            largest, sequence = cursor.fetchone()
            start = max(largest or 0, sequence or 0) + 1
            return list(range(start, start + count))
    return None
