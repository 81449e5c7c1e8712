"""Likely duplicates of accounts and contacts: match keys, exact lookups, fuzzy names, a score.

Every live account and contact keeps its normalised identifying values as `MatchKey` rows (name,
domain, tax number, e-mails, phones; for a contact its e-mails, phones and its name within its
account). The finder looks the keys of a record (or of what a user is typing) up in that index,
adds accounts whose names are close (rapidfuzz, over a block of accounts whose normalised names
share a prefix), and scores each candidate 0-100 from the keys it shares. Candidates are only
ever what the user may see (`core.access`).

Scores combine independent evidence: each matched key has a weight (the chance, in percent, that
it alone means the same company or person) and the score is 100 * (1 - product of (1 - w)).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connections, router, transaction
from django.db.models import Q
from rapidfuzz import fuzz, process
from unidecode import unidecode

from kam.accounts import validation
from kam.accounts.models import Account, Contact, MatchKey

Kind = MatchKey.Kind
KeySet = set[tuple[str, str]]

# A candidate at or above this score is "the same record" for an import's --on-duplicate rule.
DUPLICATE_SCORE = 80

ACCOUNT_WEIGHTS: dict[str, float] = {
    Kind.TAX: 95,
    Kind.EMAIL: 85,
    Kind.NAME: 85,
    Kind.DOMAIN: 80,
    Kind.PHONE: 70,
}
CONTACT_WEIGHTS: dict[str, float] = {
    Kind.EMAIL: 95,
    Kind.NAME: 85,
    Kind.PHONE: 75,
}
# A similar (not equal) name weighs its rapidfuzz ratio times this.
SIMILAR_NAME_FACTOR = 0.75
SIMILAR_NAME_CUTOFF = 85
# Names are compared fuzzily within this many accounts sharing a prefix of the normalised name.
FUZZY_BLOCK = 500
PREFIX_LENGTH = 4
# The same name in another country is often another company of a group: half the weight.
OTHER_COUNTRY_FACTOR = 0.5

# Addresses at these domains belong to people, not to companies: never a company's domain key.
FREE_MAIL_DOMAINS = frozenset(
    [
        "gmail.com",
        "googlemail.com",
        "yahoo.com",
        "yahoo.co.uk",
        "yahoo.de",
        "yahoo.fr",
        "hotmail.com",
        "hotmail.de",
        "hotmail.fr",
        "outlook.com",
        "live.com",
        "msn.com",
        "aol.com",
        "icloud.com",
        "me.com",
        "mac.com",
        "protonmail.com",
        "proton.me",
        "gmx.de",
        "gmx.net",
        "gmx.com",
        "web.de",
        "t-online.de",
        "freenet.de",
        "mail.ru",
        "bk.ru",
        "inbox.ru",
        "list.ru",
        "yandex.ru",
        "ya.ru",
        "rambler.ru",
        "qq.com",
        "163.com",
        "orange.fr",
        "free.fr",
        "libero.it",
        "seznam.cz",
        "wp.pl",
        "onet.pl",
        "ukr.net",
    ]
)

_NON_WORD = re.compile(r"[^0-9a-z]+")
_MAX_VALUE = 255


# --- keys -------------------------------------------------------------------------------------


def person_key(*names: str) -> str:
    """`Petrov, Ivan`, `IVAN PETROV` and `Иван Петров` all give `ivan petrov` (word order and
    transliteration do not matter)."""
    words = _NON_WORD.sub(" ", unidecode(" ".join(n for n in names if n)).casefold()).split()
    return " ".join(sorted(words))


def company_domain(domain: str) -> str:
    """The domain as a company key: empty for free-mail providers."""
    domain = (domain or "").strip().lower()
    return "" if domain in FREE_MAIL_DOMAINS else domain


def _key(kind: str, value: str) -> tuple[str, str] | None:
    value = (value or "").strip()
    return (kind, value[:_MAX_VALUE]) if value else None


def _keys(pairs: Iterable[tuple[str, str]]) -> KeySet:
    return {key for kind, value in pairs if (key := _key(kind, value)) is not None}


def account_keys(account: Account) -> KeySet:
    """The match keys of a saved account (its fields are already clean)."""
    return _keys(
        [
            (Kind.NAME, account.name_key or validation.name_key(account.name)),
            (Kind.DOMAIN, company_domain(account.domain)),
            (Kind.TAX, account.tax_number),
            *((Kind.EMAIL, str(email).lower()) for email in account.emails or []),
            *((Kind.PHONE, str(phone)) for phone in account.phones or []),
        ]
    )


def contact_name_value(account_id: Any, first_name: str, last_name: str) -> str:
    key = person_key(first_name, last_name)
    return f"{account_id}:{key}" if key and account_id else ""


def contact_keys(contact: Contact, *, account_id: Any = None) -> KeySet:
    """The match keys of a saved contact: e-mails, phones, name within the account (its own,
    or `account_id`)."""
    account_id = contact.account_id if account_id is None else account_id
    return _keys(
        [
            (Kind.NAME, contact_name_value(account_id, contact.first_name, contact.last_name)),
            *((Kind.EMAIL, str(email).lower()) for email in contact.emails or []),
            *((Kind.PHONE, str(phone)) for phone in contact.phones or []),
        ]
    )


def _as_list(value: Any) -> list[str]:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        value = value.replace(";", ",").split(",")
    return [str(v).strip() for v in value if str(v).strip()]


def _loose_emails(values: Any) -> list[str]:
    cleaned = []
    for value in _as_list(values):
        try:
            cleaned.append(validation.clean_email(value).lower())
        except ValidationError:
            continue
    return cleaned


def _loose_phones(values: Any, region: str | None) -> list[str]:
    cleaned = []
    for value in _as_list(values):
        try:
            cleaned.append(validation.clean_phone(value, region))
        except ValidationError:
            continue
    return cleaned


def _loose_tax(value: str, country: str) -> str:
    try:
        return validation.clean_tax_number(value, country)
    except ValidationError:
        return re.sub(r"[\s.\-/]", "", value or "").upper()


@dataclass
class Probe:
    """What is compared: the keys of a record, or of what someone is typing."""

    keys: KeySet
    name: str = ""  # normalised name (name_key for an account, person key for a contact)
    country: str = ""
    account_id: int | None = None  # a contact's account


def account_probe(data_or_account: Mapping[str, Any] | Account) -> Probe:
    """Keys of an account, or of raw account fields (invalid values are simply not keys)."""
    if isinstance(data_or_account, Account):
        account = data_or_account
        return Probe(
            account_keys(account),
            name=account.name_key or validation.name_key(account.name),
            country=str(account.country or ""),
        )
    data = data_or_account
    country = str(data.get("country") or "").strip().upper()
    name = validation.name_key(str(data.get("name") or ""))
    emails = _loose_emails(data.get("emails"))
    domain = validation.domain_of(str(data.get("website") or "")) or (
        validation.domain_of(emails[0]) if emails else ""
    )
    keys = _keys(
        [
            (Kind.NAME, name),
            (Kind.DOMAIN, company_domain(domain)),
            (Kind.TAX, _loose_tax(str(data.get("tax_number") or ""), country)),
            *((Kind.EMAIL, email) for email in emails),
            *((Kind.PHONE, phone) for phone in _loose_phones(data.get("phones"), country or None)),
        ]
    )
    return Probe(keys, name=name, country=country)


def contact_probe(data_or_contact: Mapping[str, Any] | Contact) -> Probe:
    """Keys of a contact, or of raw contact fields (`account` an Account or an id)."""
    if isinstance(data_or_contact, Contact):
        contact = data_or_contact
        return Probe(
            contact_keys(contact),
            name=person_key(contact.first_name, contact.last_name),
            account_id=contact.account_id,
        )
    data = data_or_contact
    account = data.get("account")
    account_id = account.pk if isinstance(account, Account) else _int_or_none(account)
    region = str(account.country or "") if isinstance(account, Account) else ""
    first, last = str(data.get("first_name") or ""), str(data.get("last_name") or "")
    keys = _keys(
        [
            (Kind.NAME, contact_name_value(account_id, first, last)),
            *((Kind.EMAIL, email) for email in _loose_emails(data.get("emails"))),
            *((Kind.PHONE, phone) for phone in _loose_phones(data.get("phones"), region or None)),
        ]
    )
    return Probe(keys, name=person_key(first, last), account_id=account_id)


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# --- the index --------------------------------------------------------------------------------


def _insert_keys(rows: Sequence[tuple[str, str, int | None, int | None]]) -> None:
    """INSERT (kind, value, account_id, contact_id) rows in one executemany."""
    if not rows:
        return
    connection = connections[router.db_for_write(MatchKey)]
    qn = connection.ops.quote_name
    table = qn(MatchKey._meta.db_table)
    columns = ", ".join(qn(c) for c in ("kind", "value", "account_id", "contact_id"))
    sql = f"INSERT INTO {table} ({columns}) VALUES (%s, %s, %s, %s)"  # noqa: S608 - _meta names
    with connection.cursor() as cursor:
        cursor.executemany(sql, list(rows))


def account_key_rows(account_id: int, keys: KeySet) -> list[tuple[str, str, int | None, None]]:
    return [(kind, value, account_id, None) for kind, value in sorted(keys)]


def contact_key_rows(contact_id: int, keys: KeySet) -> list[tuple[str, str, None, int | None]]:
    return [(kind, value, None, contact_id) for kind, value in sorted(keys)]


def insert_key_rows(rows: Sequence[tuple[str, str, int | None, int | None]]) -> None:
    """Add match keys of records just created (the importer's bulk path)."""
    _insert_keys(rows)


@transaction.atomic
def refresh_match_keys(*, account: Account | None = None, contact: Contact | None = None) -> None:
    """Replace the match keys of one account or contact with its current values.

    A record in the trash keeps no keys (it is nobody's duplicate until restored)."""
    if (account is None) == (contact is None):
        raise ValueError("give exactly one of account= or contact=")
    if account is not None:
        MatchKey.objects.filter(account=account).delete()
        if account.deleted_at is None:
            _insert_keys(account_key_rows(account.pk, account_keys(account)))
    elif contact is not None:
        MatchKey.objects.filter(contact=contact).delete()
        if contact.deleted_at is None:
            _insert_keys(contact_key_rows(contact.pk, contact_keys(contact)))


def _chunks(rows: Iterable[Any], size: int) -> Iterator[list[Any]]:
    it = iter(rows)
    while chunk := list(islice(it, size)):
        yield chunk


@transaction.atomic
def rebuild_match_keys(*, chunk_size: int = 5000) -> int:
    """Rebuild the whole index from the live accounts and contacts; return the keys written.

    Streams the records (a chunk at a time, memory flat) and writes with executemany, so a
    large base (demo data, after an import) takes seconds, not minutes."""
    MatchKey.objects.all().delete()
    written = 0
    accounts = (
        Account.objects.order_by()
        .values_list("pk", "name", "name_key", "domain", "tax_number", "emails", "phones")
        .iterator(chunk_size=chunk_size)
    )
    for chunk in _chunks(accounts, chunk_size):
        rows: list[tuple[str, str, int | None, int | None]] = []
        for pk, name, name_key, domain, tax, emails, phones in chunk:
            shell = Account(
                name=name,
                name_key=name_key,
                domain=domain,
                tax_number=tax,
                emails=emails,
                phones=phones,
            )
            rows.extend(account_key_rows(pk, account_keys(shell)))
        _insert_keys(rows)
        written += len(rows)
    contacts = (
        Contact.objects.order_by()
        .values_list("pk", "account_id", "first_name", "last_name", "emails", "phones")
        .iterator(chunk_size=chunk_size)
    )
    for chunk in _chunks(contacts, chunk_size):
        rows = []
        for pk, account_id, first, last, emails, phones in chunk:
            person = Contact(
                account_id=account_id,
                first_name=first,
                last_name=last,
                emails=emails,
                phones=phones,
            )
            rows.extend(contact_key_rows(pk, contact_keys(person)))
        _insert_keys(rows)
        written += len(rows)
    return written


def lookup(keys: Iterable[tuple[str, str]], *, side: str) -> dict[tuple[str, str], set[int]]:
    """Which accounts (`side="account"`) or contacts (`"contact"`) hold each key: one query.

    Ids of records in the trash may appear (their keys go with their next refresh); callers
    fetch the records through a live, access-scoped queryset anyway."""
    by_kind: dict[str, set[str]] = defaultdict(set)
    for kind, value in keys:
        by_kind[kind].add(value)
    if not by_kind:
        return {}
    condition = Q()
    for kind, values in by_kind.items():
        condition |= Q(kind=kind, value__in=sorted(values))
    column = "account_id" if side == "account" else "contact_id"
    found: dict[tuple[str, str], set[int]] = defaultdict(set)
    rows = (
        MatchKey.objects.filter(condition)
        .filter(**{f"{column}__isnull": False})
        .values_list("kind", "value", column)
    )
    for kind, value, owner_id in rows:
        found[(kind, value)].add(owner_id)
    return found


# --- scoring ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reason:
    """One piece of evidence: which key matched (`similar_name` carries the ratio)."""

    kind: str
    value: str
    weight: float


@dataclass
class Candidate:
    record: Any  # Account or Contact
    score: int
    reasons: list[Reason] = field(default_factory=list)

    @property
    def id(self) -> int:
        return int(self.record.pk)


def combine(weights: Iterable[float]) -> int:
    """100 * (1 - prod(1 - w/100)): independent evidence adds up, never past 100."""
    remaining = 1.0
    for weight in weights:
        remaining *= 1 - min(max(weight, 0.0), 100.0) / 100
    return round(100 * (1 - remaining))


def score_reasons(reasons: Iterable[Reason]) -> int:
    return combine(reason.weight for reason in reasons)


def exact_reasons(
    probe_keys: KeySet,
    found: Mapping[tuple[str, str], set[int]],
    weights: Mapping[str, float],
) -> dict[int, list[Reason]]:
    """Per candidate id: the keys it shares with the probe."""
    reasons: dict[int, list[Reason]] = defaultdict(list)
    for key in sorted(probe_keys):
        for owner_id in found.get(key, ()):
            kind, value = key
            reasons[owner_id].append(Reason(str(kind), value, weights.get(kind, 0)))
    return reasons


def adjust_for_country(reasons: list[Reason], country: str, other: str) -> list[Reason]:
    """Halve the name evidence when both records name different countries."""
    if not country or not other or country == other:
        return reasons
    return [
        Reason(r.kind, r.value, r.weight * OTHER_COUNTRY_FACTOR)
        if r.kind in (Kind.NAME, "similar_name")
        else r
        for r in reasons
    ]


# --- finders ----------------------------------------------------------------------------------


def _prefix_range(name: str) -> tuple[str, str] | None:
    """[low, high) bounds of the names starting like `name` (index-friendly on every backend)."""
    prefix = name.split(" ", 1)[0][:PREFIX_LENGTH] if name else ""
    if not prefix:
        return None
    return prefix, prefix[:-1] + chr(ord(prefix[-1]) + 1)


def _similar_accounts(probe: Probe, user: Any, exclude_id: int | None) -> dict[int, Reason]:
    """Accounts with a close (not necessarily equal) normalised name, from one block."""
    bounds = _prefix_range(probe.name)
    if bounds is None:
        return {}
    block = (
        Account.objects.visible_to(user)
        .filter(name_key__gte=bounds[0], name_key__lt=bounds[1])
        .exclude(pk=exclude_id)
        .order_by("name_key", "pk")
        .values_list("pk", "name_key")[:FUZZY_BLOCK]
    )
    choices = dict(block)
    matches = process.extract(
        probe.name,
        choices,
        scorer=fuzz.token_sort_ratio,
        score_cutoff=SIMILAR_NAME_CUTOFF,
        limit=None,
    )
    return {
        int(pk): Reason("similar_name", f"{value} ({round(ratio)}%)", ratio * SIMILAR_NAME_FACTOR)
        for value, ratio, pk in matches
        if value != probe.name
    }


def find_account_duplicates(
    data_or_account: Mapping[str, Any] | Account,
    *,
    user: Any,
    exclude_id: int | None = None,
    limit: int = 10,
) -> list[Candidate]:
    """Accounts `user` may see that look like this one, best first (score 0-100, reasons).

    Queries: one on the key index, one block of similar names, one for the candidates."""
    probe = account_probe(data_or_account)
    if isinstance(data_or_account, Account) and exclude_id is None:
        exclude_id = data_or_account.pk
    reasons = exact_reasons(probe.keys, lookup(probe.keys, side="account"), ACCOUNT_WEIGHTS)
    for pk, reason in _similar_accounts(probe, user, exclude_id).items():
        if not any(r.kind == Kind.NAME for r in reasons.get(pk, [])):
            reasons[pk].append(reason)
    if exclude_id is not None:
        reasons.pop(exclude_id, None)
    if not reasons:
        return []
    accounts = Account.objects.visible_to(user).select_related("owner").in_bulk(list(reasons))
    candidates = []
    for pk, account in accounts.items():
        found = adjust_for_country(reasons[pk], probe.country, str(account.country or ""))
        candidates.append(Candidate(account, score_reasons(found), found))
    candidates.sort(key=lambda c: (-c.score, c.id))
    return candidates[:limit]


def find_contact_duplicates(
    data_or_contact: Mapping[str, Any] | Contact,
    *,
    user: Any,
    exclude_id: int | None = None,
    limit: int = 10,
) -> list[Candidate]:
    """Contacts `user` may see that look like this one: the same e-mail or phone anywhere, the
    same or a similar name at the same account. Best first."""
    probe = contact_probe(data_or_contact)
    if isinstance(data_or_contact, Contact) and exclude_id is None:
        exclude_id = data_or_contact.pk
    reasons = exact_reasons(probe.keys, lookup(probe.keys, side="contact"), CONTACT_WEIGHTS)
    if probe.account_id and probe.name:
        colleagues = (
            Contact.objects.visible_to(user)
            .filter(account_id=probe.account_id)
            .exclude(pk=exclude_id)
            .values_list("pk", "first_name", "last_name")[:FUZZY_BLOCK]
        )
        names = {pk: person_key(first, last) for pk, first, last in colleagues}
        for value, ratio, pk in process.extract(
            probe.name,
            names,
            scorer=fuzz.token_sort_ratio,
            score_cutoff=SIMILAR_NAME_CUTOFF,
            limit=None,
        ):
            if value != probe.name and not any(r.kind == Kind.NAME for r in reasons.get(pk, [])):
                reasons[pk].append(
                    Reason(
                        "similar_name", f"{value} ({round(ratio)}%)", ratio * SIMILAR_NAME_FACTOR
                    )
                )
    if exclude_id is not None:
        reasons.pop(exclude_id, None)
    if not reasons:
        return []
    contacts = Contact.objects.visible_to(user).select_related("account").in_bulk(list(reasons))
    candidates = [
        Candidate(contact, score_reasons(reasons[pk]), reasons[pk])
        for pk, contact in contacts.items()
    ]
    candidates.sort(key=lambda c: (-c.score, c.id))
    return candidates[:limit]
