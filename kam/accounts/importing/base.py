"""What importing accounts and contacts share: the plan of a batch (what to create, update,
skip), its one transaction (records, match keys, audit, ledger, row errors, progress), updates
through the services, and the dry run's memory of what it would have created.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from json.encoder import encode_basestring_ascii  # type: ignore[attr-defined]
from typing import Any

from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, connections, models, router, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.accounts import duplicates, services
from kam.accounts.importing import extras
from kam.accounts.importing.reader import ImportFileError, RawRow
from kam.accounts.importing.rows import (
    _VALUE_MAX,
    Context,
    ImportSummary,
    Parsed,
    RowError,
    _clip,
    field_errors,
)
from kam.accounts.models import (
    Account,
    AccountAddress,
    ImportJob,
    ImportLedger,
    ImportRowError,
    MatchKey,
)
from kam.accounts.search import bulk_indexing
from kam.core import bulk
from kam.core.errors import ApplicationError, PermissionDeniedError

logger = logging.getLogger(__name__)

# --- plans and outcomes -----------------------------------------------------------------------


@dataclass
class Pending:
    """A record this batch will create (or, in a dry run, would have)."""

    number: int
    instance: Any  # Account or Contact, not saved yet
    keys: duplicates.KeySet
    account: PendingAccount | None = None  # a contact's new account


@dataclass
class PendingAccount:
    instance: Account
    keys: duplicates.KeySet
    first_row: int


@dataclass
class Update:
    """A row that updates a record found as its duplicate (through the update service)."""

    number: int
    target: int | Pending  # an existing record's id, or a record this batch creates
    values: Any  # the row's record as validated (not saved)
    parsed: Parsed
    named_owner: bool


@dataclass
class Plan:
    creates: list[Pending] = field(default_factory=list)
    accounts: list[PendingAccount] = field(default_factory=list)
    updates: list[Update] = field(default_factory=list)
    skips: list[tuple[int, int | Pending | None]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    already: int = 0


@dataclass
class Outcome:
    errors: list[RowError] = field(default_factory=list)


class Importer:
    """What accounts and contacts share: ledger, batch transaction, writing, counting."""

    model: type[models.Model]
    weights: dict[str, float]

    def __init__(self, context: Context) -> None:
        self.context = context
        self.target = context.options.target
        self.mode = context.options.on_duplicate
        self.inserters = {
            "audit": bulk.Inserter(
                LogEntry,
                [
                    "content_type_id",
                    "object_pk",
                    "object_id",
                    "object_repr",
                    "action",
                    "changes",
                    "changes_text",
                    "actor_id",
                    "actor_email",
                    "timestamp",
                    "additional_data",
                ],
            ),
            "ledger": bulk.Inserter(
                ImportLedger, ["file_sha256", "target", "row_number", "object_id"]
            ),
            "errors": bulk.Inserter(
                ImportRowError, ["job_id", "row_number", "column", "value", "reason"]
            ),
        }
        self.record_inserters: dict[type[models.Model], bulk.Inserter] = {}

    def run(self, batch: list[RawRow], summary: ImportSummary) -> Outcome:
        """Plan the batch (reads only), then write it all in one transaction."""
        plan = self.plan(batch)
        if self.context.options.dry_run:
            self.remember(plan)
            updated, unchanged, update_errors = self.check_updates(plan.updates)
            errors = [*plan.errors, *update_errors]
            self.count(summary, plan, len(batch), updated, unchanged, errors)
            self.save_progress(summary, errors)
            return Outcome(errors)
        try:
            # The search index is brought up to date once per batch, not once per row.
            with transaction.atomic(), bulk_indexing():
                self.write(plan)
                updated, unchanged, update_errors = self.apply_updates(plan.updates)
                errors = [*plan.errors, *update_errors]
                self.count(summary, plan, len(batch), updated, unchanged, errors)
                self.save_progress(summary, errors)
        except IntegrityError as error:
            logger.exception("import batch failed")
            raise ImportFileError(
                _(
                    "The database refused a batch (%s). If another import of the same file is "
                    "running, wait for it to finish; otherwise run this import again."
                )
                % error
            ) from error
        return Outcome(errors)

    # -- planning (no writes) --

    def plan(self, batch: list[RawRow]) -> Plan:
        raise NotImplementedError

    def ledgered(self, batch: list[RawRow]) -> set[int]:
        """The rows an earlier run of the same file imported (a dry run skips them too)."""
        numbers = [int(row.number) for row in batch]
        if not numbers:
            return set()
        # The ORM's query, in SQL: it would prepare each of the batch's row numbers one by one.
        connection = connections[router.db_for_read(ImportLedger)]
        qn = connection.ops.quote_name
        sql = (
            f"SELECT {qn('row_number')} FROM {qn(ImportLedger._meta.db_table)} "  # noqa: S608
            f"WHERE {qn('file_sha256')} = %s AND {qn('target')} = %s "
            f"AND {qn('row_number')} IN ({', '.join(['%s'] * len(numbers))})"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [self.context.sha256, self.target, *numbers])
            return {number for (number,) in cursor.fetchall()}

    def best(
        self,
        keys: duplicates.KeySet,
        found: dict[tuple[str, str], set[int]],
        countries: dict[int, str],
        country: str,
    ) -> int | None:
        """The visible record that is most likely this one, if it is likely enough."""
        reasons = duplicates.exact_reasons(keys, found, self.weights)
        scored = []
        for pk, matched in reasons.items():
            if pk not in countries:
                continue  # not visible to the user, or in the trash
            matched = duplicates.adjust_for_country(matched, country, countries[pk])
            scored.append((duplicates.score_reasons(matched), -pk, pk))
        if not scored:
            return None
        score, _neg, pk = max(scored)
        return pk if score >= duplicates.DUPLICATE_SCORE else None

    def lookup(self, keys: Iterable[tuple[str, str]], side: str) -> dict[tuple[str, str], set[int]]:
        keys = set(keys)
        found = lookup_keys(keys, side=side)
        for key, virtual_id in self.context.virtual.get(side, {}).items():
            if key in keys:
                found.setdefault(key, set()).add(virtual_id)
        return found

    def virtual_ids(self, side: str) -> set[int]:
        return set(self.context.virtual.get(side, {}).values())

    # -- writing --

    def write(self, plan: Plan) -> None:
        raise NotImplementedError

    def remember(self, plan: Plan) -> None:
        raise NotImplementedError

    def apply_updates(self, updates: list[Update]) -> tuple[int, int, list[RowError]]:
        """Each update through its service, in a savepoint: (updated, unchanged, errors)."""
        updated, unchanged, errors = 0, 0, []
        for update in updates:
            target_id = _id_of(update.target)
            assert target_id is not None
            try:
                with transaction.atomic():
                    if self.update_one(target_id, update):
                        updated += 1
                    else:
                        unchanged += 1
            except ApplicationError as error:
                errors.extend(self.service_errors(update, error))
        return updated, unchanged, errors

    def check_updates(self, updates: list[Update]) -> tuple[int, int, list[RowError]]:
        """A dry run's updates: may the user change the record? (nothing is written)"""
        ids = [u.target for u in updates if isinstance(u.target, int) and u.target > 0]
        changeable = set(
            self.model._default_manager.visible_to(self.context.user, "change")  # type: ignore[attr-defined]
            .filter(pk__in=ids)
            .values_list("pk", flat=True)
        )
        errors = [
            RowError(u.number, "", "", str(PermissionDeniedError.default_message))
            for u in updates
            if isinstance(u.target, int) and u.target > 0 and u.target not in changeable
        ]
        return len(updates) - len(errors), 0, errors

    def update_one(self, target_id: int, update: Update) -> bool:
        raise NotImplementedError

    def service_errors(self, update: Update, error: ApplicationError) -> list[RowError]:
        if error.fields:
            return field_errors(update.number, error.fields, update.parsed, self.context)
        return [RowError(update.number, "", "", _clip(error.message))]

    def assign_ids(self, instances: list[Any]) -> bool:
        """Draw primary keys for new records (before INSERT, so rows can point at each other);
        False where the backend cannot say (the ORM's bulk_create then numbers them)."""
        ids = bulk.allocate_ids(type(instances[0]), len(instances)) if instances else []
        if ids is None:
            return False
        for instance, pk in zip(instances, ids, strict=True):
            instance.pk = pk
        return True

    def insert(self, instances: list[Any]) -> None:
        """INSERT new records in one statement per batch, their ids drawn beforehand."""
        if not instances:
            return
        model = type(instances[0])
        if instances[0].pk is None and not self.assign_ids(instances):
            model.objects.bulk_create(instances)
            return
        if model not in self.record_inserters:
            self.record_inserters[model] = bulk.model_inserter(model)
        bulk.insert_instances(instances, self.record_inserters[model], timezone.now())
        for instance in instances:
            instance._state.adding = False
            instance._state.db = self.record_inserters[model].connection.alias

    def write_extras(self, accounts: list[Account]) -> None:
        """The new accounts' tags (missing tags created) and addresses, with their audit."""
        ids = extras.tag_ids(name for a in accounts for name in a._import_tags)  # type: ignore[attr-defined]
        through = Account.tags.through
        if ids:
            if through not in self.record_inserters:
                self.record_inserters[through] = bulk.Inserter(through, ["account_id", "tag_id"])
            self.record_inserters[through].insert(
                (a.pk, ids[name])
                for a in accounts
                for name in a._import_tags  # type: ignore[attr-defined]
            )
        addresses: list[AccountAddress] = []
        for account in accounts:
            for address in account._import_addresses:  # type: ignore[attr-defined]
                address.account_id = account.pk
                addresses.append(address)
        if addresses:
            self.insert(addresses)
            self.audit(addresses, ("updated_at",))

    def ledger(self, rows: list[tuple[int, int | None]]) -> None:
        sha, target = self.context.sha256, self.target
        self.inserters["ledger"].insert(
            (sha, target, number, object_id) for number, object_id in rows
        )

    def audit(
        self,
        instances: list[Any],
        exclude: tuple[str, ...],
        more: Callable[[Any], dict[str, Any]] | None = None,
    ) -> None:
        """Entries for records inserted in bulk: what auditlog writes when one is saved
        (`more`: a record's changes beyond its columns, its many-to-many links)."""
        if not instances:
            return
        content_type_id = ContentType.objects.get_for_model(instances[0]).pk
        user, now = self.context.user, timezone.now()
        email = getattr(user, "email", None) or None
        extra = bulk.RawJSON(
            json.dumps(
                {"event": "import", "job": self.context.job.pk if self.context.job else None}
            )
        )
        changes = _ChangesEncoder(instances[0], exclude)
        action, actor_id = LogEntry.Action.CREATE, user.pk
        self.inserters["audit"].insert(
            (
                content_type_id,
                str(obj.pk),
                obj.pk,
                str(obj),
                action,
                changes(obj, more),
                "",
                actor_id,
                email,
                now,
                extra,
            )
            for obj in instances
        )

    # -- counting --

    def count(
        self,
        summary: ImportSummary,
        plan: Plan,
        rows: int,
        updated: int,
        unchanged: int,
        errors: list[RowError],
    ) -> None:
        summary.processed += rows
        summary.created += len(plan.creates)
        summary.accounts_created += len(plan.accounts)
        summary.updated += updated
        summary.already += plan.already
        summary.skipped += len(plan.skips) + plan.already + unchanged
        summary.errors += len({error.row for error in errors})

    def save_progress(self, summary: ImportSummary, errors: list[RowError]) -> None:
        job = self.context.job
        if job is None:
            return
        self.inserters["errors"].insert(
            (job.pk, e.row, e.column[:255], e.value[:_VALUE_MAX], e.reason[:_VALUE_MAX])
            for e in errors
        )
        ImportJob.objects.filter(pk=job.pk).update(
            # A job the sweeper took for dead while a batch ran long is running after all.
            status=ImportJob.Status.RUNNING,
            heartbeat_at=timezone.now(),
            processed_rows=summary.processed,
            created_count=summary.created,
            updated_count=summary.updated,
            skipped_count=summary.skipped,
            error_count=summary.errors,
        )


