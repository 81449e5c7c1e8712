"""Full-text search over accounts and contacts: ranked, typo-tolerant, scoped to the user.

The index (migration 0003) is kept in sync by database triggers: SQLite FTS5 (words with a
prefix index, trigrams for substrings of e-mails, phones, tax numbers and account names, a
vocabulary for typos), PostgreSQL tsvector + pg_trgm. A search gathers a bounded set of
candidates in tiers, from the most to the least exact, each tier one index-backed query
restricted to the rows `core.access` lets the user see (so a manager who sees a slice still
gets his matches however many other rows match), then ranks them in Python:

1. exact keys (B-tree): normalised name (legal forms and script ignored), tax number, domain;
2. every word as a whole word (names, job titles, account names, notes);
3. every word as a prefix (search as you type);
4. substrings of identifiers and account names ("5533 7406", "petrov@", "строй");
5. typos: words of the index vocabulary within one or two edits of a query word (for a user
   who sees a few hundred accounts, the names of what he sees, compared here).

Rows in the trash, and contacts of accounts in the trash, are not in the index, and every
candidate is read back through `visible_to(user)` on the live rows: nothing else can leak.
"""

from __future__ import annotations

import functools
import logging
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import DatabaseError, connections, transaction
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL
from django.urls import reverse
from rapidfuzz import fuzz
from rapidfuzz.distance import OSA
from unidecode import unidecode

from kam.accounts import validation
from kam.accounts.models import Account, Contact
from kam.core import access

log = logging.getLogger(__name__)

MAX_QUERY_LENGTH = 100  # characters of the query that are searched
MAX_WORDS = 6
MAX_LIMIT = 50
CANDIDATES = 40  # rows each tier may contribute per kind
FUZZY_WORDS = 3  # words of a query looked up in the vocabulary
FUZZY_TERMS = 8  # vocabulary words tried per query word
# Above this many visible accounts, a restricted user's candidates are checked row by row
# against `visible_to` instead of against a materialised list of what he sees.
MATERIALISE_VISIBLE = 5000
# Up to this many visible accounts, typos are forgiven by comparing the names of everything the
# user sees in Python (a few hundred rows), cheaper than reading the index vocabulary.
FUZZY_IN_PYTHON = 300

EXACT, WORDS, PREFIX, SUBSTRING, FUZZY = range(5)
TIER_SCORE = {EXACT: 1.0, WORDS: 0.8, PREFIX: 0.62, SUBSTRING: 0.5, FUZZY: 0.35}
SIMILARITY_WEIGHT = 0.15  # how much the similarity of the title moves a hit within its tier


@dataclass(frozen=True)
class SearchResult:
    kind: str  # "account" or "contact"
    id: int
    title: str
    subtitle: str
    url: str
    score: float  # 0..1; 1.0 is an exact match of a name or an identifier


# --- the query -------------------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_WORD = re.compile(r"[^\W_]+")  # letters and digits: what the unicode61 tokenizer keeps
_PHONE = re.compile(r"\+?[\d\s().\-/]+")


@dataclass(frozen=True)
class Query:
    text: str  # cleaned, lower-cased
    words: tuple[str, ...]  # lower-cased words of letters and digits
    latin: tuple[str, ...]  # the words transliterated, when that changes them
    name_key: str  # the normalised company name (validation.name_key)
    identifiers: tuple[str, ...]  # substrings to look for in e-mails, phones, tax numbers
    tax_numbers: tuple[str, ...]  # exact tax numbers it may be
    domain: str
    digits: str  # the digits of a phone-like query, "" otherwise

    @functools.cached_property
    def fuzzy_words(self) -> list[str]:
        """The words to forgive a typo in: none for an e-mail address or a number."""
        if "@" in self.text or self.digits:
            return []
        return [w for w in self.words if len(w) >= 4 and not w.isdigit()][:FUZZY_WORDS]

    @functools.cached_property
    def budgets(self) -> list[tuple[str, int]]:
        """Each word a row must come near (folded), with its typo budget in edits."""
        return [(_fold(w), 1 if len(w) <= 7 else 2) for w in self.fuzzy_words or self.words]


