"""Merging duplicates: two accounts (or two contacts) become one, and nothing of the loser is lost.

The user picks, field by field, which value survives. Every row that points at the loser moves to
the survivor. The rows are found through Django's relation metadata: every foreign key of every
installed model (hidden ones and many-to-many tables included) and every generic foreign key. An
app added later is covered without new code here. Where a unique constraint would break, the
survivor's row is kept and the loser's duplicate row is dropped, with its values in the audit
(for consent the most recent statement is kept instead). The loser goes to the trash and the
audit keeps all its values, what moved and what was dropped.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from auditlog.models import LogEntry
from django.apps import apps
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.db.models import Exists, F, OuterRef, ProtectedError, Q, QuerySet, RestrictedError
from django.db.models.fields.related import ForeignKey
from django.db.models.fields.reverse_related import ManyToOneRel
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from kam.accounts import duplicates, validation
from kam.accounts.errors import AccountError
from kam.accounts.models import Account, Contact, ContactConsent, MatchKey
from kam.core import access, registry
from kam.core.audit import acting_as, log_event
from kam.core.errors import (
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
)
from kam.core.models import SoftDeleteModel, VersionedModel

Choice = Literal["survivor", "loser", "union"]
CHOICES: tuple[str, ...] = ("survivor", "loser", "union")
R = TypeVar("R", bound=SoftDeleteModel)

# Rows that are an index of the loser's own values, not data about it: deleted, not moved (the
# survivor's are rebuilt from its merged values; the loser's values stay in the audit).
DERIVED_MODELS: tuple[type[models.Model], ...] = (MatchKey,)
# Where two rows clash on a unique constraint, the more recent statement wins over the survivor's
# (a withdrawn consent must never be lost to an older "yes").
NEWEST_WINS: dict[type[models.Model], str] = {ContactConsent: "given_at"}
# Records that a merged record may link to: linking needs the right to change both.
LINKED_MODELS: tuple[type[models.Model], ...] = (Account, Contact)
# Contacts whose duplicate keys are rebuilt per query when an account merge moves them.
KEY_BATCH = 500
# How deep a group may be when looking for cycles (the hierarchy is shallow in practice).
MAX_GROUP_DEPTH = 50


class MergeError(AccountError):
    code = "merge_refused"


# -- relation metadata ------------------------------------------------------------------------


@dataclass(frozen=True)
class Link:
    """One way rows of `model` point at a record: a foreign key (`fk`) or a generic foreign key."""

    model: type[models.Model]
    fk: ForeignKey[Any, Any] | None = None
    generic: GenericForeignKey | None = None

    @property
    def key(self) -> str:
        """A stable name for the audit: `app.model.field`."""
        name = self.fk.name if self.fk is not None else str(getattr(self.generic, "name", ""))
        return f"{self.model._meta.label_lower}.{name}"

    @property
    def pointer(self) -> tuple[str, ...]:
        """The fields of `model` that together hold the pointer."""
        if self.fk is not None:
            return (self.fk.name,)
        assert self.generic is not None
        return (self.generic.ct_field, self.generic.fk_field)

    def rows(self, record: models.Model) -> QuerySet[Any]:
        """Every row (the trash included) that points at `record` through this link."""
        return self.model._base_manager.filter(**self._lookup(record))

    def retarget(self, record: models.Model) -> dict[str, Any]:
        """The assignments that make a row point at `record` instead."""
        if self.fk is not None:
            return {self.fk.attname: getattr(record, self.fk.target_field.attname)}
        return self._lookup(record)

    def _lookup(self, record: models.Model) -> dict[str, Any]:
        if self.fk is not None:
            return {self.fk.attname: getattr(record, self.fk.target_field.attname)}
        assert self.generic is not None
        content_type = ContentType.objects.get_for_model(type(record))
        return {self.generic.ct_field: content_type, self.generic.fk_field: record.pk}

    def title(self, record_model: type[models.Model]) -> str:
        """What a person calls these rows, for the merge page."""
        if self.fk is not None and self.model is record_model:
            accessor = self.fk.remote_field.get_accessor_name() or self.fk.name
            return capfirst(accessor.replace("_", " "))
        if self.model._meta.auto_created and self.fk is not None:
            for m2m in record_model._meta.many_to_many:
                if getattr(m2m.remote_field, "through", None) is self.model:
                    return capfirst(str(m2m.verbose_name))
        return capfirst(str(self.model._meta.verbose_name_plural))


def relation_links(model: type[models.Model]) -> list[Link]:
    """Every link by which rows of any installed model point at a `model` row."""
    links: list[Link] = []
    for relation in model._meta.get_fields(include_hidden=True):
        if not isinstance(relation, ManyToOneRel) or not isinstance(relation.field, ForeignKey):
            continue
        if relation.field.remote_field.parent_link:
            continue  # a multi-table child shares the row; it is not a row that points at it
        links.append(Link(model=relation.related_model, fk=relation.field))  # type: ignore[arg-type]
    for other in apps.get_models():
        if other._meta.proxy or not other._meta.managed:
            continue  # the same table as a concrete model, or one Django does not write
        for private in other._meta.private_fields:
            if isinstance(private, GenericForeignKey):
                links.append(Link(model=other, generic=private))
    return links


def mergeable_fields(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    """The fields a person edits, whose surviving value the merge lets him choose."""
    return [
        field
        for field in model._meta.concrete_fields
        if field.editable and not field.primary_key and not field.auto_created
    ]


def is_list_field(field: models.Field[Any, Any]) -> bool:
    return isinstance(field, models.JSONField) and field.default is list


def is_dict_field(field: models.Field[Any, Any]) -> bool:
    return isinstance(field, models.JSONField) and field.default is dict


def field_choices_for(field: models.Field[Any, Any]) -> tuple[str, ...]:
    return CHOICES if is_list_field(field) or is_dict_field(field) else CHOICES[:2]


@dataclass(frozen=True)
class RelatedCount:
    key: str
    title: str
    count: int


def related_counts(record: models.Model) -> list[RelatedCount]:
    """How many rows of each kind point at `record` (what a merge would move): one count per
    link, whatever the number of rows."""
    model = type(record)
    counts = []
    for link in relation_links(model):
        if link.model in DERIVED_MODELS:
            continue
        count = link.rows(record).count()
        if count:
            counts.append(RelatedCount(key=link.key, title=link.title(model), count=count))
    return counts


# -- the use cases ----------------------------------------------------------------------------


@transaction.atomic
def account_merge(
    *,
    user: Any,
    survivor: Account,
    loser: Account,
    field_choices: dict[str, str],
    expected_versions: dict[str, int] | None = None,
) -> Account:
    """Merge `loser` into `survivor`, keeping the values `field_choices` names ("survivor",
    "loser", or "union" for lists); fields not named keep the survivor's value.

    Needs the right to change both; locks both rows; `expected_versions`
    (`{"survivor": n, "loser": m}`) refuses a stale merge with a conflict. Moves every related
    row, trashes the loser and audits both sides. Refused for a record merged into itself, a
    record in the trash, and two accounts of one group line (a parent and its subsidiary).
    """
    kept, gone = _lock_pair(
        user=user,
        queryset=Account.objects.all(),
        survivor_id=survivor.pk,
        loser_id=loser.pk,
        expected_versions=expected_versions,
    )
    _check_not_one_line(kept, gone)
    changes = _resolve_choices(user=user, survivor=kept, loser=gone, choices=field_choices)
    _check_account_changes(user=user, survivor=kept, loser=gone, changes=changes)
    _derive_account_keys(kept, changes)
    merged = _apply_and_move(user=user, survivor=kept, loser=gone, changes=changes)
    for hook in registry.account_merge_hooks().values():
        hook(merged.pk)
    return merged


@transaction.atomic
def contact_merge(
    *,
    user: Any,
    survivor: Contact,
    loser: Contact,
    field_choices: dict[str, str],
    expected_versions: dict[str, int] | None = None,
) -> Contact:
    """Merge contact `loser` into `survivor`: the same rules as `account_merge`. The survivor
    may take the loser's account (`{"account": "loser"}`); consents keep the latest statement
    per channel."""
    kept, gone = _lock_pair(
        user=user,
        queryset=Contact.objects.select_related("account"),
        survivor_id=survivor.pk,
        loser_id=loser.pk,
        expected_versions=expected_versions,
    )
    for contact in (kept, gone):
        if contact.account.deleted_at is not None:
            raise MergeError(
                _("The account of “%(contact)s” is in the trash; restore it before merging.")
                % {"contact": contact}
            )
    changes = _resolve_choices(user=user, survivor=kept, loser=gone, choices=field_choices)
    _check_links(user=user, model=Contact, changes=changes)
    return _apply_and_move(user=user, survivor=kept, loser=gone, changes=changes)


# -- checks -----------------------------------------------------------------------------------


def _lock_pair(
    *,
    user: Any,
    queryset: QuerySet[R],
    survivor_id: Any,
    loser_id: Any,
    expected_versions: dict[str, int] | None,
) -> tuple[R, R]:
    """Authorise both records (404 if either is invisible, 403 if either is read-only to the
    user), then lock both rows in primary-key order and compare their versions."""
    if str(survivor_id) == str(loser_id):
        raise MergeError(_("A record cannot be merged into itself."))
    found = [merge_candidate(user=user, queryset=queryset, pk=pk) for pk in (survivor_id, loser_id)]
    if any(not access.can(user, record, "change") for record in found):
        raise PermissionDeniedError(_("Merging needs the right to change both records."))
    rows = {
        row.pk: row
        for row in queryset.select_for_update(of=("self",))
        .filter(pk__in=[r.pk for r in found])
        .order_by("pk")
    }
    if len(rows) != 2:
        raise MergeError(_("One of the records was moved to the trash meanwhile; reload."))
    kept, gone = rows[found[0].pk], rows[found[1].pk]
    if expected_versions is not None:
        stale = {
            "survivor": kept.version != expected_versions.get("survivor", kept.version),
            "loser": gone.version != expected_versions.get("loser", gone.version),
        }
        if any(stale.values()):
            raise ConflictError(
                extra={"version": kept.version, "loser_version": gone.version, "stale": stale}
            )
    return kept, gone


def merge_candidate(*, user: Any, queryset: QuerySet[R], pk: Any) -> R:
    """The live record `pk` the user may see (NotFound otherwise); one in the trash that he may
    see is refused with a clear message instead."""
    try:
        record: R = access.get_for(user, queryset, pk, "view")
    except NotFoundError:
        model: Any = queryset.model
        trashed = access.scope(model.all_objects.in_trash(), user, "view")
        if trashed.filter(pk=pk).exists():
            raise MergeError(
                _("%(kind)s #%(pk)s is in the trash; restore it before merging.")
                % {"kind": capfirst(str(model._meta.verbose_name)), "pk": pk}
            ) from None
        raise
    return record


def _ancestor_ids(account_id: int | None) -> list[int]:
    """The chain of parents above `account_id`, nearest first (stops at a cycle)."""
    chain: list[int] = []
    node = account_id
    while node is not None and node not in chain and len(chain) < MAX_GROUP_DEPTH:
        chain.append(node)
        node = Account._base_manager.filter(pk=node).values_list("parent_id", flat=True).first()
    return chain


def _check_not_one_line(survivor: Account, loser: Account) -> None:
    """A parent and one of its subsidiaries (at any depth) cannot be merged: the group would
    become its own parent."""
    if loser.pk in _ancestor_ids(survivor.parent_id) or survivor.pk in _ancestor_ids(
        loser.parent_id
    ):
        raise MergeError(
            _(
                "“%(a)s” and “%(b)s” are in one group line (one is a parent of the other); "
                "merging them would make the group its own parent. Detach one of them first."
            )
            % {"a": survivor, "b": loser},
            fields={"loser": [_("A parent and its subsidiary cannot be merged.")]},
        )


def _check_account_changes(
    *, user: Any, survivor: Account, loser: Account, changes: dict[str, Any]
) -> None:
    if "owner_id" in changes and not access.changes_all(user):
        raise PermissionDeniedError(_("Only the head of sales or an admin can reassign accounts."))
    new_parent = changes.get("parent_id")
    if new_parent is not None and {survivor.pk, loser.pk} & set(_ancestor_ids(new_parent)):
        raise MergeError(fields={"parent": [_("This parent would make the group a cycle.")]})
    _check_links(user=user, model=Account, changes=changes)


def _derive_account_keys(survivor: Account, changes: dict[str, Any]) -> None:
    """The derived name key and domain follow a chosen name, website or e-mails."""
    if {"name", "website", "emails"} & set(changes):
        name = changes.get("name", survivor.name)
        website = changes.get("website", survivor.website)
        emails = changes.get("emails", survivor.emails)
        changes["name_key"] = validation.name_key(name)
        changes["domain"] = validation.domain_of(website) or (
            validation.domain_of(emails[0]) if emails else ""
        )


def _check_links(*, user: Any, model: type[models.Model], changes: dict[str, Any]) -> None:
    """Linking records needs the right to change both: a chosen parent, referrer or account
    must be a live record the user may change."""
    for field in mergeable_fields(model):
        target = field.related_model
        value = changes.get(field.attname)
        if value is None or target not in LINKED_MODELS:
            continue
        assert isinstance(target, type)
        linked = target._base_manager.filter(pk=value, deleted_at__isnull=True).first()
        if linked is None or not access.can(user, linked, "change"):
            raise NotFoundError(
                _("The linked %(field)s does not exist or is not yours to change.")
                % {"field": field.verbose_name},
                fields={field.name: [_("Not found.")]},
            )


# -- field choices ----------------------------------------------------------------------------


def _resolve_choices(
    *, user: Any, survivor: models.Model, loser: models.Model, choices: dict[str, str]
) -> dict[str, Any]:
    """The survivor's new values (`attname -> value`) from the user's choices, only where they
    differ. Unknown fields or choices are refused naming the field; confidential fields the user
    may not see keep the survivor's value."""
    model = type(survivor)
    fields = {field.name: field for field in mergeable_fields(model)}
    hidden = set(access.hidden_fields(user, model))
    errors: dict[str, list[str]] = {}
    changes: dict[str, Any] = {}
    for name, choice in choices.items():
        field = fields.get(name)
        if field is None:
            errors[name] = [_("Unknown field, or not one a merge chooses.")]
            continue
        if choice not in field_choices_for(field):
            errors[name] = [
                _("Choose one of: %(choices)s.") % {"choices": ", ".join(field_choices_for(field))}
            ]
            continue
        if name in hidden and choice != "survivor":
            raise PermissionDeniedError(_("You may not change %s.") % name)
        value = _chosen(field, survivor, loser, choice)
        if value != field.value_from_object(survivor):
            changes[field.attname] = value
    if errors:
        raise MergeError(_("Some choices are not valid."), fields=errors)
    return changes