def insert_key_rows(rows: list[tuple[str, str, int | None, int | None]]) -> None:
    """`duplicates.insert_key_rows()`, the rows in the order of the key indexes (kind, value).

    A batch's keys (e-mails, phones, names) land all over the two key indexes; in their order,
    each index page is visited once per batch instead of being read back for every key that
    falls on it after the small page cache let it go. Which id a key row gets does not matter."""
    duplicates.insert_key_rows(sorted(rows, key=_by_key))


def _by_key(row: tuple[str, str, int | None, int | None]) -> tuple[str, str]:
    return (row[0], row[1])


def lookup_keys(keys: Iterable[tuple[str, str]], *, side: str) -> dict[tuple[str, str], set[int]]:
    """`duplicates.lookup()`: which accounts or contacts hold each key, by the same one query,
    written in SQL (a batch looks up thousands of keys: the ORM would build each parameter of
    the IN lists through the field, the database is as quick either way)."""
    by_kind: dict[str, set[str]] = defaultdict(set)
    for kind, value in keys:
        by_kind[kind].add(value)
    if not by_kind:
        return {}
    connection = connections[router.db_for_read(MatchKey)]
    qn = connection.ops.quote_name
    meta = MatchKey._meta
    column = qn("account_id" if side == "account" else "contact_id")
    kind_column, value_column = qn("kind"), qn("value")
    conditions, params = [], []
    for kind, values in by_kind.items():
        marks = ", ".join(["%s"] * len(values))
        conditions.append(f"({kind_column} = %s AND {value_column} IN ({marks}))")
        params.append(str(kind))
        params.extend(sorted(values))
    # Only quoted names from the model's _meta go into the SQL; values are parameters.
    sql = (
        f"SELECT {kind_column}, {value_column}, {column} FROM {qn(meta.db_table)} "  # noqa: S608
        f"WHERE ({' OR '.join(conditions)}) AND {column} IS NOT NULL"
    )
    found: dict[tuple[str, str], set[int]] = defaultdict(set)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for kind, value, owner_id in cursor.fetchall():
            found[(kind, value)].add(owner_id)
    return found


