"""Write use cases of the customer databank. Every write validates, audits and checks access."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from auditlog.models import LogEntry
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kam.accounts import choices, validation
from kam.accounts.duplicates import refresh_match_keys
from kam.accounts.errors import AccountError
from kam.accounts.models import (
    Account,
    AccountAddress,
    AccountTeamMember,
    Contact,
    ContactConsent,
    CustomField,
    SavedFilter,
    Tag,
)
from kam.core import access
from kam.core.audit import acting_as, log_event
from kam.core.errors import ConflictError, NotFoundError, PermissionDeniedError
from kam.core.services import soft_delete, versioned_update

ACCOUNT_FIELDS = frozenset(
    [
        "name",
        "legal_name",
        "country",
        "tax_number",
        "registration_number",
        "industry",
        "size_band",
        "website",
        "phones",
        "emails",
        "parent",
        "kind",
        "tier",
        "status",
        "owner",
        "source",
        "referred_by",
        "credit_limit",
        "currency",
        "payment_terms_days",
        "custom",
        "notes",
    ]
)
CONTACT_FIELDS = frozenset(
    [
        "account",
        "first_name",
        "last_name",
        "middle_name",
        "job_title",
        "buying_role",
        "emails",
        "phones",
        "preferred_channel",
        "do_not_contact",
        "birthday",
        "notes",
        "owner",
        "custom",
    ]
)


def _errors(fields: dict[str, list[str]]) -> None:
    if fields:
        raise AccountError(_("Some values are not valid."), fields=fields)


def _clean_list(values: Any, cleaner: Any, field: str, errors: dict[str, list[str]]) -> list[str]:
    if values in (None, ""):
        return []
    if isinstance(values, str):
        values = list(values.replace(";", ",").split(","))
    cleaned: list[str] = []
    for value in values:
        if not str(value).strip():
            continue
        try:
            item = cleaner(str(value))
        except ValidationError as error:
            errors.setdefault(field, []).extend(error.messages)
            continue
        if item not in cleaned:
            cleaned.append(item)
    return cleaned


def clean_custom(applies_to: str, values: Any, errors: dict[str, list[str]]) -> dict[str, Any]:
    """Check custom-field values against their definitions; unknown keys are refused."""
    values = values or {}
    if not isinstance(values, dict):
        errors["custom"] = [_("Custom fields must be an object of key: value.")]
        return {}
    definitions = {f.key: f for f in CustomField.objects.filter(applies_to=applies_to)}
    cleaned: dict[str, Any] = {}
    for key, raw in values.items():
        definition = definitions.get(key)
        if definition is None:
            errors.setdefault(f"custom.{key}", []).append(_("There is no custom field %s.") % key)
            continue
        try:
            cleaned[key] = _custom_value(definition, raw)
        except (ValueError, InvalidOperation):
            errors.setdefault(f"custom.{key}", []).append(
                _("%(value)s is not a valid %(type)s.")
                % {"value": raw, "type": definition.get_field_type_display().lower()}
            )
    for key, definition in definitions.items():
        if definition.is_required and cleaned.get(key) in (None, ""):
            errors.setdefault(f"custom.{key}", []).append(_("This field is required."))
    return cleaned


def _custom_value(definition: CustomField, raw: Any) -> Any:
    if raw in (None, ""):
        return None
    kind = definition.field_type
    if kind == "number":
        return str(Decimal(str(raw).replace(",", ".").strip()))
    if kind == "date":
        return date.fromisoformat(str(raw).strip()).isoformat()
    if kind == "boolean":
        text = str(raw).strip().lower()
        if text in {"1", "true", "yes", "y", "да"}:
            return True
        if text in {"0", "false", "no", "n", "нет"}:
            return False
        raise ValueError(raw)
    if kind == "choice":
        if str(raw) not in definition.options:
            raise ValueError(raw)
        return str(raw)
    return str(raw)[:1000]


def clean_account_data(
    data: dict[str, Any], *, partial: bool = False, stored_country: str = ""
) -> dict[str, Any]:
    """Validate and normalise account fields; raises AccountError naming each bad field."""
    unknown = set(data) - ACCOUNT_FIELDS
    errors: dict[str, list[str]] = {name: [_("Unknown field.")] for name in unknown}
    cleaned = {key: value for key, value in data.items() if key in ACCOUNT_FIELDS}
    if "name" in cleaned or not partial:
        cleaned["name"] = str(cleaned.get("name") or "").strip()
        if not cleaned["name"]:
            errors["name"] = [_("This field is required.")]
    website = str(cleaned.get("website") or "").strip()
    if website and "://" not in website:
        cleaned["website"] = f"https://{website}"  # people type `acme.com`
    # Phones and tax numbers are read in the account's country, typed now or stored before.
    country = str(cleaned.get("country") or ("" if "country" in cleaned else stored_country))
    country = country.upper()
    if "country" in cleaned:
        cleaned["country"] = str(cleaned["country"] or "").upper()
    if "emails" in cleaned:
        cleaned["emails"] = _clean_list(cleaned["emails"], validation.clean_email, "emails", errors)
    if "phones" in cleaned:
        cleaned["phones"] = _clean_list(
            cleaned["phones"],
            lambda v: validation.clean_phone(v, country or None),
            "phones",
            errors,
        )
    if cleaned.get("tax_number"):
        try:
            cleaned["tax_number"] = validation.clean_tax_number(cleaned["tax_number"], country)
        except ValidationError as error:
            errors["tax_number"] = error.messages
    if "custom" in cleaned:
        cleaned["custom"] = clean_custom(CustomField.AppliesTo.ACCOUNT, cleaned["custom"], errors)
    _errors(errors)
    return cleaned


def _derive(account: Account) -> None:
    account.name_key = validation.name_key(account.name)
    account.domain = validation.domain_of(account.website) or (
        validation.domain_of(account.emails[0]) if account.emails else ""
    )


def _full_clean(instance: Any) -> None:
    try:
        instance.full_clean()
    except ValidationError as error:
        raise AccountError(_("Some values are not valid."), fields=error.message_dict) from None


def _check_links(*, user: Any, accounts: Iterable[Account | None]) -> None:
    """Linking records needs the right to change both: parent and referrer must be editable."""
    for linked in accounts:
        if linked is not None and not access.can(user, linked, "change"):
            raise NotFoundError(_("The linked account does not exist or is not yours to change."))


@transaction.atomic
def account_create(
    *, user: Any, data: dict[str, Any], tags: Iterable[str] | None = None
) -> Account:
    """Create an account (with its tags, when given). The owner defaults to the creator; only
    those who change every account may give it to someone else."""
    if access.is_read_only(user):
        raise PermissionDeniedError()
    cleaned = clean_account_data(data)
    hidden = set(access.hidden_fields(user, Account)) & {k for k, v in cleaned.items() if v}
    if hidden:
        raise PermissionDeniedError(_("You may not set %s.") % ", ".join(sorted(hidden)))
    owner = cleaned.pop("owner", None) or user
    if owner != user and not access.changes_all(user):
        raise PermissionDeniedError(_("Only the head of sales or an admin can assign accounts."))
    _check_links(user=user, accounts=[cleaned.get("parent"), cleaned.get("referred_by")])
    account = Account(owner=owner, **cleaned)
    _derive(account)
    _full_clean(account)
    with acting_as(user):
        account.save()
    refresh_match_keys(account=account)
    if tags:
        account_set_tags(user=user, account=account, names=tags)
    return account


@transaction.atomic
def account_update(
    *,
    user: Any,
    account: Account,
    expected_version: int,
    data: dict[str, Any],
    tags: Iterable[str] | None = None,
) -> Account:
    """Change an account's fields (version checked) and, when `tags` is given, replace its
    tags: all of it or nothing."""
    access.get_for(user, Account.objects.all(), account.pk, "change")
    cleaned = clean_account_data(data, partial=True, stored_country=str(account.country or ""))
    hidden = set(access.hidden_fields(user, Account)) & set(cleaned)
    if hidden:
        raise PermissionDeniedError(_("You may not change %s.") % ", ".join(sorted(hidden)))
    if "owner" in cleaned and cleaned["owner"] != account.owner and not access.changes_all(user):
        raise PermissionDeniedError(_("Only the head of sales or an admin can reassign accounts."))
    if cleaned.get("parent") is not None and _is_descendant(cleaned["parent"], account):
        raise AccountError(fields={"parent": [_("An account cannot be its own group's child.")]})
    _check_links(user=user, accounts=[cleaned.get("parent"), cleaned.get("referred_by")])
    preview = Account(
        **{
            **{f: getattr(account, f) for f in ("name", "website", "emails")},
            **{k: v for k, v in cleaned.items() if k in ("name", "website", "emails")},
        }
    )
    _derive(preview)
    cleaned.update(name_key=preview.name_key, domain=preview.domain)
    try:
        updated = versioned_update(
            instance=account, expected_version=expected_version, changes=cleaned, user=user
        )
    except ValidationError as error:
        raise AccountError(_("Some values are not valid."), fields=error.message_dict) from None
    refresh_match_keys(account=updated)
    if tags is not None:
        account_set_tags(user=user, account=updated, names=tags)
    return updated


def _is_descendant(candidate: Account, account: Account) -> bool:
    """Whether `candidate` is `account` or below it in the group (a cycle if made parent)."""
    seen: set[int] = set()
    node: Account | None = candidate
    while node is not None and node.pk not in seen:
        if node.pk == account.pk:
            return True
        seen.add(node.pk)
        node = node.parent
    return False


@transaction.atomic
def account_delete(*, user: Any, account: Account) -> Account:
    return soft_delete(instance=account, user=user)


@transaction.atomic
def account_set_team(*, user: Any, account: Account, members: dict[Any, str]) -> None:
    """Replace the account team: `{user: role}`. Needs the right to change the account."""
    access.get_for(user, Account.objects.all(), account.pk, "change")
    with acting_as(user):
        AccountTeamMember.objects.filter(account=account).exclude(user__in=list(members)).delete()
        for member, role in members.items():
            AccountTeamMember.objects.update_or_create(
                account=account, user=member, defaults={"role": role}
            )


@transaction.atomic
def account_set_tags(*, user: Any, account: Account, names: Iterable[str]) -> list[Tag]:
    access.get_for(user, Account.objects.all(), account.pk, "change")
    tags = [Tag.objects.get_or_create(name=name.strip()[:50])[0] for name in names if name.strip()]
    with acting_as(user):
        account.tags.set(tags)
    return tags


def clean_contact_data(
    data: dict[str, Any], *, partial: bool = False, region: str | None = None
) -> dict[str, Any]:
    unknown = set(data) - CONTACT_FIELDS
    errors: dict[str, list[str]] = {name: [_("Unknown field.")] for name in unknown}
    cleaned = {key: value for key, value in data.items() if key in CONTACT_FIELDS}
    if "last_name" in cleaned or not partial:
        cleaned["last_name"] = str(cleaned.get("last_name") or "").strip()
        if not cleaned["last_name"]:
            errors["last_name"] = [_("This field is required.")]
    if "emails" in cleaned:
        cleaned["emails"] = _clean_list(cleaned["emails"], validation.clean_email, "emails", errors)
    if "phones" in cleaned:
        cleaned["phones"] = _clean_list(
            cleaned["phones"], lambda v: validation.clean_phone(v, region), "phones", errors
        )
    if "custom" in cleaned:
        cleaned["custom"] = clean_custom(CustomField.AppliesTo.CONTACT, cleaned["custom"], errors)
    _errors(errors)
    return cleaned


@transaction.atomic
def contact_create(*, user: Any, data: dict[str, Any]) -> Contact:
    account = data.get("account")
    if account is None:
        raise AccountError(fields={"account": [_("This field is required.")]})
    access.get_for(user, Account.objects.all(), account.pk, "change")
    cleaned = clean_contact_data(data, region=str(account.country) or None)
    cleaned.setdefault("owner", account.owner)
    contact = Contact(**cleaned)
    _full_clean(contact)
    with acting_as(user):
        contact.save()
    refresh_match_keys(contact=contact)
    return contact


@transaction.atomic
def contact_update(
    *, user: Any, contact: Contact, expected_version: int, data: dict[str, Any]
) -> Contact:
    access.get_for(user, Contact.objects.all(), contact.pk, "change")
    if "account" in data and data["account"] != contact.account:
        access.get_for(user, Account.objects.all(), data["account"].pk, "change")
    cleaned = clean_contact_data(data, partial=True, region=str(contact.account.country) or None)
    try:
        updated = versioned_update(
            instance=contact, expected_version=expected_version, changes=cleaned, user=user
        )
    except ValidationError as error:
        raise AccountError(_("Some values are not valid."), fields=error.message_dict) from None
    refresh_match_keys(contact=updated)
    return updated


@transaction.atomic
def contact_delete(*, user: Any, contact: Contact) -> Contact:
    return soft_delete(instance=contact, user=user)


@transaction.atomic
def contact_set_consent(
    *, user: Any, contact: Contact, channel: str, is_granted: bool, how: str = ""
) -> ContactConsent:
    """Record that a contact gave or withdrew consent on a channel (when: now)."""
    access.get_for(user, Contact.objects.all(), contact.pk, "change")
    with acting_as(user):
        consent, _created = ContactConsent.objects.update_or_create(
            contact=contact,
            channel=channel,
            defaults={"is_granted": is_granted, "given_at": timezone.now(), "how": how[:200]},
        )
    return consent


BULK_ACTIONS = ("reassign", "tag", "untag", "tier")


@transaction.atomic
def accounts_bulk_update(*, user: Any, account_ids: list[int], action: str, value: Any) -> int:
    """Apply one change to many accounts: reassign the owner (head of sales, admin), add or
    remove a tag, change the tier. Only accounts the user may change are touched; each change
    is saved one by one so that every account's audit trail records it. Returns the count."""
    if action not in BULK_ACTIONS:
        raise AccountError(fields={"action": [_("Unknown bulk action %s.") % action]})
    if action == "reassign" and not access.changes_all(user):
        raise PermissionDeniedError(_("Only the head of sales or an admin can reassign accounts."))
    if action == "tier" and value not in choices.Tier.values:
        raise AccountError(fields={"value": [_("Choose a tier.")]})
    if action in ("tag", "untag") and not str(value or "").strip():
        raise AccountError(fields={"value": [_("Name the tag.")]})
    accounts = list(
        Account.objects.visible_to(user, "change").filter(pk__in=account_ids).select_for_update()
    )
    tag = Tag.objects.get_or_create(name=str(value).strip()[:50])[0] if action == "tag" else None
    with acting_as(user):
        for account in accounts:
            if action == "reassign":
                account.owner = value
                account.save(update_fields=["owner"])
            elif action == "tier":
                account.tier = value
                account.save(update_fields=["tier"])
            elif action == "tag":
                account.tags.add(tag)
            else:
                account.tags.remove(*account.tags.filter(name=str(value).strip()))
    return len(accounts)