def parse_query(raw: Any) -> Query | None:
    """What to look for, or None when there is nothing searchable (empty, one character)."""
    text = str(raw or "").encode("utf-8", "replace").decode()  # no lone surrogates
    text = unicodedata.normalize("NFC", text)
    text = " ".join(_CONTROL.sub(" ", text).split())[:MAX_QUERY_LENGTH].strip().lower()
    text = text.replace('"', " ").strip()
    if len(text) < 2:
        return None
    words = tuple(dict.fromkeys(_WORD.findall(text)))[:MAX_WORDS]
    latin = tuple(dict.fromkeys(_WORD.findall(unidecode(text).lower())))[:MAX_WORDS]
    if tuple(map(_fold, latin)) == tuple(map(_fold, words)):
        latin = ()
    is_phone = bool(_PHONE.fullmatch(text)) and sum(c.isdigit() for c in text) >= 3
    digits = re.sub(r"\D", "", text) if is_phone else ""
    if not words and not digits:
        return None
    return Query(
        text=text,
        words=words,
        latin=latin,
        name_key=validation.name_key(text) if words and not digits else "",
        identifiers=_identifiers(text, digits),
        tax_numbers=_tax_numbers(text),
        domain=validation.domain_of(text) if _looks_like_domain(text) else "",
        digits=digits,
    )


@functools.lru_cache(maxsize=65536)
def _fold(word: str) -> str:
    """Lower case without the diacritics of Latin letters: how unicode61 stores a word."""
    if word.isascii():
        return word.lower()
    out = []
    for char in word.lower():
        decomposed = unicodedata.normalize("NFD", char)
        out.append(decomposed[0] if len(decomposed) > 1 and decomposed[0].isascii() else char)
    return "".join(out)


def _looks_like_domain(text: str) -> bool:
    return "." in text and "@" not in text and " " not in text and any(c.isalpha() for c in text)


def _identifiers(text: str, digits: str) -> tuple[str, ...]:
    """Substrings of e-mails, phones, tax numbers and domains that the query may be."""
    found: list[str] = []
    if digits:
        found += [digits, digits.lstrip("0")]  # "030 1234" is "+4930 1234" without the 0
    elif "@" in text or "." in text or any(c.isdigit() for c in text):
        compact = re.sub(r"[^0-9a-zа-яё]", "", text)
        found += [text.replace(" ", ""), compact, re.sub(r"^[a-z]{2}(?=\d{5})", "", compact)]
    return tuple(dict.fromkeys(v for v in found if len(v) >= 3))[:4]


def _tax_numbers(text: str) -> tuple[str, ...]:
    compact = re.sub(r"[^0-9A-Za-z]", "", text).upper()
    if len(compact) < 5 or sum(c.isdigit() for c in compact) < 4:
        return ()
    return tuple(dict.fromkeys([compact, re.sub(r"^[A-Z]{2}(?=\d)", "", compact)]))


def _phrase(value: str) -> str:
    """One FTS5 string: every character literal, nothing of the query syntax."""
    return '"' + value.replace('"', "") + '"'


def _all_words(words: Sequence[str], *, prefix: bool) -> str:
    """Every word, whole or (`prefix`) as the start of a word. From three words on (an e-mail
    address, a long name) only the last one is taken as unfinished: broad prefixes like "ch"*
    in "…@firma.ch" would make FTS5 merge huge lists for nothing."""
    kept = [w for w in words if len(w) >= 2] if prefix else list(words)
    if not kept:
        return ""
    starts = range(len(kept)) if len(kept) <= 2 else [len(kept) - 1]
    return " AND ".join(
        _phrase(w) + ("*" if prefix and n in starts else "") for n, w in enumerate(kept)
    )


def _either(*expressions: str) -> str:
    kept = [e for e in expressions if e]
    return " OR ".join(f"({e})" for e in kept) if len(kept) > 1 else "".join(kept)


# --- who sees what ---------------------------------------------------------------------------


