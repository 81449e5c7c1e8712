"""What an account row carries besides the account's own columns: its parent account (the
group it belongs to), its tags and its three addresses (legal, postal, delivery).

A parent is named by the parent's name, tax number or id, and found among the accounts the
importing user may see (linking needs the right to change it) or among the rows earlier in the
same file; a name that no such account has, or that several have, is a row error naming the
column and the value. Tags are a delimited cell (`key; retail`); missing tags are created.
An address part without its country is in the account's country.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kam.accounts import duplicates, validation
from kam.accounts.importing import instances
from kam.accounts.importing import mapping as m
from kam.accounts.importing.rows import Context, Parsed, RowError, _clip, field_errors
from kam.accounts.models import Account, AccountAddress, Tag
from kam.core import access
from kam.core.audit import acting_as

if TYPE_CHECKING:
    from kam.accounts.importing.base import Pending

_TAG_SEPARATORS = re.compile(r"[;,|\n]")
_TAG_MAX = Tag._meta.get_field("name").max_length or 50
_TAX_NOISE = re.compile(r"[\s.\-/]")
_VAT_PREFIX = re.compile(r"^[A-Z]{2}\d")
_ADDRESS_NAMES = ["kind", *m.ADDRESS_PARTS]


@dataclass
class Extras:
    """A row's parent (as the file names it), tags and addresses, checked."""

    parent: str = ""
    tags: list[str] = field(default_factory=list)
    addresses: list[AccountAddress] = field(default_factory=list)


def split_extras(
    parsed: Parsed, values: dict[str, Any], context: Context, *, prefix: str = ""
) -> Extras | None:
    """Take the extras out of `values` (an account's) and check them; None (and the row's
    errors) when one is wrong. `prefix` is the fields' prefix in the file (`account.`)."""
    extras = Extras(parent=str(values.pop("parent", "") or "").strip())
    errors = len(parsed.errors)
    extras.tags = _tags(parsed, str(values.pop("tags", "") or ""), context)
    country = str(values.get("country") or "")
    for kind in m.ADDRESS_KINDS:
        parts = {
            part: str(value)
            for part in m.ADDRESS_PARTS
            if (value := values.pop(m.address_field(kind, part), None))
        }
        if parts:
            address = _address(parsed, kind, parts, country, context, prefix)
            if address is not None:
                extras.addresses.append(address)
    return extras if len(parsed.errors) == errors else None


def _tags(parsed: Parsed, text: str, context: Context) -> list[str]:
    names: list[str] = []
    for name in (" ".join(part.split()) for part in _TAG_SEPARATORS.split(text)):
        if len(name) > _TAG_MAX:
            parsed.errors.append(
                RowError(
                    parsed.number,
                    " / ".join(context.columns.headers_of("tags")),
                    _clip(name),
                    _("A tag has at most %d characters.") % _TAG_MAX,
                )
            )
        elif name and name not in names:
            names.append(name)
    return names


def _address(
    parsed: Parsed, kind: str, parts: dict[str, str], country: str, context: Context, prefix: str
) -> AccountAddress | None:
    parts.setdefault("country", country)
    address = AccountAddress(kind=kind, **parts)
    try:
        instances.full_clean(address, names=_ADDRESS_NAMES, exclude=["account"])
    except ValidationError as error:
        fields = {m.address_field(kind, name): msgs for name, msgs in error.message_dict.items()}
        parsed.errors.extend(field_errors(parsed.number, fields, parsed, context, prefix))
        return None
    return address


# --- parents ----------------------------------------------------------------------------------


@dataclass
class EarlierRow:
    """A parent named by a row earlier in the file: the account that row becomes."""

    number: int


def parent_keys(text: str) -> duplicates.KeySet:
    """The keys an account named `text` would be found by: its name, its tax number."""
    tax = _TAX_NOISE.sub("", text).upper()[:255]
    keys = {(duplicates.Kind.NAME, validation.name_key(text)[:255]), (duplicates.Kind.TAX, tax)}
    if _VAT_PREFIX.match(tax):
        keys.add((duplicates.Kind.TAX, tax[2:]))  # `DE136695976` is stored as `136695976`
    return {key for key in keys if key[1]}