def _chosen(field: models.Field[Any, Any], survivor: Any, loser: Any, choice: str) -> Any:
    mine, theirs = getattr(survivor, field.attname), getattr(loser, field.attname)
    if choice == "survivor":
        return mine
    if choice == "loser":
        return theirs
    if is_list_field(field):
        union = list(mine or [])
        union.extend(item for item in theirs or [] if item not in union)
        return union
    return {**(theirs or {}), **(mine or {})}


# -- applying ---------------------------------------------------------------------------------


def _apply_and_move(*, user: Any, survivor: R, loser: R, changes: dict[str, Any]) -> R:
    """Save the survivor's chosen values, move every related row, trash the loser; audit all."""
    values = _plain({**_all_values(loser), **_many_values(loser)})
    with acting_as(user):
        cleared = _clear_self_links(survivor, loser, changes)
        for attname, value in changes.items():
            setattr(survivor, attname, value)
        try:
            survivor.full_clean()
        except ValidationError as error:
            raise MergeError(_("Some values are not valid."), fields=error.message_dict) from None
        survivor.save()
        moved, dropped, derived = _move_related(user=user, survivor=survivor, loser=loser)
        _refresh_keys(survivor, moved)
        loser.deleted_at = timezone.now()
        loser.deleted_by = user if user.is_authenticated else None
        loser.save(update_fields=["deleted_at", "deleted_by"])
        log_event(
            obj=loser,
            action=LogEntry.Action.UPDATE,
            changes={"merged_into": ["", f"{survivor} (#{survivor.pk})"]},
            data={
                "event": "merge",
                "into": survivor.pk,
                "values": values,
                "moved": moved,
                "dropped": dropped,
                "derived_deleted": derived,
                "cleared": cleared,
            },
        )
        log_event(
            obj=survivor,
            action=LogEntry.Action.UPDATE,
            changes={"merged_from": ["", f"{loser} (#{loser.pk})"]},
            data={"event": "merge", "from": loser.pk, "moved": moved, "dropped": dropped},
        )
    return survivor