@dataclass
class Scope:
    """The rows a user may see, as SQL the candidate queries can be restricted by."""

    user: Any
    sees_all: bool
    # Ids of the visible accounts, trash included: the index holds no trash, and the final read
    # goes through the live rows.
    accounts: QuerySet[Account, Any] | None = None
    materialise: bool = True
    visible: int = 0  # how many accounts he sees, counted up to MATERIALISE_VISIBLE + 1
    _compiled: dict[tuple[str, str], tuple[str, Sequence[Any]]] = field(default_factory=dict)

    @classmethod
    def of(cls, user: Any, connection: Any) -> Scope:
        if access.sees_all(user):
            return cls(user, sees_all=True)
        accounts = Account.all_objects.visible_to(user).order_by().values("pk")
        scope = cls(user, sees_all=False, accounts=accounts)
        # How many he sees decides how candidates are checked; counting stops past the limit.
        scope.visible = accounts[: MATERIALISE_VISIBLE + 1].count()
        scope.materialise = scope.visible <= MATERIALISE_VISIBLE
        return scope

    @property
    def visible_accounts(self) -> QuerySet[Account, Any]:
        assert self.accounts is not None
        return self.accounts

    @property
    def is_small(self) -> bool:
        return not self.sees_all and self.materialise and self.visible <= FUZZY_IN_PYTHON

    def visible_ids(self, kind: str) -> tuple[str, Sequence[Any]]:
        """SQL of the ids of the visible rows of `kind`. Contacts inherit their account's
        access (core.access: `via="account"`), so they are the contacts of visible accounts."""
        assert self.accounts is not None
        if (kind, "") not in self._compiled:
            rows: QuerySet[Any, Any] = self.accounts
            if kind == "contact":
                rows = Contact.all_objects.filter(account__in=rows).order_by().values("pk")
            self._compiled[kind, ""] = rows.query.sql_with_params()
        return self._compiled[kind, ""]

    def row_is_visible(self, kind: str, rowid_sql: str) -> tuple[str, Sequence[Any]]:
        """SQL of an EXISTS check that the row whose id is `rowid_sql` is visible."""
        if (kind, rowid_sql) not in self._compiled:
            model = Account if kind == "account" else Contact
            rows = model.all_objects.visible_to(self.user).filter(pk=RawSQL(rowid_sql, ()))
            self._compiled[kind, rowid_sql] = rows.order_by().values("pk").query.sql_with_params()
        return self._compiled[kind, rowid_sql]


# --- the engines -----------------------------------------------------------------------------


@dataclass
class Member:
    """One tier of one kind: `expression` is what to look for in `table`."""

    tier: int
    table: str
    expression: str
    column: str = ""  # for PostgreSQL: which condition the expression feeds


@dataclass
class Candidates:
    tiers: dict[str, dict[int, int]] = field(default_factory=lambda: {"account": {}, "contact": {}})

    def add(self, kind: str, rows: Iterable[Sequence[Any]]) -> None:
        best = self.tiers[kind]
        for row_id, tier in rows:
            if row_id is not None and tier < best.get(row_id, FUZZY + 1):
                best[row_id] = tier

    def __len__(self) -> int:
        return sum(len(ids) for ids in self.tiers.values())


