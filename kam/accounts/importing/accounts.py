"""Importing accounts: each row validated as `account_create` would, matched on its keys
(tax number, domain, name, e-mails, phones) among the accounts the user may see."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from kam.accounts import duplicates, services
from kam.accounts.errors import AccountError
from kam.accounts.importing import extras, instances
from kam.accounts.importing.base import (
    ACCOUNT_AUDIT_EXCLUDE,
    Importer,
    Pending,
    Plan,
    Update,
    _derive,
    changes_of,
    insert_key_rows,
    tags_change,
)
from kam.accounts.importing.reader import RawRow
from kam.accounts.importing.rows import Context, Parsed, RowError, _clip, field_errors, parse_row
from kam.accounts.models import Account, CustomField
from kam.core import access

# The links the importer resolves itself; fields a row does not set keep the model's defaults, so
# the model's checks run on the fields the row gives.
_ACCOUNT_FK = ["owner", "parent", "referred_by"]


class AccountImporter(Importer):
    model = Account
    weights = duplicates.ACCOUNT_WEIGHTS

    def __init__(self, context: Context) -> None:
        super().__init__(context)
        self.build = instances.Builder(Account)

    def plan(self, batch: list[RawRow]) -> Plan:
        plan = Plan()
        done = self.ledgered(batch)
        plan.already = len(done)
        valid: list[tuple[Parsed, Account, extras.Extras]] = []
        for raw in batch:
            if raw.number in done:
                continue
            parsed = parse_row(raw, self.context)
            validated = self.validate(parsed) if not parsed.errors else None
            if validated is None:
                plan.errors.extend(parsed.errors)
                continue
            valid.append((parsed, *validated))
        parents = extras.Parents(self).resolve(valid)
        ready: list[tuple[Parsed, Account, duplicates.KeySet, bool]] = []
        for parsed, account, found in valid:
            if parsed.number not in parents:
                plan.errors.extend(parsed.errors)
                continue
            account._import_parent = parents[parsed.number]  # type: ignore[attr-defined]
            account._import_tags = found.tags  # type: ignore[attr-defined]
            account._import_addresses = found.addresses  # type: ignore[attr-defined]
            keys = duplicates.account_keys(account)
            ready.append((parsed, account, keys, "owner" in parsed.values))
        self.match(ready, plan)
        return plan

    def validate(self, parsed: Parsed) -> tuple[Account, extras.Extras] | None:
        values = dict(parsed.values)
        found = extras.split_extras(parsed, values, self.context)
        if found is None:
            return None
        owner_id = values.pop("owner", None) or self.context.default_owner_id
        if owner_id != self.context.user.pk and not access.changes_all(self.context.user):
            parsed.errors.append(
                RowError(
                    parsed.number,
                    " / ".join(self.context.columns.headers_of("owner")),
                    _clip(parsed.texts.get("owner", "")),
                    _("Only the head of sales or an admin can assign accounts."),
                )
            )
            return None
        try:
            cleaned = self.context.cleaner.clean(
                services.clean_account_data,
                values,
                region=str(values.get("country") or "").upper() or None,
                applies_to=CustomField.AppliesTo.ACCOUNT,
            )
        except AccountError as error:
            parsed.errors.extend(field_errors(parsed.number, error.fields, parsed, self.context))
            return None
        account = self.build({**cleaned, "owner_id": owner_id})
        _derive(account)
        try:
            instances.full_clean(account, names=cleaned, exclude=_ACCOUNT_FK)
        except ValidationError as error:
            parsed.errors.extend(
                field_errors(parsed.number, error.message_dict, parsed, self.context)
            )
            return None
        account._import_fields = list(cleaned)  # type: ignore[attr-defined]
        return account, found

    def match(
        self, ready: list[tuple[Parsed, Account, duplicates.KeySet, bool]], plan: Plan
    ) -> None:
        found = self.lookup((key for _p, _a, keys, _o in ready for key in keys), "account")
        ids = {pk for pks in found.values() for pk in pks if pk > 0}
        countries = {
            pk: str(country or "")
            for pk, country in Account.objects.visible_to(self.context.user)
            .filter(pk__in=ids)
            .values_list("pk", "country")
        }
        countries.update(dict.fromkeys(self.virtual_ids("account"), ""))
        in_batch: dict[tuple[str, str], Pending] = {}
        became: dict[int, int | Pending] = {}  # row -> the account it is (for its children)
        for parsed, account, keys, named_owner in ready:
            country = str(account.country or "")
            existing = self.best(keys, found, countries, country)
            earlier = self.earlier(keys, in_batch, country)
            target: int | Pending | None = existing if existing is not None else earlier
            parent = account._import_parent  # type: ignore[attr-defined]
            if isinstance(parent, extras.EarlierRow):
                account._import_parent = became[parent.number]  # type: ignore[attr-defined]
            if target is None or self.mode == "create":
                pending = Pending(parsed.number, account, keys)
                plan.creates.append(pending)
                in_batch.update(dict.fromkeys(keys, pending))
                became[parsed.number] = pending
                continue
            became[parsed.number] = target
            if self.mode == "skip":
                plan.skips.append((parsed.number, target))
            else:
                plan.updates.append(Update(parsed.number, target, account, parsed, named_owner))

    def earlier(
        self, keys: duplicates.KeySet, in_batch: dict[tuple[str, str], Pending], country: str
    ) -> Pending | None:
        candidates = {id(p): p for key in keys if (p := in_batch.get(key)) is not None}
        for pending in candidates.values():
            reasons = duplicates.exact_reasons(keys, {k: {0} for k in pending.keys}, self.weights)
            matched = duplicates.adjust_for_country(
                reasons.get(0, []), country, str(vars(pending.instance)["country"] or "")
            )
            if duplicates.score_reasons(matched) >= duplicates.DUPLICATE_SCORE:
                return pending
        return None

    def write(self, plan: Plan) -> None:
        accounts = [p.instance for p in plan.creates]
        if accounts:
            self.assign_ids(accounts)
            for account in accounts:
                account.parent_id = extras.parent_id(account._import_parent)
            self.insert(accounts)
            insert_key_rows(
                [
                    row
                    for p in plan.creates
                    for row in duplicates.account_key_rows(p.instance.pk, p.keys)
                ]
            )
            self.audit(accounts, ACCOUNT_AUDIT_EXCLUDE, more=tags_change)
            self.write_extras(accounts)
        self.ledger([(p.number, p.instance.pk) for p in plan.creates])

    def remember(self, plan: Plan) -> None:
        index = self.context.virtual.setdefault("account", {})
        for pending in plan.creates:
            pending.instance.pk = next(self.context.virtual_ids)
            index.update(dict.fromkeys(pending.keys, pending.instance.pk))

    def update_one(self, target_id: int, update: Update) -> bool:
        user, incoming = self.context.user, update.values
        existing = access.get_for(user, Account.objects.all(), target_id, "change")
        names = [n for n in incoming._import_fields if n != "owner"]
        if existing.name_key == incoming.name_key:
            names.remove("name")  # the same name written another way: keep the record's
        changes = changes_of(existing, incoming, names)
        if update.named_owner and incoming.owner_id != existing.owner_id:
            changes["owner"] = incoming.owner
        parent = extras.parent_id(incoming._import_parent)
        if parent is not None and parent != existing.parent_id:
            changes["parent"] = Account.objects.get(pk=parent)
        if changes:
            existing = services.account_update(
                user=user, account=existing, expected_version=existing.version, data=changes
            )
        added = extras.account_add_extras(
            user=user,
            account=existing,
            tags=incoming._import_tags,
            addresses=incoming._import_addresses,
        )
        return bool(changes) or added
