"""Importing contacts with their companies: each row's company is found among the accounts
the user may change (by domain and normalised name) or created once per batch; each contact is
validated as `contact_create` would (phones read in the company's country) and matched on its
e-mails, phones and name at its company."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from kam.accounts import duplicates, services
from kam.accounts.errors import AccountError
from kam.accounts.importing import extras, instances
from kam.accounts.importing.accounts import _ACCOUNT_FK
from kam.accounts.importing.base import (
    ACCOUNT_AUDIT_EXCLUDE,
    CONTACT_AUDIT_EXCLUDE,
    Importer,
    Pending,
    PendingAccount,
    Plan,
    Update,
    _derive,
    changes_of,
    insert_key_rows,
)
from kam.accounts.importing.reader import RawRow
from kam.accounts.importing.rows import Context, Parsed, RowError, _clip, field_errors, parse_row
from kam.accounts.models import Account, Contact, CustomField
from kam.core import access

# --- contacts ---------------------------------------------------------------------------------

ACCOUNT_PREFIX = "account."
_CONTACT_FK = ["account", "owner"]


@dataclass(frozen=True)
class Company:
    """The company a contact row names (its name is the website's domain when it has none)."""

    name: str
    country: str


class ContactImporter(Importer):
    """Contacts with their companies: each row's account is found (duplicate-aware) or created."""

    model = Contact
    weights = duplicates.CONTACT_WEIGHTS

    def __init__(self, context: Context) -> None:
        super().__init__(context)
        self.companies: dict[tuple[str, str, str], tuple[Company, duplicates.KeySet]] = {}
        self.build = instances.Builder(Contact)
        self.build_account = instances.Builder(Account)

    def plan(self, batch: list[RawRow]) -> Plan:
        plan = Plan()
        done = self.ledgered(batch)
        plan.already = len(done)
        rows = [parse_row(raw, self.context) for raw in batch if raw.number not in done]
        accounts = self.resolve_accounts(rows, plan)
        ready: list[tuple[Parsed, Contact, duplicates.KeySet, int | PendingAccount]] = []
        for parsed in rows:
            if parsed.errors:
                plan.errors.extend(parsed.errors)
                continue
            account = accounts[parsed.number]
            contact = self.validate(parsed, account)
            if contact is None:
                plan.errors.extend(parsed.errors)
                continue
            ready.append((parsed, contact, self.keys(contact, account), account))
        self.match(ready, plan)
        return plan

    # -- the company of each row --

    def resolve_accounts(self, rows: list[Parsed], plan: Plan) -> dict[int, int | PendingAccount]:
        """Each row's account: a visible one it matches, else one this batch creates."""
        probes: dict[int, tuple[Parsed, Company, duplicates.KeySet]] = {}
        for parsed in rows:
            if not parsed.errors:
                described = self.account_probe(parsed)
                if described is not None:
                    probes[parsed.number] = (parsed, *described)
        found = self.lookup((k for _p, _a, keys in probes.values() for k in keys), "account")
        ids = {pk for pks in found.values() for pk in pks if pk > 0}
        visible = {
            pk: (str(country or ""), name)
            for pk, country, name in Account.objects.visible_to(self.context.user)
            .filter(pk__in=ids)
            .values_list("pk", "country", "name")
        }
        changeable = set(
            Account.objects.visible_to(self.context.user, "change")
            .filter(pk__in=list(visible))
            .values_list("pk", flat=True)
        )
        countries = {pk: country for pk, (country, _name) in visible.items()}
        self.countries = countries
        for pk in self.virtual_ids("account"):
            countries[pk] = ""
            changeable.add(pk)
        new: dict[tuple[str, str], PendingAccount] = {}
        resolved: dict[int, int | PendingAccount] = {}
        account_weights = duplicates.ACCOUNT_WEIGHTS
        for number, (parsed, probe, keys) in probes.items():
            reasons = duplicates.exact_reasons(keys, found, account_weights)
            existing = self.best_account(reasons, countries, str(probe.country or ""))
            if existing is not None:
                if existing not in changeable:
                    parsed.errors.append(self.not_yours(parsed, visible[existing][1]))
                else:
                    resolved[number] = existing
                continue
            pending = next((new[k] for k in sorted(keys) if k in new), None)
            if pending is None:
                pending = self.new_account(parsed, probe, keys)
                if pending is None:
                    continue
                plan.accounts.append(pending)
                new.update(dict.fromkeys(keys, pending))
            resolved[number] = pending
        return resolved

    def best_account(
        self, reasons: dict[int, list[duplicates.Reason]], countries: dict[int, str], country: str
    ) -> int | None:
        scored = []
        for pk, matched in reasons.items():
            if pk in countries:
                matched = duplicates.adjust_for_country(matched, country, countries[pk])
                scored.append((duplicates.score_reasons(matched), -pk, pk))
        if not scored:
            return None
        score, _neg, pk = max(scored)
        return pk if score >= duplicates.DUPLICATE_SCORE else None

    def account_probe(self, parsed: Parsed) -> tuple[Company, duplicates.KeySet] | None:
        """The company a row names and its keys (memoised: files repeat their companies)."""
        values = parsed.values
        name = str(values.get("account.name") or "")
        website = str(values.get("account.website") or "")
        country = str(values.get("account.country") or "")
        if not name and not website:
            headers = self.context.columns.headers_of(
                "account.name"
            ) or self.context.columns.headers_of("account.website")
            parsed.errors.append(
                RowError(
                    parsed.number,
                    " / ".join(headers),
                    "",
                    _("The row names no company; every contact belongs to an account."),
                )
            )
            return None
        memo_key = (name, website, country)
        if memo_key not in self.companies:
            if len(self.companies) > 2_000:
                self.companies.clear()
            company = Company(name or _domain(website), country)
            domain = duplicates.company_domain(_domain(website))
            name_key = duplicates.validation.name_key(company.name)[:255]
            keys: duplicates.KeySet = {
                key
                for key in ((duplicates.Kind.NAME, name_key), (duplicates.Kind.DOMAIN, domain))
                if key[1]
            }
            self.companies[memo_key] = (company, keys)
        return self.companies[memo_key]

    def new_account(
        self, parsed: Parsed, probe: Company, keys: duplicates.KeySet
    ) -> PendingAccount | None:
        data = {
            name.removeprefix(ACCOUNT_PREFIX): value
            for name, value in parsed.values.items()
            if name.startswith(ACCOUNT_PREFIX)
        }
        data["name"] = probe.name
        found = extras.split_extras(parsed, data, self.context, prefix=ACCOUNT_PREFIX)
        if found is None:
            return None
        try:
            cleaned = self.context.cleaner.clean(
                services.clean_account_data,
                data,
                region=str(data.get("country") or "").upper() or None,
                applies_to=CustomField.AppliesTo.ACCOUNT,
            )
        except AccountError as error:
            parsed.errors.extend(
                field_errors(parsed.number, error.fields, parsed, self.context, ACCOUNT_PREFIX)
            )
            return None
        account = self.build_account({"owner_id": self.context.default_owner_id, **cleaned})
        _derive(account)
        try:
            instances.full_clean(account, names=cleaned, exclude=_ACCOUNT_FK)
        except ValidationError as error:
            parsed.errors.extend(
                field_errors(
                    parsed.number, error.message_dict, parsed, self.context, ACCOUNT_PREFIX
                )
            )
            return None
        account._import_tags = found.tags  # type: ignore[attr-defined]
        account._import_addresses = found.addresses  # type: ignore[attr-defined]
        return PendingAccount(account, keys | duplicates.account_keys(account), parsed.number)

    def not_yours(self, parsed: Parsed, name: str) -> RowError:
        return RowError(
            parsed.number,
            " / ".join(self.context.columns.headers_of("account.name")),
            _clip(parsed.texts.get("account.name", "")),
            _("The account %s is not yours to change, so no contact can be added to it.")
            % repr(name),
        )

    # -- the contact --

    def validate(self, parsed: Parsed, account: int | PendingAccount) -> Contact | None:
        values = {k: v for k, v in parsed.values.items() if not k.startswith(ACCOUNT_PREFIX)}
        owner_id = values.pop("owner", None) or self.context.default_owner_id
        region = (
            str(vars(account.instance)["country"] or "")
            if isinstance(account, PendingAccount)
            else self.account_country(account)
        ) or str(parsed.values.get("account.country") or "")
        try:
            cleaned = self.context.cleaner.clean(
                services.clean_contact_data,
                values,
                region=region or None,
                applies_to=CustomField.AppliesTo.CONTACT,
            )
        except AccountError as error:
            parsed.errors.extend(field_errors(parsed.number, error.fields, parsed, self.context))
            return None
        contact = self.build({**cleaned, "owner_id": owner_id})
        if isinstance(account, int):
            contact.account_id = account
        try:
            instances.full_clean(contact, names=cleaned, exclude=_CONTACT_FK)
        except ValidationError as error:
            parsed.errors.extend(
                field_errors(parsed.number, error.message_dict, parsed, self.context)
            )
            return None
        contact._import_fields = list(cleaned)  # type: ignore[attr-defined]
        return contact

    countries: dict[int, str]  # the batch's existing accounts: id -> country

    def account_country(self, account_id: int) -> str:
        return self.countries.get(account_id, "")

    def keys(self, contact: Contact, account: int | PendingAccount) -> duplicates.KeySet:
        """The contact's match keys; at a company this batch creates, a name key of its own."""
        account_id: Any = account if isinstance(account, int) else f"new{id(account)}"
        return duplicates.contact_keys(contact, account_id=account_id)

    def match(
        self,
        ready: list[tuple[Parsed, Contact, duplicates.KeySet, int | PendingAccount]],
        plan: Plan,
    ) -> None:
        found = self.lookup((k for _p, _c, keys, _a in ready for k in keys), "contact")
        ids = {pk for pks in found.values() for pk in pks if pk > 0}
        visible = dict.fromkeys(
            Contact.objects.visible_to(self.context.user)
            .filter(pk__in=ids)
            .values_list("pk", flat=True),
            "",
        )
        visible.update(dict.fromkeys(self.virtual_ids("contact"), ""))
        in_batch: dict[tuple[str, str], Pending] = {}
        for parsed, contact, keys, account in ready:
            existing = self.best(keys, found, visible, "")
            earlier = self.earlier(keys, in_batch)
            target: int | Pending | None = existing if existing is not None else earlier
            if target is None or self.mode == "create":
                pending = Pending(
                    parsed.number,
                    contact,
                    keys,
                    account if isinstance(account, PendingAccount) else None,
                )
                plan.creates.append(pending)
                in_batch.update(dict.fromkeys(keys, pending))
            elif self.mode == "skip":
                plan.skips.append((parsed.number, target))
            else:
                plan.updates.append(
                    Update(parsed.number, target, contact, parsed, "owner" in parsed.values)
                )

    def earlier(
        self, keys: duplicates.KeySet, in_batch: dict[tuple[str, str], Pending]
    ) -> Pending | None:
        candidates = {id(p): p for key in keys if (p := in_batch.get(key)) is not None}
        for pending in candidates.values():
            reasons = duplicates.exact_reasons(keys, {k: {0} for k in pending.keys}, self.weights)
            if duplicates.score_reasons(reasons.get(0, [])) >= duplicates.DUPLICATE_SCORE:
                return pending
        return None

    def write(self, plan: Plan) -> None:
        new_accounts = [p.instance for p in plan.accounts]
        if new_accounts:
            self.insert(new_accounts)
            insert_key_rows(
                [
                    row
                    for p in plan.accounts
                    for row in duplicates.account_key_rows(
                        p.instance.pk, duplicates.account_keys(p.instance)
                    )
                ]
            )
            self.audit(new_accounts, ACCOUNT_AUDIT_EXCLUDE)
            self.write_extras(new_accounts)
        contacts = []
        for pending in plan.creates:
            if pending.account is not None:
                pending.instance.account_id = pending.account.instance.pk
            contacts.append(pending.instance)
        if contacts:
            self.insert(contacts)
            insert_key_rows(
                [
                    row
                    for p in plan.creates
                    for row in duplicates.contact_key_rows(
                        p.instance.pk,
                        # At a new company the name key waited for the company's id.
                        p.keys if p.account is None else _at_account(p.keys, p.account),
                    )
                ]
            )
            self.audit(contacts, CONTACT_AUDIT_EXCLUDE)
        self.ledger([(p.number, p.instance.pk) for p in plan.creates])

    def remember(self, plan: Plan) -> None:
        accounts = self.context.virtual.setdefault("account", {})
        for pending_account in plan.accounts:
            pending_account.instance.pk = next(self.context.virtual_ids)
            accounts.update(dict.fromkeys(pending_account.keys, pending_account.instance.pk))
        contacts = self.context.virtual.setdefault("contact", {})
        for pending in plan.creates:
            if pending.account is not None:
                pending.instance.account_id = pending.account.instance.pk
            pending.instance.pk = next(self.context.virtual_ids)
            contacts.update(
                dict.fromkeys(duplicates.contact_keys(pending.instance), pending.instance.pk)
            )

    def update_one(self, target_id: int, update: Update) -> bool:
        existing = access.get_for(
            self.context.user, Contact.objects.select_related("account"), target_id, "change"
        )
        names = [n for n in update.values._import_fields if n not in ("owner", "account")]
        changes = changes_of(existing, update.values, names)
        if update.named_owner and update.values.owner_id != existing.owner_id:
            changes["owner"] = update.values.owner
        if not changes:
            return False
        services.contact_update(
            user=self.context.user,
            contact=existing,
            expected_version=existing.version,
            data=changes,
        )
        return True


def _at_account(keys: duplicates.KeySet, account: PendingAccount) -> duplicates.KeySet:
    """A contact's keys at a company this batch created, now that it has its id: the name
    key computed for `new<id>` (see `ContactImporter.keys`) is the same name at the id."""
    placeholder, real = f"new{id(account)}:", f"{account.instance.pk}:"
    name = _NAME_KIND
    return {
        (kind, real + value.removeprefix(placeholder))
        if kind == name and value.startswith(placeholder)
        else (kind, value)
        for kind, value in keys
    }


_NAME_KIND = str(duplicates.Kind.NAME)


def _domain(website: str) -> str:
    return duplicates.validation.domain_of(website)