@transaction.atomic
def saved_filter_save(
    *, user: Any, list_name: str, name: str, query: str, is_shared: bool = False
) -> SavedFilter:
    """Keep the current list filters under a name (replacing one of the same name)."""
    name = name.strip()[:100]
    if not name:
        raise AccountError(fields={"name": [_("Name the view.")]})
    saved, _created = SavedFilter.objects.update_or_create(
        owner=user,
        list_name=list_name,
        name=name,
        defaults={"query": query[:2000], "is_shared": is_shared},
    )
    return saved


def saved_filter_delete(*, user: Any, saved_filter_id: int) -> None:
    deleted, _rows = SavedFilter.objects.filter(pk=saved_filter_id, owner=user).delete()
    if not deleted:
        raise NotFoundError()


# --- The account page: team, addresses, contacts with their consents ---------------------------


@transaction.atomic
def account_team_add(
    *, user: Any, account: Account, member: Any, role: str = ""
) -> AccountTeamMember:
    """Put `member` on the account team with `role` (or change his role if he is on it).

    Needs the right to change the account; the owner is not a team member of his own account."""
    access.get_for(user, Account.objects.all(), account.pk, "change")
    if member is None or not getattr(member, "is_active", False):
        raise AccountError(fields={"member": [_("Choose an active user.")]})
    if member.pk == account.owner_id:
        raise AccountError(fields={"member": [_("The owner already works this account.")]})
    role = role.strip()
    if len(role) > 100:
        raise AccountError(fields={"role": [_("Keep the role under 100 characters.")]})
    with acting_as(user):
        membership, _created = AccountTeamMember.objects.update_or_create(
            account=account, user=member, defaults={"role": role}
        )
    return membership