def tags_change(account: Account) -> dict[str, object]:
    """A new account's tags in its create entry, as auditlog records a many-to-many change."""
    names = account._import_tags  # type: ignore[attr-defined]
    if not names:
        return {}
    return {"tags": {"type": "m2m", "operation": "add", "objects": list(names)}}


# An imported record's create entry lists the values it was given, not its empty fields.
_EMPTY: tuple[Any, ...] = ("", None, [], {})


def _audit_text(value: Any, is_json: bool) -> str:
    """A value as auditlog writes it in a change: `str()`, JSON for a JSON field."""
    if is_json:
        return _json_text(value)
    return "None" if value is None else str(value)


_json_text = bulk.json_dumps


class _ChangesEncoder:
    """A new record's create entry (`changes`), as the JSON text `json.dumps()` gives for
    {field: ["None", text]} (the fields given, in the model's order) plus `more`'s entries.

    Built from pieces: each field's name is encoded once, each text by the C string encoder
    json.dumps itself uses, so no dict and no generic encoder per record."""

    def __init__(self, instance: Any, exclude: tuple[str, ...]) -> None:
        # The stored values (vars): a descriptor may build an object per read (a Country).
        self.fields = [
            (f.name, f.attname, isinstance(f, models.JSONField))
            for f in instance._meta.concrete_fields
            if f.name not in exclude and not f.primary_key
        ]
        self.names = frozenset(name for name, _attname, _is_json in self.fields)
        self.pieces = [
            (encode_basestring_ascii(name) + ': ["None", ', attname, is_json)
            for name, attname, is_json in self.fields
        ]

    def __call__(self, obj: Any, more: Callable[[Any], dict[str, Any]] | None) -> bulk.RawJSON:
        extra = more(obj) if more is not None else {}
        if extra and not self.names.isdisjoint(extra):
            return bulk.RawJSON(json.dumps({**self.as_dict(obj), **extra}))  # never, in practice
        state = vars(obj)
        parts = [
            piece
            + encode_basestring_ascii(
                # _audit_text(), inline (None is among the empty values).
                _json_text(value) if is_json else value if type(value) is str else str(value)
            )
            + "]"
            for piece, attname, is_json in self.pieces
            if (value := state[attname]) not in _EMPTY
        ]
        parts.extend(f"{encode_basestring_ascii(k)}: {json.dumps(v)}" for k, v in extra.items())
        return bulk.RawJSON("{" + ", ".join(parts) + "}")

    def as_dict(self, obj: Any) -> dict[str, Any]:
        """The same entry as a dict (what the text encodes)."""
        state = vars(obj)
        return {
            name: ["None", _audit_text(value, is_json)]
            for name, attname, is_json in self.fields
            if (value := state[attname]) not in _EMPTY
        }