class SqliteEngine:
    """FTS5: words (unicode61), trigrams (identifiers, account names, phones), vocabulary."""

    tables = {
        "account": ("accounts_account_fts", "accounts_account_trgm", "accounts_account_fts_vocab"),
        "contact": ("accounts_contact_fts", "accounts_contact_trgm", "accounts_contact_fts_vocab"),
    }

    def __init__(self, connection: Any) -> None:
        self.connection = connection

    def members(self, kind: str, query: Query) -> list[Member]:
        words, trigrams, _vocab = self.tables[kind]
        exact = _either(
            _all_words(query.words, prefix=False), _all_words(query.latin, prefix=False)
        )
        prefix = _either(_all_words(query.words, prefix=True), _all_words(query.latin, prefix=True))
        substrings = []
        if kind == "account" and query.identifiers:
            substrings.append("{ids} : (" + " OR ".join(map(_phrase, query.identifiers)) + ")")
        if kind == "account" and len(query.text) >= 3 and not query.digits:
            substrings.append("{names} : " + _phrase(query.text))
        if kind == "contact" and query.digits:  # a contact's e-mail is words; phones are not
            substrings.append(" OR ".join(map(_phrase, query.identifiers)))
        members = (
            [] if query.digits else [Member(WORDS, words, exact), Member(PREFIX, words, prefix)]
        )
        members += [Member(SUBSTRING, trigrams, s) for s in substrings]
        return [m for m in members if m.expression]

    def fuzzy_members(self, kind: str, query: Query, terms: dict[str, list[str]]) -> list[Member]:
        words, trigrams, _vocab = self.tables[kind]
        clauses = []
        for word in query.fuzzy_words:
            options = [_phrase(word) + "*", *map(_phrase, terms.get(word, []))]
            clauses.append("(" + " OR ".join(options) + ")")
        members = [Member(FUZZY, words, " AND ".join(clauses))] if terms else []
        if kind == "account":  # a typo in the first two letters: the rest is a substring
            tails = [w[2:] for w in query.fuzzy_words if len(w) >= 6]
            if tails:
                members.append(
                    Member(FUZZY, trigrams, "{names} : (" + " OR ".join(map(_phrase, tails)) + ")")
                )
        return members

    def vocabulary(self, kind: str, words: Sequence[str]) -> dict[str, list[str]]:
        """Words of the index that start like `word`: with its first two letters (a typo after
        them), its first and third (a letter slipped in second, or the second and third
        swapped) and, for accounts, its first two swapped. fts5vocab reads the documents of
        every word in a range, so the contacts' (millions of rows) are spared the last one."""
        vocab = self.tables[kind][2]
        parts, params = [], []
        for word in words:
            folded = _fold(word)
            starts = [folded[:2], folded[0] + folded[2]]
            starts += [folded[1] + folded[0]] if kind == "account" else []
            for start in dict.fromkeys(starts):
                parts.append(f"SELECT %s, term FROM {vocab} WHERE term >= %s AND term < %s")  # noqa: S608
                params += [word, start, start[:-1] + chr(ord(start[-1]) + 1)]
        with self.connection.cursor() as cursor:
            cursor.execute(" UNION ALL ".join(parts), params)
            rows = cursor.fetchall()
        return _close_terms(words, rows)

    def candidates(self, kind: str, members: list[Member], scope: Scope) -> list[Any]:
        if not members:
            return []
        prefix_sql, params = "", []
        if not scope.sees_all and scope.materialise:
            visible_sql, visible_params = scope.visible_ids(kind)
            prefix_sql = f"WITH visible(id) AS MATERIALIZED ({visible_sql}) "
            params += list(visible_params)
        selects = []
        for member in members:
            where = f"{member.table} MATCH %s"
            params.append(member.expression)
            if not scope.sees_all and scope.materialise:
                where += " AND +rowid IN visible"
            elif not scope.sees_all:
                check_sql, check_params = scope.row_is_visible(kind, f"{member.table}.rowid")
                where += f" AND EXISTS ({check_sql})"
                params += list(check_params)
            selects.append(
                f"SELECT * FROM (SELECT rowid, {member.tier} FROM {member.table} "  # noqa: S608
                f"WHERE {where} LIMIT {CANDIDATES})"
            )
        try:
            with self.connection.cursor() as cursor:
                cursor.execute(prefix_sql + " UNION ALL ".join(selects), params)
                return list(cursor.fetchall())
        except DatabaseError:  # a query FTS5 refuses must not break the page; say so in the log
            log.warning("search: FTS5 refused %r", [m.expression for m in members], exc_info=True)
            return []