def _clear_self_links(survivor: Any, loser: Any, changes: dict[str, Any]) -> dict[str, Any]:
    """A link of the survivor to itself (it was referred by its own duplicate) is cleared."""
    cleared: dict[str, Any] = {}
    for field in mergeable_fields(type(survivor)):
        if field.related_model is not type(survivor) or not field.null:
            continue
        value = changes.get(field.attname, getattr(survivor, field.attname))
        if value in (survivor.pk, loser.pk):
            changes[field.attname] = None
            cleared[field.name] = value
    return cleared


def _move_related(
    *, user: Any, survivor: models.Model, loser: models.Model
) -> tuple[dict[str, list[Any]], dict[str, list[dict[str, Any]]], list[dict[str, Any]]]:
    """Point every row that points at `loser` at `survivor`: returns the moved ids and the
    values of dropped duplicate rows per link, and the derived rows deleted."""
    moved: dict[str, list[Any]] = {}
    dropped: dict[str, list[dict[str, Any]]] = {}
    derived: list[dict[str, Any]] = []
    for link in relation_links(type(loser)):
        rows = link.rows(loser)
        if link.model in DERIVED_MODELS:
            derived.extend(_plain(_all_values(row)) for row in rows)
            rows.delete()
            continue
        if link.model is type(survivor):
            rows = rows.exclude(pk=survivor.pk)
        gone = _resolve_clashes(user=user, link=link, survivor=survivor, loser=loser)
        if gone:
            dropped[link.key] = [values for _pk, values in gone]
            rows = rows.exclude(pk__in=[pk for pk, _values in gone])
        ids = list(rows.values_list("pk", flat=True))
        if ids:
            rows.update(**link.retarget(survivor), **_touch(link.model))
            moved[link.key] = _plain(ids)
    return moved, dropped, derived