class Parents:
    """Resolves the parents a batch's rows name, with one lookup of keys and two of access."""

    def __init__(self, importer: Any) -> None:
        self.importer = importer
        self.context: Context = importer.context

    def resolve(
        self, rows: list[tuple[Parsed, Account, Extras]]
    ) -> dict[int, int | EarlierRow | None]:
        """{row: parent id, EarlierRow or None}; a row whose parent cannot be had gets an error
        (and no entry)."""
        wanted = [(parsed, extras.parent) for parsed, _a, extras in rows if extras.parent]
        found = self.importer.lookup(
            (key for _p, text in wanted for key in parent_keys(text)), "account"
        )
        ids = {pk for pks in found.values() for pk in pks if pk > 0}
        ids |= {int(text) for _p, text in wanted if text.isdigit() and len(text) < 19}
        user = self.context.user
        visible = set(
            Account.objects.visible_to(user).filter(pk__in=ids).values_list("pk", flat=True)
        )
        changeable = set(
            Account.objects.visible_to(user, "change")
            .filter(pk__in=visible)
            .values_list("pk", flat=True)
        )
        virtual = self.importer.virtual_ids("account")
        visible |= virtual
        changeable |= virtual
        earlier: dict[tuple[str, str], int] = {}
        resolved: dict[int, int | EarlierRow | None] = {}
        for parsed, account, extras in rows:
            if extras.parent:
                parent = self.one(parsed, extras.parent, found, visible, earlier)
                if parent is None:
                    continue
                if isinstance(parent, int) and parent not in changeable:
                    parsed.errors.append(
                        self.error(
                            parsed,
                            _("The parent account %s is not yours to change, so no account can "
                              "be linked to it.") % repr(extras.parent),
                        )
                    )  # fmt: skip
                    continue
                resolved[parsed.number] = parent
            else:
                resolved[parsed.number] = None
            for key in parent_keys(account.name) | parent_keys(account.tax_number or ""):
                earlier.setdefault(key, parsed.number)
        return resolved

    def one(
        self,
        parsed: Parsed,
        text: str,
        found: dict[tuple[str, str], set[int]],
        visible: set[int],
        earlier: dict[tuple[str, str], int],
    ) -> int | EarlierRow | None:
        if text.isdigit() and len(text) < 19 and int(text) in visible:
            return int(text)
        keys = parent_keys(text)
        for kind in (duplicates.Kind.TAX, duplicates.Kind.NAME):
            kind_keys = sorted(k for k in keys if k[0] == kind)
            matches = {pk for k in kind_keys for pk in found.get(k, ())} & visible
            if len(matches) == 1:
                return next(iter(matches))
            if len(matches) > 1:
                parsed.errors.append(
                    self.error(
                        parsed,
                        _("%(count)d accounts are called %(name)s: give the parent's tax number "
                          "or id instead.") % {"count": len(matches), "name": repr(text)},
                    )
                )  # fmt: skip
                return None
            row = next((earlier[k] for k in kind_keys if k in earlier), None)
            if row is not None:
                return EarlierRow(row)
        parsed.errors.append(
            self.error(
                parsed,
                _("There is no account %s (name the parent by its name, tax number or id; it "
                  "must be in the base or earlier in the file).") % repr(text),
            )
        )  # fmt: skip
        return None

    def error(self, parsed: Parsed, reason: str) -> RowError:
        return RowError(
            parsed.number,
            " / ".join(self.context.columns.headers_of("parent")),
            _clip(parsed.texts.get("parent", "")),
            reason,
        )


def parent_id(parent: int | Pending | None) -> int | None:
    if parent is None or isinstance(parent, int):
        return parent
    return int(parent.instance.pk)


# --- writing ----------------------------------------------------------------------------------


def tag_ids(names: Iterable[str]) -> dict[str, int]:
    """The ids of the tags named, those missing created (a concurrent import's too)."""
    names = set(names)
    if not names:
        return {}
    ids = dict(Tag.objects.filter(name__in=names).values_list("name", "pk"))
    missing = names - set(ids)
    if missing:
        Tag.objects.bulk_create([Tag(name=name) for name in sorted(missing)], ignore_conflicts=True)
        ids.update(Tag.objects.filter(name__in=missing).values_list("name", "pk"))
    return ids


@transaction.atomic
def account_add_extras(
    *, user: Any, account: Account, tags: list[str], addresses: list[AccountAddress]
) -> bool:
    """An existing account gets the row's tags (added to its own) and addresses (their given
    parts replace the stored ones); audited. Whether anything changed."""
    access.get_for(user, Account.objects.all(), account.pk, "change")
    changed = False
    with acting_as(user):
        have = set(account.tags.values_list("name", flat=True))
        new = [name for name in tags if name not in have]
        if new:
            ids = tag_ids(new)
            account.tags.add(*(ids[name] for name in new))
            changed = True
        stored = {a.kind: a for a in AccountAddress.objects.filter(account=account)}
        for address in addresses:
            changed |= _merge_address(account, stored.get(address.kind), address)
    return changed


def _merge_address(account: Account, stored: AccountAddress | None, new: AccountAddress) -> bool:
    if stored is None:
        new.account = account
        new.save()
        return True
    changes = {
        part: value
        for part in m.ADDRESS_PARTS
        if (value := str(getattr(new, part) or "")) and value != str(getattr(stored, part) or "")
    }
    if not changes:
        return False
    for part, value in changes.items():
        setattr(stored, part, value)
    stored.save(update_fields=[*changes, "updated_at"])
    return True