class PostgresEngine:
    """tsvector (whole words, prefixes) and pg_trgm (substrings, word similarity)."""

    tables = {"account": "accounts_account_search", "contact": "accounts_contact_search"}
    keys = {"account": "account_id", "contact": "contact_id"}
    similarity = "0.4"  # pg_trgm.word_similarity_threshold for the typo tier

    def __init__(self, connection: Any) -> None:
        self.connection = connection

    def members(self, kind: str, query: Query) -> list[Member]:
        table = self.tables[kind]
        variants = [v for v in (query.words, query.latin) if v]
        exact = " | ".join("(" + " & ".join(v) + ")" for v in variants)
        prefixed = [[w for w in v if len(w) >= 2] for v in variants]
        prefix = " | ".join("(" + " & ".join(f"{w}:*" for w in v) + ")" for v in prefixed if v)
        members = [Member(WORDS, table, exact, "words"), Member(PREFIX, table, prefix, "words")]
        members = [] if query.digits else members
        members += [Member(SUBSTRING, table, _like(i), "ids") for i in query.identifiers]
        if kind == "account" and len(query.text) >= 3 and not query.digits:
            members.append(Member(SUBSTRING, table, _like(query.text), "names"))
        return [m for m in members if m.expression]

    def fuzzy_members(self, kind: str, query: Query, terms: dict[str, list[str]]) -> list[Member]:
        if not query.fuzzy_words:
            return []
        return [Member(FUZZY, self.tables[kind], " ".join(query.fuzzy_words), "similar")]

    def vocabulary(self, kind: str, words: Sequence[str]) -> dict[str, list[str]]:
        return {}

    def candidates(self, kind: str, members: list[Member], scope: Scope) -> list[Any]:
        if not members:
            return []
        key, params, selects = self.keys[kind], [], []
        conditions = {
            "words": "words @@ to_tsquery('simple', %s)",
            "ids": "ids LIKE %s",
            "names": "names LIKE %s",
            "similar": "%s <%% names",
        }
        for member in members:
            where, order = conditions[member.column], ""
            params.append(member.expression)
            if not scope.sees_all:
                visible_sql, visible_params = scope.visible_ids("account")
                where += f" AND account_id IN ({visible_sql})"
                params += list(visible_params)
            if member.column == "similar":  # the closest first: many rows may be a bit similar
                order = "ORDER BY word_similarity(%s, names) DESC"
                params.append(member.expression)
            selects.append(
                f"(SELECT {key}, {member.tier} FROM {member.table} "  # noqa: S608
                f"WHERE {where} {order} LIMIT {CANDIDATES})"
            )
        with self.connection.cursor() as cursor:
            if any(m.column == "similar" for m in members):
                cursor.execute(
                    "SELECT set_config('pg_trgm.word_similarity_threshold', %s, false)",
                    [self.similarity],
                )
            cursor.execute(" UNION ALL ".join(selects), params)
            return list(cursor.fetchall())