@transaction.atomic
def account_team_remove(*, user: Any, account: Account, member_id: int) -> None:
    """Take a user off the account team. The account's own audit trail keeps who left, as the
    membership row (and with it its trail) is gone."""
    access.get_for(user, Account.objects.all(), account.pk, "change")
    membership = (
        AccountTeamMember.objects.select_related("user")
        .filter(account=account, user_id=member_id)
        .first()
    )
    if membership is None:
        raise NotFoundError(_("This user is not on the account team."))
    label = f"{membership.user}" + (f" ({membership.role})" if membership.role else "")
    with acting_as(user):
        membership.delete()
        log_event(
            obj=account,
            action=LogEntry.Action.UPDATE,
            changes={"account team": [label, "None"]},
            data={"event": "team_remove", "user": member_id},
        )


ADDRESS_FIELDS = ("street", "city", "postal_code", "region", "country")


@transaction.atomic
def account_set_address(
    *,
    user: Any,
    account: Account,
    kind: str,
    data: dict[str, Any],
    expected_updated_at: datetime | None = None,
) -> AccountAddress | None:
    """Write the account's legal, postal or delivery address; all fields blank removes it.

    `expected_updated_at` is when the editor's copy was saved (None: he saw no address); if the
    stored address changed since, ConflictError carries its current values and nothing is written.
    """
    access.get_for(user, Account.objects.all(), account.pk, "change")
    if kind not in choices.AddressKind.values:
        raise AccountError(fields={"kind": [_("Unknown address kind.")]})
    values = {name: str(data.get(name) or "").strip() for name in ADDRESS_FIELDS}
    values["country"] = values["country"].upper()
    current = AccountAddress.objects.select_for_update().filter(account=account, kind=kind).first()
    stored_at = current.updated_at if current is not None else None
    if stored_at != expected_updated_at:
        shown = {n: str(getattr(current, n) or "") for n in ADDRESS_FIELDS} if current else {}
        raise ConflictError(extra={"current": shown})
    with acting_as(user):
        if not any(values.values()):
            if current is not None:
                current.delete()
            return None
        address = current or AccountAddress(account=account, kind=kind)
        for name, value in values.items():
            setattr(address, name, value)
        _full_clean(address)
        address.save()
    return address