def _refresh_keys(survivor: models.Model, moved: dict[str, list[Any]]) -> None:
    """Rebuild the duplicate index of the survivor, and of contacts that changed account."""
    if isinstance(survivor, Contact):
        duplicates.refresh_match_keys(contact=survivor)
        return
    assert isinstance(survivor, Account)
    duplicates.refresh_match_keys(account=survivor)
    contact_ids = moved.get(f"{Contact._meta.label_lower}.account", [])
    for start in range(0, len(contact_ids), KEY_BATCH):
        batch = contact_ids[start : start + KEY_BATCH]
        MatchKey.objects.filter(contact_id__in=batch).delete()
        live = Contact._base_manager.filter(pk__in=batch, deleted_at__isnull=True)
        duplicates.insert_key_rows(
            [
                row
                for contact in live
                for row in duplicates.contact_key_rows(contact.pk, duplicates.contact_keys(contact))
            ]
        )


def _touch(model: type[models.Model]) -> dict[str, Any]:
    """Moving a row is a change: a versioned row gets a new version, so open editors see it."""
    values: dict[str, Any] = {}
    if issubclass(model, VersionedModel):
        values["version"] = F("version") + 1
    if any(field.name == "updated_at" for field in model._meta.concrete_fields):
        values["updated_at"] = timezone.now()
    return values