class PlainEngine:
    """Any other database: whole names containing the query, through the ORM."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection

    def members(self, kind: str, query: Query) -> list[Member]:
        return [Member(SUBSTRING, kind, query.text)]

    def fuzzy_members(self, kind: str, query: Query, terms: dict[str, list[str]]) -> list[Member]:
        return []

    def vocabulary(self, kind: str, words: Sequence[str]) -> dict[str, list[str]]:
        return {}

    def candidates(self, kind: str, members: list[Member], scope: Scope) -> list[Any]:
        text = members[0].expression
        if kind == "account":
            match = Q(name__icontains=text) | Q(legal_name__icontains=text)
            rows = Account.objects.visible_to(scope.user).filter(match)
        else:
            match = Q(last_name__icontains=text) | Q(first_name__icontains=text)
            rows = Contact.objects.visible_to(scope.user).filter(match)
        return [(pk, SUBSTRING) for pk in rows.values_list("pk", flat=True)[:CANDIDATES]]


def _like(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _close_terms(words: Sequence[str], rows: Iterable[Sequence[str]]) -> dict[str, list[str]]:
    """For each word, the vocabulary terms within its typo budget (one edit up to 7 letters,
    two beyond), as a whole word or as the start of a longer one, closest first."""
    by_word: dict[str, list[tuple[int, str]]] = {}
    for word, term in rows:
        budget = 1 if len(word) <= 7 else 2
        folded = _fold(word)
        distance = OSA.distance(folded, term, score_cutoff=budget)
        if len(term) > len(folded):
            distance = min(distance, OSA.distance(folded, term[: len(folded)], score_cutoff=budget))
        if distance <= budget and term != folded:
            by_word.setdefault(word, []).append((distance, term))
    return {
        word: [term for _, term in sorted(found)[:FUZZY_TERMS]] for word, found in by_word.items()
    }


def _engine(connection: Any) -> SqliteEngine | PostgresEngine | PlainEngine:
    if connection.vendor == "sqlite":
        return SqliteEngine(connection)
    if connection.vendor == "postgresql":
        return PostgresEngine(connection)
    return PlainEngine(connection)


# --- searching -------------------------------------------------------------------------------


def search(user: Any, query: str, limit: int = 8) -> list[SearchResult]:
    """The accounts and contacts `user` may see that best match `query`, best first.

    Never raises on what a user may type; an empty or one-letter query finds nothing.
    """
    parsed = parse_query(query)
    limit = max(1, min(int(limit), MAX_LIMIT))
    if parsed is None or not access.is_active_user(user):
        return []
    connection = connections[Account.objects.db]
    engine = _engine(connection)
    try:
        scope = Scope.of(user, connection)
        found = _gather(engine, parsed, scope, limit)
    except EmptyResultSet:  # the user sees nothing at all
        return []
    hits = _accounts(user, parsed, found.tiers["account"])
    hits += _contacts(user, parsed, found.tiers["contact"])
    hits.sort(key=lambda hit: (-hit.score, hit.kind, hit.title.lower(), hit.id))
    return hits[:limit]


def _gather(engine: Any, query: Query, scope: Scope, limit: int) -> Candidates:
    found = Candidates()
    found.add("account", _exact_accounts(scope.user, query))
    for kind in ("account", "contact"):
        found.add(kind, engine.candidates(kind, engine.members(kind, query), scope))
    if len(found) < limit and query.fuzzy_words and scope.is_small:
        found.add("account", _near_visible_accounts(scope, query))
        found.add("contact", _near_visible_contacts(scope, query))
    elif len(found) < limit and query.fuzzy_words:
        for kind in ("account", "contact"):
            terms = engine.vocabulary(kind, query.fuzzy_words)
            members = engine.fuzzy_members(kind, query, terms)
            found.add(kind, engine.candidates(kind, members, scope))
    return found


def _near_visible_accounts(scope: Scope, query: Query) -> list[tuple[int, int]]:
    """The typo tier for a user who sees a few hundred accounts: all their names, compared
    here (trash included: the final read drops it; a `deleted_at` filter would mislead
    SQLite's planner)."""
    rows = Account.all_objects.filter(pk__in=scope.visible_accounts).order_by()
    names = rows.values_list("pk", "name", "legal_name", "name_key")
    return [(pk, FUZZY) for pk, *text in names if _near(query, " ".join(text))][:CANDIDATES]


def _near_visible_contacts(scope: Scope, query: Query) -> list[tuple[int, int]]:
    rows = Contact.all_objects.filter(account__in=scope.visible_accounts).order_by()
    names = rows.values_list(
        "pk", "first_name", "middle_name", "last_name", "job_title", "account__name"
    )
    return [(pk, FUZZY) for pk, *text in names if _near(query, " ".join(text))][:CANDIDATES]


def _exact_accounts(user: Any, query: Query) -> list[tuple[int, int]]:
    keys = [Q(name_key=query.name_key)] if query.name_key else []
    keys += [Q(tax_number__in=query.tax_numbers)] if query.tax_numbers else []
    keys += [Q(domain=query.domain)] if query.domain else []
    if not keys:
        return []
    match = keys[0]
    for key in keys[1:]:
        match |= key
    # All rows, not the live ones: a `deleted_at IS NULL` here makes SQLite's planner (without
    # ANALYZE statistics) walk the deleted_at index over every account instead of these keys.
    # The final read keeps only live rows.
    rows = Account.all_objects.visible_to(user).filter(match).order_by()
    return [(pk, EXACT) for pk in rows.values_list("pk", flat=True)[:CANDIDATES]]


def _similarity(query: Query, *titles: str) -> float:
    return max((fuzz.WRatio(query.text, t.lower()) / 100 for t in titles if t), default=0.0)


def _score(tier: int, similarity: float, is_exact: bool) -> float:
    if is_exact:
        return 1.0
    return round(min(0.99, TIER_SCORE[tier] + SIMILARITY_WEIGHT * similarity), 4)


def _accounts(user: Any, query: Query, tiers: dict[int, int]) -> list[SearchResult]:
    if not tiers:
        return []
    rows = (
        Account.objects.visible_to(user)
        .filter(pk__in=list(tiers))
        .order_by()
        .values("pk", "name", "legal_name", "name_key", "tier", "country", "tax_number", "domain")
    )
    tier_labels = dict(Account._meta.get_field("tier").choices or [])
    hits = []
    for row in rows:
        tier = tiers[row["pk"]]
        if tier == FUZZY and not _near(
            query, f"{row['name']} {row['legal_name']} {row['name_key']}"
        ):
            continue
        is_exact = tier == EXACT or query.text in (row["name"].lower(), row["legal_name"].lower())
        subtitle = [row["legal_name"] if row["legal_name"] != row["name"] else ""]
        subtitle += [str(tier_labels.get(row["tier"], "")), row["country"], row["tax_number"]]
        hits.append(
            SearchResult(
                kind="account",
                id=row["pk"],
                title=row["name"],
                subtitle=" · ".join(s for s in subtitle if s),
                url=reverse("accounts:account_detail", args=[row["pk"]]),
                score=_score(tier, _similarity(query, row["name"], row["legal_name"]), is_exact),
            )
        )
    return hits


def _contacts(user: Any, query: Query, tiers: dict[int, int]) -> list[SearchResult]:
    if not tiers:
        return []
    rows = (
        Contact.objects.visible_to(user)
        .filter(pk__in=list(tiers), account__deleted_at__isnull=True)
        .order_by()
        .values(
            "pk",
            "first_name",
            "middle_name",
            "last_name",
            "job_title",
            "emails",
            "phones",
            "account_id",
            "account__name",
        )
    )
    hits = []
    for row in rows:
        tier = tiers[row["pk"]]
        name = " ".join(p for p in (row["first_name"], row["last_name"]) if p)
        full = " ".join(p for p in (row["first_name"], row["middle_name"], row["last_name"]) if p)
        if tier == FUZZY and not _near(query, f"{full} {row['job_title']} {row['account__name']}"):
            continue
        hits.append(
            SearchResult(
                kind="contact",
                id=row["pk"],
                title=full or name,
                subtitle=" · ".join(s for s in (row["job_title"], row["account__name"]) if s),
                url=reverse("accounts:account_detail", args=[row["account_id"]])
                + f"#contact-{row['pk']}",
                score=_score(tier, _similarity(query, name, full), _is_exact_contact(query, row)),
            )
        )
    return hits


def _is_exact_contact(query: Query, row: dict[str, Any]) -> bool:
    first, last = row["first_name"].lower(), row["last_name"].lower()
    if query.text in {f"{first} {last}", f"{last} {first}", last}:
        return True
    if "@" in query.text and query.text in (str(e).lower() for e in row["emails"] or []):
        return True
    phones = [re.sub(r"\D", "", str(p)) for p in row["phones"] or []]
    national = query.digits.lstrip("0")
    return len(national) >= 6 and any(p.endswith(national) for p in phones)


def _near(query: Query, text: str) -> bool:
    """Whether every query word is within its typo budget of some word of `text` (the typo
    tier may bring in rows that only share a few letters with the query)."""
    words = {_fold(w) for w in _WORD.findall(text)}
    for folded, budget in query.budgets:
        if not any(
            OSA.distance(folded, w[: len(folded)] if len(w) > len(folded) else w) <= budget
            or OSA.distance(folded, w) <= budget
            for w in words
        ):
            return False
    return True


# --- keeping the index -----------------------------------------------------------------------

_SEARCH_TRIGGERS = (
    "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
    "AND tbl_name IN ('accounts_account', 'accounts_contact') AND name LIKE 'accounts%search%'"
)
_DIRTY_TRIGGERS = {
    "kam_search_dirty_account_i": (
        "AFTER INSERT ON main.accounts_account",
        "INSERT OR IGNORE INTO kam_search_dirty VALUES ('account', new.id);",
    ),
    "kam_search_dirty_account_u": (
        "AFTER UPDATE ON main.accounts_account",
        "INSERT OR IGNORE INTO kam_search_dirty VALUES ('account', new.id);"
        " INSERT OR IGNORE INTO kam_search_dirty SELECT 'contact', id FROM main.accounts_contact"
        " WHERE account_id = new.id AND (old.name IS NOT new.name"
        " OR old.name_key IS NOT new.name_key OR old.deleted_at IS NOT new.deleted_at);",
    ),
    "kam_search_dirty_account_d": (
        "AFTER DELETE ON main.accounts_account",
        "INSERT OR IGNORE INTO kam_search_dirty VALUES ('account', old.id);",
    ),
    "kam_search_dirty_contact_i": (
        "AFTER INSERT ON main.accounts_contact",
        "INSERT OR IGNORE INTO kam_search_dirty VALUES ('contact', new.id);",
    ),
    "kam_search_dirty_contact_u": (
        "AFTER UPDATE ON main.accounts_contact",
        "INSERT OR IGNORE INTO kam_search_dirty VALUES ('contact', new.id);",
    ),
    "kam_search_dirty_contact_d": (
        "AFTER DELETE ON main.accounts_contact",
        "INSERT OR IGNORE INTO kam_search_dirty VALUES ('contact', old.id);",
    ),
}
_REINDEX = [
    """INSERT INTO accounts_account_trgm(accounts_account_trgm, rowid, names, ids)
        SELECT 'delete', f.rowid, f.names, f.ids FROM kam_search_dirty d
        JOIN accounts_account_fts f ON f.rowid = d.id WHERE d.kind = 'account'""",
    """DELETE FROM accounts_account_fts
        WHERE rowid IN (SELECT id FROM kam_search_dirty WHERE kind = 'account')""",
    """INSERT INTO accounts_account_fts(rowid, names, notes, ids)
        SELECT s.id, s.names, s.notes, s.ids FROM kam_search_dirty d
        JOIN accounts_account_search_src s ON s.id = d.id WHERE d.kind = 'account'""",
    """INSERT INTO accounts_account_trgm(rowid, names, ids)
        SELECT f.rowid, f.names, f.ids FROM kam_search_dirty d
        JOIN accounts_account_fts f ON f.rowid = d.id WHERE d.kind = 'account'""",
    """INSERT INTO accounts_contact_trgm(accounts_contact_trgm, rowid, phones)
        SELECT 'delete', f.rowid, f.phones FROM kam_search_dirty d
        JOIN accounts_contact_fts f ON f.rowid = d.id WHERE d.kind = 'contact'""",
    """DELETE FROM accounts_contact_fts
        WHERE rowid IN (SELECT id FROM kam_search_dirty WHERE kind = 'contact')""",
    """INSERT INTO accounts_contact_fts(rowid, names, title, account, emails, notes, phones)
        SELECT s.id, s.names, s.title, s.account, s.emails, s.notes, s.phones
        FROM kam_search_dirty d
        JOIN accounts_contact_search_src s ON s.id = d.id WHERE d.kind = 'contact'""",
    """INSERT INTO accounts_contact_trgm(rowid, phones)
        SELECT f.rowid, f.phones FROM kam_search_dirty d
        JOIN accounts_contact_fts f ON f.rowid = d.id WHERE d.kind = 'contact'""",
]


@contextmanager
def bulk_indexing(using: str = "default") -> Iterator[None]:
    """Write many accounts and contacts, then index them in one pass (SQLite).

    FTS5 flushes its pending writes at every statement a trigger writes it from, which costs
    about 0.3 ms per row; for a bulk write (the demo, an import) the search triggers are set
    aside for the block, the rows it touches are noted by connection-local triggers, and they
    are indexed together at the end. Runs in one transaction: other connections never see the
    triggers missing, and an error leaves everything as it was. Elsewhere (PostgreSQL keeps its
    index cheaply row by row) it is only that transaction.
    """
    connection = connections[using]
    if connection.vendor != "sqlite" or getattr(connection, "_kam_bulk_indexing", False):
        with transaction.atomic(using=using):
            yield
        return
    with transaction.atomic(using=using), connection.cursor() as cursor:
        cursor.execute(_SEARCH_TRIGGERS)
        triggers = cursor.fetchall()
        for name, _sql in triggers:
            cursor.execute(f'DROP TRIGGER "{name}"')
        cursor.execute(
            "CREATE TEMP TABLE IF NOT EXISTS kam_search_dirty "
            "(kind TEXT, id INTEGER, PRIMARY KEY (kind, id)) WITHOUT ROWID"
        )
        for name, (when, body) in _DIRTY_TRIGGERS.items():
            cursor.execute(f"CREATE TEMP TRIGGER {name} {when} BEGIN {body} END")
        connection._kam_bulk_indexing = True  # type: ignore[attr-defined]
        try:
            yield
        finally:
            connection._kam_bulk_indexing = False  # type: ignore[attr-defined]
            for name in _DIRTY_TRIGGERS:
                cursor.execute(f"DROP TRIGGER IF EXISTS temp.{name}")
        for sql in _REINDEX:
            cursor.execute(sql)
        cursor.execute("DELETE FROM kam_search_dirty")
        for _name, sql in triggers:
            cursor.execute(sql)


def check_index(using: str = "default") -> None:
    """Raise if the SQLite word index does not hold exactly what it was given (FTS5's own
    integrity check); for tests and operators."""
    connection = connections[using]
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        for table in ("accounts_account_fts", "accounts_contact_fts"):
            cursor.execute(f"INSERT INTO {table}({table}, rank) VALUES ('integrity-check', 1)")  # noqa: S608