@dataclass(frozen=True)
class ConsentInput:
    """What the editor says of one channel: granted (True), refused (False) or unknown (None),
    when (None: now, if the answer changed) and how it was given."""

    is_granted: bool | None
    given_at: datetime | None = None
    how: str = ""


@transaction.atomic
def contact_save_consents(
    *, user: Any, contact: Contact, consents: dict[str, ConsentInput]
) -> list[ContactConsent]:
    """Record the contact's consent per channel; only channels whose answer, date or manner
    changed are written (and audited). Unknown removes what was recorded."""
    access.get_for(user, Contact.objects.all(), contact.pk, "change")
    unknown = set(consents) - set(choices.Channel.values)
    if unknown:
        raise AccountError(fields={"consents": [_("Unknown channel %s.") % ", ".join(unknown)]})
    now = timezone.now()
    errors = {
        f"consent_{channel}_given_at": [_("Consent cannot be given in the future.")]
        for channel, given in consents.items()
        if given.given_at is not None and given.given_at > now
    }
    _errors(errors)
    stored = {c.channel: c for c in ContactConsent.objects.filter(contact=contact)}
    saved: list[ContactConsent] = []
    with acting_as(user):
        for channel, given in consents.items():
            consent = stored.get(channel)
            if given.is_granted is None:
                if consent is not None:
                    consent.delete()
                continue
            if consent is not None and _same_consent(consent, given):
                saved.append(consent)
                continue
            consent = consent or ContactConsent(contact=contact, channel=channel)
            consent.is_granted = given.is_granted
            consent.given_at = given.given_at or now
            consent.how = given.how.strip()[:200]
            consent.save()
            saved.append(consent)
    return saved


def _same_consent(consent: ContactConsent, given: ConsentInput) -> bool:
    return (
        consent.is_granted == given.is_granted
        and consent.how == given.how.strip()[:200]
        and (given.given_at is None or given.given_at == consent.given_at)
    )


@transaction.atomic
def contact_save(
    *,
    user: Any,
    data: dict[str, Any],
    consents: dict[str, ConsentInput],
    contact: Contact | None = None,
    expected_version: int = 0,
) -> Contact:
    """Create (no `contact`) or update a contact and its consents in one transaction: the
    contact page's save. An update checks `expected_version` like `contact_update`."""
    if contact is None:
        saved = contact_create(user=user, data=data)
    else:
        saved = contact_update(
            user=user, contact=contact, expected_version=expected_version, data=data
        )
    contact_save_consents(user=user, contact=saved, consents=consents)
    return saved