def _unique_sets(link: Link) -> Iterator[tuple[tuple[str, ...], Q | None]]:
    """For each unique constraint of `link.model` that holds the pointer: the other fields of
    the constraint, and its condition."""
    meta = link.model._meta
    # A primary key that is the pointer itself (a one-to-one row per account, such as its
    # contact figures) is unique too: the survivor keeps his own row.
    candidates: list[tuple[tuple[str, ...], Q | None]] = [
        ((field.name,), None)
        for field in meta.concrete_fields
        if field.unique and (not field.primary_key or field.name in link.pointer)
    ]
    candidates.extend((tuple(names), None) for names in meta.unique_together)
    candidates.extend(
        (tuple(constraint.fields), constraint.condition)  # type: ignore[misc]
        for constraint in meta.constraints
        if isinstance(constraint, models.UniqueConstraint) and constraint.fields
    )
    pointer = set(link.pointer)
    for names, condition in candidates:
        if pointer <= set(names):
            yield tuple(name for name in names if name not in pointer), condition


def _resolve_clashes(
    *, user: Any, link: Link, survivor: models.Model, loser: models.Model
) -> list[tuple[Any, dict[str, Any]]]:
    """Drop the loser's rows that would break a unique constraint once moved (the survivor
    already has such a row, its twin). Rows that point at a dropped row move to its twin first,
    so nothing hanging off it is lost. Returns `(pk, values)` of each dropped row."""
    dropped: list[tuple[Any, dict[str, Any]]] = []
    for others, condition in _unique_sets(link):
        mine, theirs = link.rows(survivor), link.rows(loser)
        if condition is not None:
            mine, theirs = mine.filter(condition), theirs.filter(condition)
        twins = mine.filter(**{name: OuterRef(name) for name in others})
        clashing = list(theirs.filter(Exists(twins)).exclude(pk__in=[pk for pk, _v in dropped]))
        for row in clashing:
            twin = mine.get(**{_attname(row, name): _value(row, name) for name in others})
            values = _plain(_all_values(row))
            _keep_newest(link=link, row=row, twin=twin, others=others)
            moved, nested, _derived = _move_related(user=user, survivor=twin, loser=row)
            values["_kept_as"] = twin.pk
            if moved or nested:
                values.update(_moved=moved, _dropped=nested)
            dropped.append((row.pk, values))
        _drop(user=user, model=link.model, rows=clashing)
    return dropped