def _merge_list(old: list[Any], new: list[Any]) -> list[Any]:
    return [*old, *(v for v in new if v not in old)]


def changes_of(existing: Any, incoming: Any, names: Iterable[str]) -> dict[str, Any]:
    """What the row would change: its non-empty values; lists and custom fields add up."""
    changes: dict[str, Any] = {}
    for name in names:
        new, old = getattr(incoming, name), getattr(existing, name)
        if name in ("emails", "phones"):
            merged = _merge_list(old or [], new or [])
            if merged != (old or []):
                changes[name] = merged
        elif name == "custom":
            merged_custom = {**(old or {}), **(new or {})}
            if merged_custom != (old or {}):
                changes[name] = merged_custom
        elif new in ("", None) or str(new) == str(old or ""):
            continue
        else:
            changes[name] = str(new) if name == "country" else new
    return changes


def _derive(account: Account) -> None:
    """The service's derived fields (normalised name, domain), cut to their columns: a name
    of 255 characters can transliterate to more."""
    services._derive(account)
    account.name_key = account.name_key[:255]
    account.domain = account.domain[:255]


def _id_of(target: int | Pending | None) -> int | None:
    if isinstance(target, Pending):
        return int(target.instance.pk)
    return target


ACCOUNT_AUDIT_EXCLUDE = ("updated_at", "version", "name_key", "domain")
CONTACT_AUDIT_EXCLUDE = ("updated_at", "version")
