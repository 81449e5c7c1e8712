"""The duplicates review: likely duplicate pairs across the whole base a user may see.

Pairs come from the duplicate index (`MatchKey`: normalised name, domain, tax number, e-mail,
phone): two records sharing a key are a candidate pair. A pair's score (0-100) combines the
weights of the kinds of keys they share, as the duplicate finder scores a candidate. Keys shared
by more than `MAX_GROUP_SIZE` records (a common name, a switchboard number) tell nothing and are
ignored. A page costs a constant number of queries: the page of pairs with their total (from
the `(kind, value)` index), the records, the rights to merge them.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal, overload

from django.core.exceptions import EmptyResultSet
from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db import connection
from django.db.models import Field, QuerySet

from kam.accounts import duplicates
from kam.accounts.models import Account, Contact, MatchKey

Target = Literal["accounts", "contacts"]
TARGETS: tuple[Target, ...] = ("accounts", "contacts")
MAX_GROUP_SIZE = 25
Kind = MatchKey.Kind
# The finder's weights (percent: how sure one shared key alone makes us); one truth for both.
WEIGHTS: dict[Target, dict[str, float]] = {
    "accounts": duplicates.ACCOUNT_WEIGHTS,
    "contacts": duplicates.CONTACT_WEIGHTS,
}


def _rank_weight(percent: float) -> int:
    """-ln(1 - w), scaled: summing these orders pairs as `duplicates.combine` scores them."""
    return round(1000 * -math.log(1 - min(percent, 99.9) / 100))


@dataclass(frozen=True)
class DuplicatePair:
    """Two records that share keys of the duplicate index, ordered so that `first.pk` is lower."""

    first: Any
    second: Any
    score: int  # 0-100, as the finder scores a candidate
    matched_on: tuple[str, ...]
    can_merge: bool

    @property
    def records(self) -> tuple[Any, Any]:
        return (self.first, self.second)

    @property
    def matched_on_labels(self) -> list[str]:
        return [str(Kind(kind).label) for kind in self.matched_on]


class DuplicatePairs:
    """The pairs, best first, fetched a page at a time (`fetch`, or slicing)."""

    def __init__(self, *, user: Any, target: Target) -> None:
        if target not in TARGETS:
            raise ValueError(f"unknown target {target!r}")
        self.user = user
        self.target: Target = target
        self.model: type[Account] | type[Contact] = Account if target == "accounts" else Contact
        self._count: int | None = None

    def count(self) -> int:
        if self._count is None and self._sees_nothing():
            self._count = 0
        if self._count is None:
            sql, params = self._sql("SELECT COUNT(*) FROM dup_pairs")
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                self._count = int(cursor.fetchone()[0])
        return self._count

    def __len__(self) -> int:
        return self.count()

    @overload
    def __getitem__(self, index: int) -> DuplicatePair: ...

    @overload
    def __getitem__(self, index: slice) -> list[DuplicatePair]: ...

    def __getitem__(self, index: int | slice) -> DuplicatePair | list[DuplicatePair]:
        if isinstance(index, int):
            page = self.fetch(index, 1) if index >= 0 else []
            if not page:
                raise IndexError(index)
            return page[0]
        start, stop = index.start or 0, index.stop
        if start < 0 or (stop is not None and stop < 0) or index.step not in (None, 1):
            raise ValueError("pairs are sliced forwards, with step 1")
        if stop is None:
            stop = self.count()
        return self.fetch(start, stop - start)

    def __iter__(self) -> Iterator[DuplicatePair]:
        return iter(self[0:])

    def fetch(self, offset: int, limit: int) -> list[DuplicatePair]:
        """Up to `limit` pairs from `offset`; the total comes with them (a window count), so a
        page costs one pass over the index, not two."""
        if limit <= 0 or self._sees_nothing():
            return []
        kinds = list(WEIGHTS[self.target])
        flags = ", ".join(f"k{i}" for i in range(len(kinds)))
        score = " + ".join(f"k{i} * %s" for i in range(len(kinds)))
        sql, params = self._sql(
            f"SELECT first_id, second_id, {flags}, COUNT(*) OVER () AS total "  # noqa: S608 - aliases
            f"FROM dup_pairs ORDER BY {score} DESC, first_id, second_id LIMIT %s OFFSET %s"
        )
        params += [_rank_weight(WEIGHTS[self.target][kind]) for kind in kinds] + [limit, offset]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        if rows:
            self._count = int(rows[0][-1])
        return self._pairs(rows, kinds)

    def _pairs(self, rows: list[tuple[Any, ...]], kinds: list[str]) -> list[DuplicatePair]:
        ids = {pk for row in rows for pk in row[:2]}
        records = self._records(ids)
        changeable = set(
            self.model.objects.visible_to(self.user, "change")
            .filter(pk__in=ids)
            .values_list("pk", flat=True)
        )
        pairs = []
        for row in rows:
            first, second = records.get(row[0]), records.get(row[1])
            if first is None or second is None:
                continue
            flags = row[2 : 2 + len(kinds)]
            matched = tuple(kind for kind, flag in zip(kinds, flags, strict=True) if flag)
            pairs.append(
                DuplicatePair(
                    first=first,
                    second=second,
                    score=duplicates.combine(WEIGHTS[self.target][kind] for kind in matched),
                    matched_on=matched,
                    can_merge=first.pk in changeable and second.pk in changeable,
                )
            )
        return pairs

    def _records(self, ids: set[Any]) -> dict[Any, Any]:
        queryset: QuerySet[Any]
        if self.model is Account:
            queryset = Account.objects.filter(pk__in=ids).select_related("owner")
        else:
            queryset = Contact.objects.filter(pk__in=ids).select_related("account", "owner")
        return {record.pk: record for record in queryset}

    def _sees_nothing(self) -> bool:
        try:
            self._visible().values("pk").query.sql_with_params()
        except EmptyResultSet:
            return True
        return False

    def _visible(self) -> QuerySet[Any]:
        if self.model is Account:
            return Account.objects.visible_to(self.user)
        return Contact.objects.visible_to(self.user).filter(account__deleted_at__isnull=True)

    def _sql(self, select: str) -> tuple[str, list[Any]]:
        """The pairs as common table expressions, then `select` over `dup_pairs`.

        The groups of rows sharing a key come from the `(kind, value)` index alone (an
        index-only scan: accounts' and contacts' keys count together, and how common a key is
        does not depend on who looks); only the keys of groups small enough to be evidence are
        then narrowed to the records the user may see."""
        table = connection.ops.quote_name(MatchKey._meta.db_table)
        owner = _column("account" if self.model is Account else "contact")
        kind, value = _column("kind"), _column("value")
        visible_sql, visible_params = (
            self._visible().order_by().values("pk").query.sql_with_params()
        )
        kinds = list(WEIGHTS[self.target])
        flags = ", ".join(
            f"MAX(CASE WHEN a.kind = %s THEN 1 ELSE 0 END) AS k{i}" for i in range(len(kinds))
        )
        sql = (
            "WITH dup_groups AS ("  # noqa: S608 - names come from the models' metadata
            f"SELECT {kind} AS kind, {value} AS value FROM {table} "
            f"WHERE {kind} IN ({', '.join(['%s'] * len(kinds))}) "
            f"GROUP BY {kind}, {value} HAVING COUNT(*) BETWEEN 2 AND %s), "
            f"dup_keys AS (SELECT g.kind AS kind, g.value AS value, k.{owner} AS rid "
            f"FROM dup_groups g JOIN {table} k ON k.{kind} = g.kind AND k.{value} = g.value "
            f"WHERE k.{owner} IN ({visible_sql})), "
            f"dup_pairs AS (SELECT a.rid AS first_id, b.rid AS second_id, {flags} "
            "FROM dup_keys a "
            "JOIN dup_keys b ON b.kind = a.kind AND b.value = a.value AND b.rid > a.rid "
            "GROUP BY a.rid, b.rid) " + select
        )
        return sql, [*kinds, MAX_GROUP_SIZE, *visible_params, *kinds]


def _column(name: str) -> str:
    field = MatchKey._meta.get_field(name)
    assert isinstance(field, Field)
    assert field.column
    return connection.ops.quote_name(field.column)


def duplicate_pairs(*, user: Any, target: Target = "accounts") -> DuplicatePairs:
    """Likely duplicate pairs among the records `user` may see, best first (lazy; paginate it)."""
    return DuplicatePairs(user=user, target=target)


class PairPaginator(Paginator):
    """Pages of `DuplicatePairs` in one pass each: Django's paginator counts first and then
    fetches, which would run the heavy join twice."""

    def page(self, number: Any) -> Page:
        pairs = self.object_list
        try:
            wanted = int(number)
        except (TypeError, ValueError):
            return super().page(number)
        if wanted >= 1 and isinstance(pairs, DuplicatePairs):
            found = pairs.fetch((wanted - 1) * self.per_page, self.per_page)
            if found:
                self.__dict__["count"] = pairs.count()  # learnt from the same query
                return Page(found, wanted, self)
        return super().page(number)

    def get_page(self, number: Any) -> Page:
        try:
            return self.page(number)
        except PageNotAnInteger:
            return self.page(1)
        except EmptyPage:
            return self.page(self.num_pages)