def _attname(row: models.Model, name: str) -> str:
    field = row._meta.get_field(name)
    return str(getattr(field, "attname", name))


def _value(row: models.Model, name: str) -> Any:
    return getattr(row, _attname(row, name))


def _keep_newest(
    *, link: Link, row: models.Model, twin: models.Model, others: tuple[str, ...]
) -> None:
    """Where the newer row must win (consent), copy the loser's newer values onto the twin."""
    stamp = NEWEST_WINS.get(link.model)
    if stamp is None or getattr(row, stamp) <= getattr(twin, stamp):
        return
    for field in link.model._meta.concrete_fields:
        if field.primary_key or field.name in (*link.pointer, *others, "created_at"):
            continue
        setattr(twin, field.attname, getattr(row, field.attname))
    twin.save()


def _drop(*, user: Any, model: type[models.Model], rows: list[models.Model]) -> None:
    """Drop duplicate rows: a business record goes to the trash (restorable), a link row is
    deleted (its values are in the merge's audit entry). Refuses to cascade further."""
    if not rows:
        return
    ids = [row.pk for row in rows]
    if issubclass(model, SoftDeleteModel):
        model._base_manager.filter(pk__in=ids).update(
            deleted_at=timezone.now(), deleted_by=user if user.is_authenticated else None
        )
        return
    try:
        deleted, _per_model = model._base_manager.filter(pk__in=ids).delete()
    except (ProtectedError, RestrictedError):
        deleted = -1
    if deleted != len(ids):
        raise MergeError(
            _("A duplicate %(kind)s has records of its own; merge cannot drop it automatically.")
            % {"kind": model._meta.verbose_name}
        )


# -- audit values -----------------------------------------------------------------------------


def _all_values(record: models.Model) -> dict[str, Any]:
    """Every concrete field of the record (foreign keys as ids)."""
    return {
        field.attname: field.value_from_object(record) for field in record._meta.concrete_fields
    }


def _many_values(record: models.Model) -> dict[str, list[Any]]:
    """The ids each many-to-many field of the record holds."""
    return {
        field.name: list(getattr(record, field.name).values_list("pk", flat=True))
        for field in record._meta.many_to_many
    }


class _Encoder(DjangoJSONEncoder):
    def default(self, o: Any) -> Any:
        try:
            return super().default(o)
        except TypeError:
            return str(o)


def _plain(value: Any) -> Any:
    """The value as JSON would store it (decimals, dates, countries as text)."""
    return json.loads(json.dumps(value, cls=_Encoder))
